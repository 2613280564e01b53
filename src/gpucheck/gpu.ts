// The few GPU helpers the checks need (the tests' helpers live under tests/, not bundled).
import { encode, type Dispatch } from '../kernels/program';
import { StepUniform, type StepValues } from '../kernels/step';

export function buffer(device: GPUDevice, data: ArrayBufferView): GPUBuffer {
  const buf = device.createBuffer({
    size: Math.max(16, Math.ceil(data.byteLength / 4) * 4),
    usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
    mappedAtCreation: true,
  });
  new Uint8Array(buf.getMappedRange()).set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  buf.unmap();
  return buf;
}

export async function read(device: GPUDevice, src: GPUBuffer): Promise<ArrayBuffer> {
  const staging = device.createBuffer({ size: src.size, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  const enc = device.createCommandEncoder();
  enc.copyBufferToBuffer(src, 0, staging, 0, src.size);
  device.queue.submit([enc.finish()]);
  await staging.mapAsync(GPUMapMode.READ);
  const out = staging.getMappedRange().slice(0);
  staging.unmap();
  staging.destroy();
  return out;
}

export const f32 = async (device: GPUDevice, b: GPUBuffer) => new Float32Array(await read(device, b));
export const u32 = async (device: GPUDevice, b: GPUBuffer) => new Uint32Array(await read(device, b));

export function runAll(device: GPUDevice, ds: Dispatch[]): void {
  const enc = device.createCommandEncoder();
  const pass = enc.beginComputePass();
  for (const d of ds) encode(pass, d);
  pass.end();
  device.queue.submit([enc.finish()]);
}

export const stepUniform = (device: GPUDevice, st: StepValues) => new StepUniform(device, st).buffer;

/** Throws naming the first index where |got - want| > abs + rel |want|; returns the worst ratio. */
export function close(what: string, got: ArrayLike<number>, want: ArrayLike<number>, rel: number, abs: number): string {
  if (got.length < want.length) throw new Error(`${what}: ${got.length} values, want ${want.length}`);
  let worst = 0;
  for (let i = 0; i < want.length; i++) {
    const r = Math.abs(got[i] - want[i]) / (abs + rel * Math.abs(want[i]));
    if (!(r <= 1)) throw new Error(`${what}[${i}]: got ${got[i]}, want ${want[i]}`);
    worst = Math.max(worst, r);
  }
  return `worst ${(100 * worst).toFixed(1)}% of tolerance`;
}

/** Throws unless the two are equal element for element. */
export function equal(what: string, got: ArrayLike<number>, want: ArrayLike<number>): string {
  for (let i = 0; i < want.length; i++)
    if (got[i] !== want[i] && !(Number.isNaN(got[i]) && Number.isNaN(want[i])))
      throw new Error(`${what}[${i}]: got ${got[i]}, want ${want[i]}`);
  return 'exact';
}
