// When the PRV accountant cannot give epsilon (too little noise for its domain, a delta below what
// float64 resolves, a mesh that cannot hold the distribution), it says so in a PrvRefusal that
// names what to change. The changes are kept apart from the words: the CLI names its flags
// (--accountant rdp), the lab its controls (the accountant menu); the message is the lab's.
export type PrvFix = 'accountant' | 'raise-sigma' | 'fewer-steps' | 'raise-delta';

const WORDS: Record<'cli' | 'lab', Record<PrvFix, string>> = {
  cli: {
    accountant: 'use --accountant rdp',
    'raise-sigma': 'raise --sigma',
    'fewer-steps': 'lower --steps',
    'raise-delta': 'raise --delta',
  },
  lab: {
    accountant: 'choose the RDP accountant',
    'raise-sigma': 'raise noise σ',
    'fewer-steps': 'lower steps',
    'raise-delta': 'raise δ',
  },
};

/** "a, b or c" */
function either(items: string[]): string {
  return items.length < 2 ? items.join('') : `${items.slice(0, -1).join(', ')} or ${items[items.length - 1]}`;
}

export class PrvRefusal extends RangeError {
  constructor(
    /** what the accountant cannot do, and why, in plain words */
    readonly problem: string,
    /** what would make it work, most useful first */
    readonly fixes: PrvFix[],
  ) {
    super(`${problem}: ${either(fixes.map((f) => WORDS.lab[f]))}`);
    this.name = 'PrvRefusal';
  }

  /** The message in the words of the CLI (flags) or the lab (controls). */
  textFor(where: 'cli' | 'lab'): string {
    return `${this.problem}: ${either(this.fixes.map((f) => WORDS[where][f]))}`;
  }
}

/** "sigma 1 at q 0.99 over 1,000 steps", or a count of phases. */
export function describePhases(phases: readonly { q: number; sigma: number; steps: number }[]): string {
  if (phases.length !== 1) return `these ${phases.length} phases`;
  const p = phases[0];
  return `sigma ${p.sigma} at q ${p.q} over ${p.steps.toLocaleString('en-US')} steps`;
}
