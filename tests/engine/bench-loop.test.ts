// The loop shared by the lab's sweep and the CLI's bench: which cases run, which are skipped and
// why, and that every trainer is destroyed (trainers here are plain objects counting calls).
import { describe, expect, it } from 'vitest';
import { ConfigError, DEFAULT_CONFIG, type Algo, type Config } from '../../src/config/config';
import { benchLoop, type BenchCase, type BenchOutcome } from '../../src/engine/bench';
import { CapacityError, type Trainer } from '../../src/engine/trainer';

const cases: BenchCase[] = [100, 1000, 10000].flatMap((totalRows) =>
  (['sgd', 'lazydp'] as Algo[]).map((algo) => ({
    algo,
    totalRows,
    config: { ...DEFAULT_CONFIG, algo, tables: [totalRows] } as Config,
  })),
);

function fakes(tooBigFrom: number) {
  const log: string[] = [];
  const create = async (c: Config): Promise<Trainer> => {
    if (c.algo === 'lazydp' && c.tables[0] >= tooBigFrom)
      throw new CapacityError('tables', `${c.tables[0]} rows do not fit`);
    const name = `${c.algo}@${c.tables[0]}`;
    return {
      run: async (n: number) => void log.push(`run ${name} ${n}`),
      destroy: () => void log.push(`destroy ${name}`),
    } as unknown as Trainer;
  };
  return { log, create };
}

const line = (r: BenchOutcome) =>
  `${r.case.algo}@${r.case.totalRows} ${'skipped' in r ? `skip(${r.tooBig ? 'big' : 'other'}): ${r.skipped}` : 'ok'}`;

describe('benchLoop', () => {
  it('runs every case in order, each trainer destroyed after its result', async () => {
    const { log, create } = fakes(Infinity);
    const seen: string[] = [];
    await benchLoop(cases, { create, steps: 3, onResult: (r) => void seen.push(line(r)) });
    expect(seen).toEqual(cases.map((c) => `${c.algo}@${c.totalRows} ok`));
    expect(log.slice(0, 4)).toEqual(['run sgd@100 3', 'destroy sgd@100', 'run lazydp@100 3', 'destroy lazydp@100']);
    expect(log.filter((l) => l.startsWith('destroy'))).toHaveLength(6);
  });

  it('too big at one size: larger sizes of that algorithm are skipped without trying (skipLarger)', async () => {
    const { log, create } = fakes(1000);
    const seen: string[] = [];
    await benchLoop(cases, { create, steps: 1, skipLarger: true, onResult: (r) => void seen.push(line(r)) });
    expect(seen).toEqual([
      'sgd@100 ok',
      'lazydp@100 ok',
      'sgd@1000 ok',
      'lazydp@1000 skip(big): 1000 rows do not fit',
      'sgd@10000 ok',
      'lazydp@10000 skip(big): too big for this device',
    ]);
    expect(log).not.toContain('run lazydp@10000 1');
  });

  it('without skipLarger every size is tried; a refused setting and a precheck are skips too', async () => {
    const { create } = fakes(1000);
    const seen: string[] = [];
    await benchLoop(cases, {
      create: (c) =>
        c.algo === 'sgd' && c.tables[0] === 100 ? Promise.reject(new ConfigError('algo', 'refused')) : create(c),
      steps: 1,
      precheck: (c) =>
        c.totalRows === 10000 && c.algo === 'sgd' ? { reason: 'checked first', tooBig: false } : undefined,
      onResult: (r) => void seen.push(line(r)),
    });
    expect(seen).toEqual([
      'sgd@100 skip(other): algo: refused',
      'lazydp@100 ok',
      'sgd@1000 ok',
      'lazydp@1000 skip(big): 1000 rows do not fit',
      'sgd@10000 skip(other): checked first',
      'lazydp@10000 skip(big): 10000 rows do not fit',
    ]);
  });

  it('stops between cases once the signal aborts; other errors end the loop', async () => {
    const { create } = fakes(Infinity);
    const ctl = new AbortController();
    const seen: string[] = [];
    await benchLoop(cases, {
      create,
      steps: 1,
      signal: ctl.signal,
      onResult: (r) => void (seen.push(line(r)), seen.length === 2 && ctl.abort()),
    });
    expect(seen).toHaveLength(2);
    await expect(
      benchLoop(cases, { create: () => Promise.reject(new Error('lost')), steps: 1, onResult: () => undefined }),
    ).rejects.toThrow('lost');
  });
});
