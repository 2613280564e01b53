// Criteo-format test data, generated: no data set is downloaded.
import { Rng } from '../../src/data/rng';

/** Criteo-format lines: label, 13 integers (some empty or negative), 26 hex values (some empty). */
export function criteoText(n: number, seed = 1): string {
  const rng = new Rng(seed);
  const lines: string[] = [];
  for (let i = 0; i < n; i++) {
    const f: string[] = [];
    const hot = rng.next() < 0.5;
    f.push(hot ? (rng.next() < 0.8 ? '1' : '0') : rng.next() < 0.1 ? '1' : '0');
    for (let j = 0; j < 13; j++)
      f.push(rng.next() < 0.1 ? '' : String(Math.floor(rng.next() * 100) - 2 + (hot && j === 0 ? 50 : 0)));
    for (let t = 0; t < 26; t++)
      f.push(
        rng.next() < 0.05
          ? ''
          : (hot && t < 3 ? 'a' : '') +
              Math.floor(rng.next() * (t < 3 ? 20 : 5000))
                .toString(16)
                .padStart(8, '0')
                .slice(-8),
      );
    lines.push(f.join('\t'));
  }
  return lines.join('\n') + '\n';
}
