import { describe, expect, it } from 'vitest';
import { getTestDevice, makeBuffer, readBuffer } from './helpers/gpu';

describe('WebGPU device', () => {
  it('runs a compute shader that doubles a buffer', async () => {
    const device = await getTestDevice();
    const data = new Float32Array([1, 2, 3, 4.5]);
    const buf = makeBuffer(device, data);
    const module = device.createShaderModule({
      code: `@group(0) @binding(0) var<storage, read_write> x: array<f32>;
      @compute @workgroup_size(4) fn main(@builtin(global_invocation_id) g: vec3u) { x[g.x] = 2.0 * x[g.x]; }`,
    });
    const pipeline = device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint: 'main' } });
    const bg = device.createBindGroup({
      layout: pipeline.getBindGroupLayout(0),
      entries: [{ binding: 0, resource: { buffer: buf } }],
    });
    const enc = device.createCommandEncoder();
    const pass = enc.beginComputePass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bg);
    pass.dispatchWorkgroups(1);
    pass.end();
    device.queue.submit([enc.finish()]);
    const out = new Float32Array(await readBuffer(device, buf));
    expect(Array.from(out)).toEqual([2, 4, 6, 9]);
  });
});
