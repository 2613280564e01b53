// Where a step's time goes: per-stage medians as stacked bars, one bar per algorithm on the
// same configuration, and the sender's bars beside them when the page was opened from a
// shared link. Medians over many steps, because single GPU timings are noisy.

import { LitElement, css, html, nothing } from 'lit';
import { ALGOS, type Algo } from '../../config/config';
import { STAGES, type RunSummary, type Stage, type StageTimes } from '../../engine';
import { NOISY_RATIO, isNoisy, spreadText, whiskerPlugin, type Spread } from '../charts/spread';
import { fmtMs } from '../format';
import type { ChartDataset } from 'chart.js';
import { chartTheme, runsFooter, type ChartSpec } from '../charts/lab-chart';
import '../charts/lab-chart';
import { runner } from '../state/runner';
import { ALGO_COLORS, ALGO_LABELS, ALL_ALGOS, STAGE_COLORS, sharedStyles, viewStyles } from '../styles';
import { store, StoreController, type RunRecord } from '../state/store';
import { looksQuantized } from '../state/timing';

/** What each timed stage does: one card, in the stage view and under the teaching view. */
export function stagesCard() {
  return html`<div class="card">
    <h2>The ${STAGES.length} stages of a step</h2>
    <dl>${STAGES.map((s) => html`<dt><span class="swatch" style="background:${STAGE_COLORS[s]}"></span>${s}</dt><dd>${STAGE_TEXT[s]}</dd>`)}</dl>
  </div>`;
}

export const STAGE_TEXT: Record<Stage, string> = {
  gather: 'embedding-bag forward: read the rows of each bag and sum them',
  mlp_forward:
    'bottom MLP on the dense features, interaction (concatenation or pairwise dot products), top MLP to the logit',
  backward:
    "loss and its gradient, back through the top and bottom MLPs to the pooled embeddings; the batch's (row, example) pairs sorted by row on the GPU (for sgd also the gradient sums)",
  clip: "per-example gradient norms from activations and output gradients (no per-example gradients materialised), clip factors, clipped sums; each row's gradient summed in sorted order",
  noise:
    "Gaussian noise sampling (Philox) into a buffer when the noise kernel is unfused; for LazyDP also the look-ahead that finds the next batch's unique rows (their pending noise is then drawn inside update)",
  update:
    'writing the parameters: eager DP-SGD rewrites every row of every table; LazyDP only the rows of the next batch',
};

interface Bar {
  label: string;
  stageMs: StageTimes;
  stepMs: number;
  /** p10-p90 of the per-step sums, when measured (old shared links have none) */
  spread?: Spread;
  /** steps the medians are over */
  steps?: number;
  /** steps the run made, warm-up included */
  done?: number;
  from: 'here' | 'sender';
  algo: Algo;
  /** the run measured here */
  run?: RunRecord;
}

/**
 * The step median (the table's step column) as a mark on each bar: the median of the per-step
 * sums can lie well past the sum of the stage medians (one slow stage in some steps, another in
 * others), and the bars alone would then show two algorithms alike that the table tells apart.
 */
function stepMarker(bars: Bar[], ink: string): ChartDataset {
  return {
    type: 'line',
    label: 'step median',
    data: bars.map((b) => b.stepMs),
    stack: 'step median', // its own stack: not added onto the stages
    showLine: false,
    pointStyle: 'line',
    rotation: 90,
    pointRadius: 13,
    pointHoverRadius: 14,
    borderWidth: 3,
    borderColor: ink,
    backgroundColor: ink,
  } as ChartDataset;
}

