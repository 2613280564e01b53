// The audit's canary kinds and what their scores are, apart from the engine so the UI can load
// them before any GPU code.
export const CANARY_KINDS = ['gradient', 'input'] as const;
export type CanaryKind = (typeof CANARY_KINDS)[number];

/** What each kind's score is, in words for the CLI and the lab. */
export const SCORE_TEXT: Record<CanaryKind, string> = {
  gradient: "projected movement of the canary rows along the canary's gradient, in sampled steps",
  input: 'squared distance the canary rows moved',
};
