// One real WebGPU device per test file (Dawn in node; SwiftShader when there is no GPU).
import { getNodeAdapter } from '../../src/node/dawn';
import { requestLabDevice } from '../../src/engine/device';
import { encode, type Dispatch } from '../../src/kernels/program';
import { StepUniform, type StepValues } from '../../src/kernels/step';

let devicePromise: Promise<GPUDevice> | null = null;

export function getTestDevice(): Promise<GPUDevice> {
  devicePromise ??= (async () => {
    const { adapter } = await getNodeAdapter();
    const device = await requestLabDevice(adapter);
    device.addEventListener('uncapturederror', (e) => {
      console.error('WebGPU error:', (e as GPUUncapturedErrorEvent).error.message);
    });
    return device;
  })();
  return devicePromise;
}

/** Copies a GPU buffer back to the CPU. */
export async function readBuffer(device: GPUDevice, src: GPUBuffer, size = src.size, offset = 0): Promise<ArrayBuffer> {
  const staging = device.createBuffer({ size, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  const enc = device.createCommandEncoder();
  enc.copyBufferToBuffer(src, offset, staging, 0, size);
  device.queue.submit([enc.finish()]);
  await staging.mapAsync(GPUMapMode.READ);
  const out = staging.getMappedRange().slice(0);
  staging.unmap();
  staging.destroy();
  return out;
}

export function makeBuffer(device: GPUDevice, data: ArrayBufferView, usage = 0): GPUBuffer {
  const size = Math.max(16, Math.ceil(data.byteLength / 4) * 4);
  const buf = device.createBuffer({
    size,
    usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST | usage,
    mappedAtCreation: true,
  });
  new Uint8Array(buf.getMappedRange()).set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  buf.unmap();
  return buf;
}

/** Fails with the shader compiler's message rather than a silent wrong result. */
export async function withValidation<T>(device: GPUDevice, fn: () => T | Promise<T>): Promise<T> {
  device.pushErrorScope('validation');
  const out = await fn();
  const err = await device.popErrorScope();
  if (err) throw new Error('WebGPU validation error: ' + err.message);
  return out;
}

/** Encodes the dispatches in one compute pass and submits it. */
export function runDispatches(device: GPUDevice, ds: Dispatch[]): void {
  const enc = device.createCommandEncoder();
  const pass = enc.beginComputePass();
  for (const d of ds) encode(pass, d);
  pass.end();
  device.queue.submit([enc.finish()]);
}

/** A uniform buffer holding struct Step (shaders/lib/step.wgsl) for these values. */
export function stepUniform(device: GPUDevice, st: StepValues): GPUBuffer {
  return new StepUniform(device, st).buffer;
}