export function stackedSpec(bars: Bar[]): ChartSpec {
  const ink = chartTheme().text;
  return {
    type: 'bar',
    data: {
      labels: bars.map((b) => b.label),
      datasets: [
        ...STAGES.map((s) => ({
          label: s,
          data: bars.map((b) => b.stageMs[s]),
          backgroundColor: bars.map((b) => (b.from === 'sender' ? STAGE_COLORS[s] + '88' : STAGE_COLORS[s])),
          borderColor: STAGE_COLORS[s],
          borderWidth: bars.map((b) => (b.from === 'sender' ? 1 : 0)),
          stack: 'step',
          // the step's p10-p90 whisker rides on the last stage, at the end of the stack
          ...(s === STAGES[STAGES.length - 1]
            ? { whiskers: bars.map((b) => b.spread ?? null), whiskerColor: ink, whiskerLabel: 'step' }
            : {}),
        })),
        stepMarker(bars, ink),
      ],
    },
    options: {
      indexAxis: 'y',
      scales: {
        x: {
          stacked: true,
          title: { display: true, text: 'ms per step (bars: stage medians; mark: step median; whisker: step p10–p90)' },
          beginAtZero: true,
          // room for the marks and whiskers: a p90 beyond the longest bar would be cut at the edge
          suggestedMax: Math.max(0, ...bars.map((b) => Math.max(b.stepMs, b.spread?.p90 ?? 0))),
        },
        y: { stacked: true },
      },
      plugins: {
        legend: { position: 'bottom', labels: { boxWidth: 12 } },
        tooltip: { callbacks: { label: (ctx) => `${ctx.dataset.label}: ${fmtMs(ctx.parsed.x as number)}` } },
      },
    },
    plugins: [whiskerPlugin],
  };
}

/** '2026-12-01T22:30Z' as '2026-12-01 22:30 UTC'. */
export function fmtDate(iso: string): string {
  return iso.replace('T', ' ').replace(/Z$/, ' UTC');
}

/** The p10-p90 spread of a summary's step times, when it has one. */
export function stepSpread(s: RunSummary | undefined): Spread | undefined {
  return s && s.stepP10Ms !== undefined && s.stepP90Ms !== undefined
    ? { p10: s.stepP10Ms, p90: s.stepP90Ms }
    : undefined;
}

/** Every stage time measured with timestamps on this page: the evidence for quantization. */
function measuredTimes(runs: RunRecord[]): number[] {
  const out: number[] = [];
  for (const r of runs) {
    if (r.timing !== 'gpu-timestamp') continue;
    for (const p of r.log) for (const s of STAGES) out.push(p.stageMs[s]);
  }
  return out;
}

export class StagesView extends LitElement {
  readonly storeCtl = new StoreController(this);
  static styles = [
    sharedStyles,
    viewStyles,
    css`
      .shared {
        border-left: 4px solid var(--accent);
      }
      label.inline input {
        width: 70px;
      }
    `,
  ];

  private bars(): Bar[] {
    const here = store.latestByAlgo((r) => !!r.summary && r.summary.steps > 0);
    const cur = store.current;
    if (cur?.summary && cur.summary.steps > 0 && !here.has(cur.algo)) here.set(cur.algo, cur);
    const shared = store.shared?.results;
    const bars: Bar[] = [];
    for (const algo of ALGOS) {
      const s = shared?.algos[algo];
      if (s)
        bars.push({
          label: `sender · ${ALGO_LABELS[algo]}`,
          stageMs: s.stageMs,
          stepMs: s.stepMs,
          spread: s.spread,
          steps: s.steps,
          from: 'sender',
          algo,
        });
      const r = here.get(algo);
      if (r) {
        const sm = r.summary!;
        bars.push({
          label: `${shared ? 'here · ' : ''}${ALGO_LABELS[algo]}`,
          stageMs: sm.stageMedianMs,
          stepMs: sm.stepMedianMs,
          spread: stepSpread(sm),
          steps: sm.timedSteps,
          done: r.stepsDone,
          from: 'here',
          algo,
          run: r,
        });
      }
    }
    return bars;
  }

