// The line under the micro-batch field: when the memory plan chose a micro-batch (the logical
// batch does not fit the memory limit in one pass) or the user set one, it says the logical
// batch, the micro-batch and that ε depends only on the logical batch.
import { LitElement, html, nothing } from 'lit';
import type { Config } from '../../config/config';
import { estimateMemory } from '../../engine';
import { sharedStyles } from '../styles';
import { store, StoreController } from '../state/store';

/** The note's text, or undefined when the batch runs in one pass (`planned`: the memory plan's micro-batch, 0 for none). */
export function microBatchText(c: Pick<Config, 'batch' | 'microBatch'>, planned: number): string | undefined {
  const micro = planned > 0 && planned < c.batch ? planned : 0;
  if (!micro) return undefined;
  const who = c.microBatch > 0 ? 'as set' : 'chosen by the memory plan: the whole batch does not fit the memory limit';
  return (
    `Logical batch ${c.batch.toLocaleString('en-US')} in micro-batches of ${micro.toLocaleString('en-US')} (${who}). ` +
    'The clipped gradients add up over the micro-batches and the noise is added once per logical batch: ε depends only on the logical batch.'
  );
}

export class MicroBatchNote extends LitElement {
  readonly storeCtl = new StoreController(this);
  static styles = [sharedStyles];

  render() {
    if (!store.limits || !store.configValid) return nothing;
    let planned: number;
    try {
      planned = estimateMemory(store.config, store.limits).microBatch;
    } catch {
      return nothing; // the memory meter says why
    }
    const text = microBatchText(store.config, planned);
    return text
      ? html`<p class="muted" style="margin:0;font-size:11px" id="micro-batch-note" role="note">${text}</p>`
      : nothing;
  }
}
customElements.define('micro-batch-note', MicroBatchNote);
