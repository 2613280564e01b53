// The lab's frontier job: the same runs as the CLI's `frontier` (src/frontier/), on the lab's
// device, holding the lab's one lock while it trains. Its state outlives the view (switching
// tabs keeps a running or stopped frontier); Stop ends the run in progress (it is dropped) and
// Resume goes on from it, so a stopped frontier keeps every run it finished.
import { type Algo } from '../../config/config';
import { BASELINE } from '../../algorithms';
import { parseFrontierAlgos, parseFrontierEpsilons } from '../../config/url-frontier';
import type { UiState } from '../../config/url';
import {
  emptyResult,
  frontierConfigs,
  frontierData,
  frontierSeeds,
  runFrontier,
  runsDone,
  timeLeft,
  type FrontierPlan,
  type FrontierResult,
} from '../../frontier/frontier';
import { requestSigma } from '../workers/privacy-client';
import { runner } from '../state/runner';
import { ALGO_LABELS } from '../styles';
import { store } from '../state/store';

export type FrontierState = 'empty' | 'running' | 'stopped' | 'done';

/** The plan the lab's fields describe: the configuration panel's model and task, the view's lists. */
export function planFromUi(ui: UiState): FrontierPlan {
  const base = { ...store.config, evalEvery: 0 };
  return {
    base,
    algos: parseFrontierAlgos(ui.frontierAlgos) as Algo[],
    epsilons: parseFrontierEpsilons(ui.frontierEpsilons),
    seeds: frontierSeeds(base, ui.frontierSeeds),
  };
}

class FrontierJob extends EventTarget {
  plan?: FrontierPlan;
  result?: FrontierResult;
  state: FrontierState = 'empty';
  /** what runs now, e.g. "LazyDP at ε 2, seed 1" */
  current = '';
  error = '';
  /** seconds spent in finished runs (across Stop and Resume), for the time left */
  private spentS = 0;
  private doneHere = 0;
  private abort?: AbortController;

  private changed(): void {
    this.dispatchEvent(new Event('change'));
  }

  get total(): number {
    return this.plan ? frontierConfigs(this.plan).length : 0;
  }

  get done(): number {
    return this.result ? runsDone(this.result) : 0;
  }

  /** Seconds left at the mean time of the runs finished so far. */
  get secondsLeft(): number | undefined {
    return timeLeft(this.spentS, this.doneHere, this.total - this.done + this.doneHere);
  }

  /** A new frontier from the current fields (a bad field throws, named, before anything runs). */
  async start(): Promise<void> {
    this.error = '';
    try {
      this.plan = planFromUi(store.ui);
    } catch (e) {
      this.error = (e as Error).message;
      return this.changed();
    }
    this.result = emptyResult(this.plan, frontierData(this.plan.base).teacherAuc);
    this.spentS = 0;
    this.doneHere = 0;
    await this.resume();
  }

  /** Goes on from the first run not done, with the plan it started with. */
  async resume(): Promise<void> {
    const device = runner.device;
    if (!this.plan || !this.result || !device || !store.free || !store.lock('frontier', 'privacy vs utility')) return;
    this.abort = new AbortController();
    this.state = 'running';
    this.error = '';
    this.changed();
    this.current = 'calibrating σ for every target';
    this.changed();
    let t0 = performance.now();
    try {
      await runFrontier(device, this.plan, this.result, {
        signal: this.abort.signal,
        // the up-front check of every target in the privacy worker (each run then calibrates as Train does)
        sigmaOf: requestSigma,
        onStart: (_, c) => {
          t0 = performance.now(); // the calibration before the first run is not a run's time
          const what = c.algo === BASELINE ? 'the non-private baseline' : `at ε ${c.targetEpsilon}`;
          this.current = `${ALGO_LABELS[c.algo]}, ${what}, seed ${c.seed}`;
          store.setJobText(`frontier: ${this.current}`);
          this.changed();
        },
        onRun: () => {
          this.spentS += (performance.now() - t0) / 1000;
          this.doneHere++;
          t0 = performance.now();
          this.changed();
        },
      });
    } catch (e) {
      this.error = (e as Error).message;
    } finally {
      store.unlock('frontier');
      this.current = '';
      this.state = this.result.complete ? 'done' : 'stopped';
      this.changed();
    }
  }

  stop(): void {
    this.abort?.abort();
  }
}

export const frontierJob = new FrontierJob();