  render() {
    const bars = this.bars();
    // a loaded results file measured nothing here: it says nothing about this device's timer
    const runs = store.runs.filter((r) => r.source !== 'imported');
    const cpu = runs.some((r) => r.timing === 'cpu');
    const quantized = looksQuantized(measuredTimes(runs)) || (store.tsProbe?.quantumNs ?? 0) >= 100_000;
    const free = store.free;
    const shared = store.shared;
    const text = store.ui.text;
    const noisy = bars.filter((b) => isNoisy(b.spread));
    this.toggleAttribute('data-noisy', noisy.length > 0);
    this.toggleAttribute('data-quantized', quantized);
    return html`
      ${shared ? this.sharedCard(free) : nothing}
      <div class="row">
        <button class="primary" id="run-all" ?disabled=${!free} @click=${() => runner.compare(ALGOS, store.ui.benchSteps)}>Run all ${ALL_ALGOS} algorithms</button>
        <label class="inline"
          >steps each
          <input type="number" min="2" max="100000" .value=${String(store.ui.benchSteps)} @change=${(e: Event) => this.setSteps((e.target as HTMLInputElement).value)} />
        </label>
        <span class="small muted">same configuration after a warm-up pass, the algorithms interleaved in rounds; medians over all steps of each</span>
      </div>
      ${
        noisy.length
          ? html`<p class="note" data-timing-note="noisy">
            <b>Noisy timing</b> for ${noisy.map((b, i) => html`${i ? ', ' : ''}${b.label}`)}: the slowest tenth of the steps took more than
            ${NOISY_RATIO}× the fastest tenth (p90 / p10 of the step time &gt; ${NOISY_RATIO}). Something else is using the GPU or CPU; close
            other tabs, run more steps, or measure again before comparing.
          </p>`
          : nothing
      }
      ${
        cpu
          ? html`<p class="note" data-timing-note="cpu">
            Timing is <b>CPU-side</b> (this device has no <code>timestamp-query</code>): each stage is submitted and awaited on its own, so the
            times include submission and read-back overhead and are coarse. Compare bars with each other, not with GPU-timestamp numbers.
          </p>`
          : nothing
      }
      ${
        quantized
          ? html`<p class="note" data-timing-note="quantized">
            GPU timestamps look <b>quantized to 100 µs</b> (Chrome rounds them unless WebGPU developer features are on): stages shorter than
            0.1 ms read as 0 or 0.1 ms. Medians over many steps still rank the stages; for exact numbers enable
            <code>chrome://flags/#enable-webgpu-developer-features</code> or use the node CLI.
          </p>`
          : nothing
      }
      ${
        store.config.noiseKernel === 'fused'
          ? html`<p class="note info" data-timing-note="fused">
            <b>Fused noise kernel:</b> noise is sampled inside the update kernel, so sampling costs are reported under <b>update</b>
            (what remains under <b>noise</b> is LazyDP's look-ahead over the next batch's rows). Choose <code>noiseKernel = unfused</code> to
            see sampling on its own (and why fusing pays).
          </p>`
          : nothing
      }
      <lab-chart id="chart-stages" heading="Per-stage latency" filename="stage-latency" .footer=${this.footer(bars)} .height=${Math.max(200, 70 + bars.length * 44)} .spec=${stackedSpec(bars)}>
        <span slot="empty">Train, or run all ${ALL_ALGOS} algorithms, to measure the stages</span>
        ${bars.length ? html`<p slot="note" class="small muted" data-stage-chart-says>Bars: each stage's median, stacked; the dark mark: the step median (the table's <b>step</b>), which the stacked medians need not reach.</p>` : nothing}
        ${bars.length ? this.table(bars) : nothing}
      </lab-chart>
      ${text ? stagesCard() : nothing}
    `;
  }

  /** The PNG footer: the runs measured here, and whose the sender's bars are. */
  private footer(bars: Bar[]): string | undefined {
    const runs = bars.flatMap((b) => (b.run ? [b.run] : []));
    const sender = bars.some((b) => b.from === 'sender')
      ? `sender's bars: ${store.shared?.results.device || 'an unnamed device'}`
      : '';
    return [runs.length ? runsFooter(runs) : '', sender].filter(Boolean).join('; ') || undefined;
  }

  private table(bars: Bar[]) {
    return html`<div class="scroll" tabindex="0" role="group" aria-label="Stage medians table"><table class="num" id="stages-table" style="margin-top:10px;width:100%">
      <tr>
        <th scope="col">run</th>
        ${STAGES.map((s) => html`<th scope="col">${s}</th>`)}
        <th title="median of the per-step sums of the stages">step</th>
      </tr>
      ${bars.map(
        (b) => html`<tr
          data-from=${b.from}
          data-algo=${b.algo}
          data-step-ms=${b.stepMs}
          data-p10=${b.spread?.p10 ?? ''}
          data-p90=${b.spread?.p90 ?? ''}
          data-timed-steps=${b.steps ?? ''}
          data-steps-done=${b.done ?? ''}
        >
          <td><span class="swatch" style="background:${ALGO_COLORS[b.algo]}"></span>${b.label}</td>
          ${STAGES.map((s) => html`<td>${fmtMs(b.stageMs[s])}</td>`)}
          <td><b>${fmtMs(b.stepMs)}</b></td>
        </tr>
        <tr class="spread" data-spread-for=${b.algo} data-spread-from=${b.from}>
          <td></td>
          <td colspan=${STAGES.length + 1} data-spread class="small muted">
            step p10–p90 ${b.spread ? spreadText(b.spread, fmtMs) : '– (not in this link)'}${isNoisy(b.spread) ? html` <b>(noisy)</b>` : nothing}${
              b.steps ? ` · ${b.steps} steps measured` : ''
            }
          </td>
        </tr>`,
      )}
    </table></div>
    <p class="small muted" data-step-column>
      Each stage column is that stage's median over the timed steps; <b>step</b> is the median of the per-step sums (the total of each
      step, then the median), so it need not equal the sum of the stage columns. <b>p10–p90</b>: the range the middle 80% of the steps
      fall in (the whiskers on the chart); above ${NOISY_RATIO}× between its ends the timing is called noisy.
    </p>`;
  }

  private sharedCard(free: boolean) {
    const sh = store.shared!;
    const algos = ALGOS.filter((a) => sh.results.algos[a]);
    const differs = JSON.stringify(sh.config) !== JSON.stringify(store.config);
    return html`<div class="card shared" id="shared-card">
      <div class="row" style="justify-content:space-between">
        <h2>Shared results</h2>
        <button class="ghost small" title="Hide the sender's numbers" @click=${() => this.dismissShared()}>✕</button>
      </div>
      <p>
        Measured on <b data-shared-device>${sh.results.device || 'an unnamed device'}</b>${
          sh.results.browser ? html` in <b data-shared-browser>${sh.results.browser}</b>` : nothing
        }${sh.results.date ? html` on <b data-shared-date>${fmtDate(sh.results.date)}</b>` : nothing} with
        ${sh.results.timing === 'cpu' ? 'CPU-side (coarse) timing' : 'GPU timestamps'}${algos.length ? ': step medians ' : ''}
        ${algos.map((a, i) => {
          const r = sh.results.algos[a]!;
          return html`${i ? ', ' : ''}<span data-shared-algo=${a}
              >${ALGO_LABELS[a]} <b>${fmtMs(r.stepMs)}</b>${r.spread ? ` (p10–p90 ${spreadText(r.spread, fmtMs)}${r.steps ? `, ${r.steps} steps` : ''})` : ''}</span
            >`;
        })}.
        ${algos.some((a) => !sh.results.algos[a]!.spread) ? html`<span class="small muted">(an older link: no spread for some bars)</span>` : nothing}
        ${sh.results.sweep?.length ? html`<span class="small muted" data-shared-sweep>The link also holds a table-size sweep (${sh.results.sweep.length} points): see the sweep view.</span>` : nothing}
      </p>
      ${differs ? html`<p class="note">You changed the configuration since opening the link; "Run here" uses your current one, so the bars may not compare like for like.</p>` : nothing}
      ${
        algos.length
          ? html`<button class="primary" id="run-here" ?disabled=${!free} @click=${() => runner.compare(algos, store.ui.benchSteps)}>
        Run the same ${algos.length > 1 ? `${algos.length} algorithms` : 'algorithm'} here
      </button>`
          : nothing
      }
      <span class="small muted">${store.device ? `on ${[store.device.vendor, store.device.architecture].filter(Boolean).join(' / ') || 'this device'}` : ''}; bars appear side by side below</span>
    </div>`;
  }

  private setSteps(v: string) {
    const n = Math.round(+v);
    if (Number.isFinite(n) && n >= 2 && n <= 100_000) store.setUi('benchSteps', n);
    else this.requestUpdate();
  }

  private dismissShared() {
    store.shared = undefined;
    store.changed();
  }
}
customElements.define('stages-view', StagesView);
