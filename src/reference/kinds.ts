// The kinds of whole step the CPU reference (the oracle) replays.

/**
 * The kinds of step this oracle replays (an algorithm declares its own as Algorithm.reference,
 * src/algorithms/types.ts ReferenceStep; the conformance suite checks that every declared kind is
 * one of these).
 */
export const REFERENCE_STEPS = ['sgd', 'dp-sgd', 'lazy', 'lazy-exact', 'fest', 'adafest'] as const;
export type RefKind = (typeof REFERENCE_STEPS)[number];

/** A kind this oracle has no step for: names it and the known ones. */
export const unknownKind = (kind: unknown): Error =>
  new Error(`the CPU reference has no step of kind '${String(kind)}' (known: ${REFERENCE_STEPS.join(', ')})`);
