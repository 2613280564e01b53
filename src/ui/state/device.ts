// The GPU device: asking for it, noticing when it is lost (and telling the runner, whose trainers
// die with it), GPU errors nobody caught, and giving it back on page unload.

import { describeDevice, requestLabDevice } from '../../engine';
import { store } from './store';
import { probeTimestamps } from './timing';

export class LabDevice {
  adapter: GPUAdapter | null = null;
  device: GPUDevice | null = null;
  /** devices this page destroys on purpose: their `lost` is not an error */
  private released = new WeakSet<GPUDevice>();

  /** `onLost` runs before the store hears of the loss: the runner forgets every trainer on it. */
  constructor(private readonly onLost: () => void) {}

  get ready(): boolean {
    return !!this.device && store.deviceState === 'ready';
  }

  async connect(): Promise<boolean> {
    store.deviceConnecting();
    try {
      const adapter = await navigator.gpu.requestAdapter({ powerPreference: 'high-performance' });
      if (!adapter) {
        store.deviceFailed(false);
        return false;
      }
      const device = await requestLabDevice(adapter);
      device.lost.then((info) => this.lost(device, info));
      device.addEventListener('uncapturederror', (ev) => this.gpuError((ev as GPUUncapturedErrorEvent).error));
      this.adapter = adapter;
      this.device = device;
      const { maxBufferSize, maxStorageBufferBindingSize } = device.limits;
      store.deviceReady(describeDevice(adapter, device), { maxBufferSize, maxStorageBufferBindingSize });
      void probeTimestamps(device).then((p) => store.setTimestampProbe(p));
      return true;
    } catch (e) {
      store.deviceFailed(!!this.device, (e as Error).message ?? String(e));
      return false;
    }
  }

  private lost(device: GPUDevice, info: GPUDeviceLostInfo): void {
    if (this.released.has(device) || device !== this.device) return;
    this.device = null;
    this.onLost();
    store.deviceLost({
      id: 'device-lost',
      kind: 'error',
      title: 'The GPU device was lost',
      message:
        `${info.message || 'no message'} (reason: ${info.reason ?? 'unknown'}). The browser or the driver reset the GPU ` +
        '(a timeout, another tab, a driver update, or too much memory). Your configuration and the results so far are ' +
        'kept; reconnect to continue — the interrupted run starts over.',
      action: { label: 'Reconnect', run: () => void this.connect() },
    });
  }

  private gpuError(err: GPUError): void {
    const oom = err.constructor?.name === 'GPUOutOfMemoryError';
    store.banner({
      id: 'gpu-error',
      kind: 'error',
      title: oom ? 'Out of GPU memory' : /shader|WGSL/i.test(err.message) ? 'Shader error' : 'GPU error',
      message: oom ? `${err.message} — try fewer or smaller tables, a smaller batch or evalSize.` : err.message,
    });
  }

  /** Simulates a lost device (a debugging aid and the error-path test). */
  lose(): void {
    this.device?.destroy();
  }

  /** Gives the device back (page unload). */
  release(): void {
    if (this.device) {
      this.released.add(this.device);
      this.device.destroy();
    }
  }
}
