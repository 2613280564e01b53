// The share box (Share results in the header): a link with this configuration and, when there
// are any, the numbers measured here, copied to the clipboard as it opens. It renders inside dp-lab,
// whose styles (.sharebox) apply.

import { html, nothing } from 'lit';
import { copyText, shareLink } from '../state/share';
import { store } from '../state/store';
import { ALL_ALGOS } from '../styles';

export interface ShareState {
  url: string;
  withResults: boolean;
  copied: boolean;
}

/** The element that shows the box (dp-lab): `share` open, or undefined when closed. */
export interface ShareHost {
  share: ShareState | undefined;
}

/** Share results: makes the link, shows it, and copies it. */
export async function openShare(host: ShareHost): Promise<void> {
  const s = shareLink();
  host.share = { ...s, copied: false };
  const copied = await copyText(s.url);
  if (host.share?.url === s.url) host.share = { ...s, copied };
}

/** The box under the header: the link, what it carries, and a Copy button. */
export function shareBox(host: ShareHost) {
  const s = host.share!;
  return html`<div class="card sharebox" id="sharebox">
      <div class="row" style="justify-content:space-between">
        <h2>${s.withResults ? 'Link with your results' : 'Link to this configuration'}</h2>
        <button class="ghost" @click=${() => (host.share = undefined)}>✕</button>
      </div>
      <p class="small muted">
        ${
          s.withResults
            ? `Carries the configuration, this device, this browser, the date, and the per-stage and step medians measured here with each step's p10–p90 spread${store.sweep.some((p) => p.stepMs !== undefined) ? ' and the table-size sweep' : ''}. Whoever opens it sees your numbers beside a button that runs the same configuration on their GPU.`
            : `Nothing has been measured on this configuration yet: the link carries the configuration only. Train or run all ${ALL_ALGOS} algorithms to include results.`
        }
      </p>
      ${
        store.dataSource === 'criteo' && store.criteo
          ? html`<p class="note" data-share-data>
            These runs used the Criteo file <b>${store.criteo.name}</b>. A link cannot carry a file: it reproduces the configuration (26 tables,
            13 dense features, pooling 1, ${store.config.datasetSize.toLocaleString('en-US')} training examples), and whoever opens it must
            load the same file under Data → “Criteo TSV file…”; otherwise they train on the synthetic task.
          </p>`
          : nothing
      }
      <input id="share-link" readonly .value=${s.url} @focus=${(e: Event) => (e.target as HTMLInputElement).select()} />
      <div class="row" style="margin-top:8px">
        <button @click=${async () => (host.share = { ...s, copied: await copyText(s.url) })}>Copy</button>
        <span class="small ${s.copied ? '' : 'muted'}">${s.copied ? 'Copied to the clipboard.' : 'Select and copy the link.'}</span>
        <span class="spacer"></span>
        <span class="small muted">${s.url.length} characters</span>
      </div>
    </div>`;
}
