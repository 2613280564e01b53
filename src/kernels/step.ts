// The per-step values every noisy or updating kernel reads (struct Step in shaders/lib/step.wgsl),
// one uniform buffer written once per step through a webgpu-utils structured view.
import { type Key } from '../noise/philox';
import { setExactly, uniformView, withLibs } from './program';

export interface StepValues {
  /** 1-based step being trained */
  step: number;
  lr: number;
  /** 1 / expected batch size */
  invB: number;
  /** sigma * C (0 without noise) */
  noiseStd: number;
  key: Key;
}

const STEP_CODE = withLibs('@group(0) @binding(0) var<uniform> st: Step;', { step: true });

export class StepUniform {
  readonly buffer: GPUBuffer;
  private view = uniformView(STEP_CODE, 'st');
  constructor(
    private device: GPUDevice,
    values?: StepValues,
  ) {
    this.buffer = device.createBuffer({
      label: 'step',
      size: this.view.arrayBuffer.byteLength,
      usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
    });
    if (values) this.write(values);
  }

  write(values: StepValues): void {
    setExactly(this.view, 'Step', values as unknown as Record<string, unknown>);
    this.device.queue.writeBuffer(this.buffer, 0, this.view.arrayBuffer);
  }
}
