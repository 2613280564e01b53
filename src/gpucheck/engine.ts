// Whole-engine checks: every registered algorithm's GPU steps against the TypeScript reference
// step it declares (Algorithm.reference), lazydp-exact = dpsgd,
// and lazydp's aggregated noise against dpsgd's in distribution (the noise layout).
import { makeConfig } from '../config/config';
import { ALGORITHMS, algorithm } from '../algorithms';
import { Trainer, type NamedTensor } from '../engine';
import { referenceAfter, referenceKindOf, referenceSelection } from './replay';
import { noiseTolerance } from '../kernels/tolerance';
import type { Check } from './check';
import { CHECK_MODEL, FEST_BRANCHES } from './check-model';
import { ks } from '../numerics/stats';

// three steps (a check of the bundled file runs each algorithm once)
const SMALL = { ...CHECK_MODEL, evalSize: 16, steps: 3, ...FEST_BRANCHES };

/** Every step of `algo` on the GPU against referenceStep; returns how close. */
async function wholeStep(device: GPUDevice, algo: string): Promise<string> {
  const c = makeConfig({ ...SMALL, algo });
  const t = await Trainer.create(device, c);
  try {
    const init = await t.exportTensors();
    const noiseStd = algorithm(algo).private ? t.sigma * c.clip : 0;
    await t.run(c.steps);
    const want = referenceAfter(t, init, c.steps);
    if (referenceKindOf(algorithm(algo)) === 'fest') {
      const mine = JSON.stringify(t.festSelection?.map((x) => Array.from(x)));
      if (mine !== JSON.stringify(referenceSelection(t).map((x) => Array.from(x))))
        throw new Error("DP-FEST's selection differs from the reference's private histogram");
    }
    // float summation order (2e-4 relative), and WGSL's bounds on every step's normal
    const noise = noiseTolerance(c.steps * (c.lr / c.batch) * noiseStd, c.steps);
    let worst = 0;
    for (const g of await t.exportTensors()) {
      const w = want.get(g.name)!;
      for (let i = 0; i < w.length; i++) {
        const r = Math.abs(g.data[i] - w[i]) / (1e-6 + 2e-4 * Math.abs(w[i]) + noise.abs);
        if (!(r <= 1)) throw new Error(`${g.name}[${i}]: got ${g.data[i]}, want ${w[i]}`);
        worst = Math.max(worst, r);
      }
    }
    return `${c.steps} steps, worst ${(100 * worst).toFixed(1)}% of tolerance`;
  } finally {
    t.destroy();
  }
}

async function trained(device: GPUDevice, over: Record<string, unknown>) {
  const t = await Trainer.create(device, makeConfig({ ...SMALL, bottom: [8], top: [8], ...over }));
  const init = await t.exportTensors();
  await t.run(t.config.steps);
  const model = await t.exportTensors();
  return { t, init, model };
}

const maxAbsDiff = (a: NamedTensor[], b: NamedTensor[]) =>
  Math.max(...a.map((x, k) => Math.max(...Array.from(x.data, (v, i) => Math.abs(v - b[k].data[i])))));

export const engineChecks: Check[] = [
  // every registered algorithm, replayed by the oracle's step of the kind it declares
  // (src/reference/); DP-FEST's and DP-AdaFEST's kernels are also checked alone (./fest.ts)
  ...ALGORITHMS.map(({ name: algo }) => ({
    name: `whole step: ${algo} on the GPU = the TypeScript reference step`,
    run: (d: GPUDevice) => wholeStep(d, algo),
  })),
  {
    name: 'lazy = eager: lazydp-exact equals dpsgd (same draws; float order)',
    async run(d) {
      const over = { tables: [300, 40], dim: 4, pooling: 2, batch: 16, dense: 4, datasetSize: 128, steps: 12 };
      const eager = await trained(d, { ...over, algo: 'dpsgd' });
      const lazy = await trained(d, { ...over, algo: 'lazydp-exact' });
      try {
        if (maxAbsDiff(lazy.init, eager.init) !== 0) throw new Error('initial models differ');
        const diff = maxAbsDiff(lazy.model, eager.model);
        const moved = maxAbsDiff(eager.model, eager.init);
        if (!(diff < 2e-5)) throw new Error(`models differ by ${diff} (2e-5 allowed)`);
        if (!(moved > 1e-3)) throw new Error(`training moved the model by only ${moved}`);
        const H = await lazy.t.readHistory(0, 0, 300);
        if (!H.every((h) => h === 12)) throw new Error('a row has noise pending after the export');
        return `max difference ${diff.toExponential(2)}`;
      } finally {
        eager.t.destroy();
        lazy.t.destroy();
      }
    },
  },
  {
    name: "noise layout: lazydp final weights have dpsgd's distribution (KS, variance)",
    async run(d) {
      const over = {
        tables: [400],
        dim: 16,
        steps: 20,
        lr: 0.05,
        clip: 0.05,
        sigma: 40,
        datasetSize: 512,
        batch: 32,
        pooling: 4,
        zipf: 0.5,
      };
      const eager = await trained(d, { ...over, algo: 'dpsgd' });
      const lazy = await trained(d, { ...over, algo: 'lazydp' });
      try {
        const c = lazy.t.config;
        const std = (c.lr / c.batch) * lazy.t.sigma * c.clip * Math.sqrt(c.steps);
        const z = (r: typeof eager) => Array.from(r.model[0].data, (v, k) => (v - r.init[0].data[k]) / std);
        const ze = z(eager),
          zl = z(lazy);
        const n = ze.length;
        const D = ks(ze, zl),
          crit = 1.95 * Math.sqrt(2 / n); // p = 0.001
        if (!(D < crit)) throw new Error(`KS ${D.toFixed(4)} >= ${crit.toFixed(4)}`);
        const variance = (xs: number[]) => xs.reduce((a, v) => a + v * v, 0) / xs.length;
        for (const [what, xs] of [
          ['dpsgd', ze],
          ['lazydp', zl],
        ] as const) {
          const v = variance(xs);
          if (!(Math.abs(v - 1) < 5 * Math.sqrt(2 / n) + 0.01)) throw new Error(`${what}: noise variance ${v}, want 1`);
        }
        return `KS ${D.toFixed(4)} < ${crit.toFixed(4)}`;
      } finally {
        eager.t.destroy();
        lazy.t.destroy();
      }
    },
  },
];
