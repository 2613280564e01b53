// Zoom on a chart's x axis by dragging across it, as in TensorBoard: a band follows the pointer
// and, on release, the chart's element sends a `zoom` event with the x range dragged over (the
// view decides what to do with it; the training view zooms all three of its charts). A press
// without a drag stays a click (the hover read-out is untouched).

import type { Chart } from 'chart.js';

/** what a `zoom` event carries: the x values (steps) at both ends of the drag, from < to */
export interface ZoomDetail {
  from: number;
  to: number;
}

/** a drag narrower than this (CSS px) is a click, not a zoom */
export const MIN_DRAG_PX = 6;

/**
 * The x range between two pixel positions on `chart`'s x scale, both ends clamped to the plot
 * area; undefined when the drag is too short to mean a zoom.
 */
export function dragRange(chart: Chart, x0: number, x1: number): ZoomDetail | undefined {
  const { left, right } = chart.chartArea;
  const clamp = (x: number) => Math.min(right, Math.max(left, x));
  const [a, b] = [clamp(x0), clamp(x1)].sort((p, q) => p - q);
  if (b - a < MIN_DRAG_PX) return undefined;
  const x = chart.scales.x;
  return { from: x.getValueForPixel(a)!, to: x.getValueForPixel(b)! };
}

/**
 * Lets the user drag across `box` (the element holding the chart's canvas) to choose an x range:
 * draws the band in `band` while dragging and dispatches `zoom` on `host` at release.
 * Returns a function that removes the listeners.
 */
export function dragZoom(host: HTMLElement, box: HTMLElement, band: HTMLElement, chart: () => Chart | undefined) {
  let start: number | undefined;
  const offset = (e: PointerEvent) => e.clientX - box.getBoundingClientRect().left;
  const show = (x0: number, x1: number) => {
    const c = chart();
    if (!c) return;
    const { left, right, top, bottom } = c.chartArea;
    const [a, b] = [x0, x1].map((x) => Math.min(right, Math.max(left, x))).sort((p, q) => p - q);
    Object.assign(band.style, { left: `${a}px`, width: `${b - a}px`, top: `${top}px`, height: `${bottom - top}px` });
    band.hidden = b - a < MIN_DRAG_PX;
  };
  const down = (e: PointerEvent) => {
    if (e.button !== 0 || !chart()) return;
    start = offset(e);
    box.setPointerCapture(e.pointerId);
  };
  const move = (e: PointerEvent) => {
    if (start !== undefined) show(start, offset(e));
  };
  const up = (e: PointerEvent) => {
    if (start === undefined) return;
    const c = chart();
    const range = c ? dragRange(c, start, offset(e)) : undefined;
    start = undefined;
    band.hidden = true;
    if (range)
      host.dispatchEvent(new CustomEvent<ZoomDetail>('zoom', { detail: range, bubbles: true, composed: true }));
  };
  const cancel = () => {
    start = undefined;
    band.hidden = true;
  };
  box.addEventListener('pointerdown', down);
  box.addEventListener('pointermove', move);
  box.addEventListener('pointerup', up);
  box.addEventListener('pointercancel', cancel);
  return () => {
    box.removeEventListener('pointerdown', down);
    box.removeEventListener('pointermove', move);
    box.removeEventListener('pointerup', up);
    box.removeEventListener('pointercancel', cancel);
  };
}
