// A kernel program: its WGSL, entry point and pipeline-overridable constants; pipelines are
// cached per device by a key, as in tfjs-backend-webgpu. Uniform structs are filled through
// webgpu-utils' structured views (names, not hand-computed byte offsets).
import { makeShaderDataDefinitions, makeStructuredView, type StructuredView } from 'webgpu-utils';
import philoxLib from '../../shaders/lib/philox.wgsl?raw';
import stepLib from '../../shaders/lib/step.wgsl?raw';
import clipLib from '../../shaders/lib/clip.wgsl?raw';
import optimLib from '../../shaders/lib/optim.wgsl?raw';

export interface Program {
  name: string;
  code: string;
  entry?: string;
  constants?: Record<string, number | boolean>;
  /** threads per workgroup along x, for grid(): the dispatch shape lives beside the shader */
  workgroup: number;
}

/** Prepends the libraries a kernel uses (Philox, the per-step uniform). */
export function withLibs(code: string, libs: { philox?: boolean; step?: boolean; clip?: boolean; optim?: boolean }): string {
  return register((libs.philox ? philoxLib + '\n' : '') + (libs.step ? stepLib + '\n' : '') + (libs.clip ? clipLib + '\n' : '') + (libs.optim ? optimLib + '\n' : '') + code);
}

const ALL_CODES = new Set<string>();
/** Registers a kernel's code so that checkShaders can compile it up front. */
export function register(code: string): string {
  ALL_CODES.add(code);
  return code;
}

const checked = new WeakSet<GPUDevice>();
/**
 * Compiles every registered WGSL module once and throws with the compiler's messages on an
 * error, so a broken shader is a clear message rather than a silently invalid pipeline.
 */
export async function checkShaders(device: GPUDevice): Promise<void> {
  if (checked.has(device)) return;
  for (const code of ALL_CODES) {
    const module = getModule(device, code);
    const info = await module.getCompilationInfo();
    const errors = info.messages.filter((m) => m.type === 'error');
    if (errors.length) {
      const name = /^\/\/ (.*)$/m.exec(code)?.[1] ?? 'kernel';
      throw new Error(`WGSL compilation failed (${name.slice(0, 60)}): ` + errors.map((e) => `line ${e.lineNum}: ${e.message}`).join('; '));
    }
  }
  checked.add(device);
}

function getModule(device: GPUDevice, code: string): GPUShaderModule {
  let mods = moduleCache.get(device);
  if (!mods) moduleCache.set(device, (mods = new Map()));
  let module = mods.get(code);
  if (!module) mods.set(code, (module = device.createShaderModule({ code })));
  return module;
}

const pipelineCache = new WeakMap<GPUDevice, Map<string, GPUComputePipeline>>();
const moduleCache = new WeakMap<GPUDevice, Map<string, GPUShaderModule>>();

export function programKey(p: Program): string {
  const c = p.constants ? Object.entries(p.constants).sort().map(([k, v]) => `${k}=${Number(v)}`).join(',') : '';
  return `${p.name}:${p.entry ?? 'main'}:${c}:${p.code.length}`;
}

export function getPipeline(device: GPUDevice, p: Program): GPUComputePipeline {
  let cache = pipelineCache.get(device);
  if (!cache) pipelineCache.set(device, (cache = new Map()));
  const key = programKey(p);
  let pipe = cache.get(key);
  if (!pipe) {
    const module = getModule(device, p.code);
    const constants: Record<string, number> = {};
    for (const [k, v] of Object.entries(p.constants ?? {})) constants[k] = Number(v);
    pipe = device.createComputePipeline({
      label: key,
      layout: 'auto',
      compute: { module, entryPoint: p.entry ?? 'main', constants },
    });
    cache.set(key, pipe);
  }
  return pipe;
}

const viewCache = new Map<string, ReturnType<typeof makeShaderDataDefinitions>>();

/** A structured view of the uniform `name` declared in `code`. */
export function uniformView(code: string, name: string): StructuredView {
  let defs = viewCache.get(code);
  if (!defs) viewCache.set(code, (defs = makeShaderDataDefinitions(code)));
  const def = defs.uniforms[name];
  if (!def) throw new Error(`uniform ${name} not found`);
  return makeStructuredView(def);
}

/** A uniform buffer holding `values` for the uniform `name` of `code`. */
export function makeUniform(device: GPUDevice, code: string, name: string, values: Record<string, unknown>): GPUBuffer {
  const view = uniformView(code, name);
  // Every field, exactly: a forgotten one would silently be 0 (a shard of 0 rows, no noise).
  const fields = Object.keys(view.views as object);
  const missing = fields.filter((f) => !(f in values));
  const unknown = Object.keys(values).filter((f) => !fields.includes(f));
  if (missing.length || unknown.length)
    throw new Error(`uniform ${name}: ${missing.length ? `missing ${missing.join(', ')}` : ''}${missing.length && unknown.length ? '; ' : ''}${unknown.length ? `unknown ${unknown.join(', ')}` : ''}`);
  view.set(values);
  const buf = device.createBuffer({ size: view.arrayBuffer.byteLength, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
  device.queue.writeBuffer(buf, 0, view.arrayBuffer);
  return buf;
}

const MAX_X = 65535;
/** Workgroup grid for n threads; kernels index 2-D grids as g.x + g.y * num_workgroups.x * wg. */
export function grid(n: number, workgroup: number): [number, number] {
  const groups = Math.max(1, Math.ceil(n / workgroup));
  if (groups <= MAX_X) return [groups, 1];
  return [MAX_X, Math.ceil(groups / MAX_X)];
}

export interface Dispatch {
  pipeline: GPUComputePipeline;
  bindGroup: GPUBindGroup;
  groups: [number, number, number?];
  label?: string;
}

/** Builds a dispatch with buffers bound in order of `bindings` (binding i = entry i). */
export function makeDispatch(
  device: GPUDevice,
  p: Program,
  bindings: (GPUBuffer | null)[],
  groups: [number, number, number?],
): Dispatch {
  const pipeline = getPipeline(device, p);
  const entries: GPUBindGroupEntry[] = [];
  bindings.forEach((b, i) => {
    if (b) entries.push({ binding: i, resource: { buffer: b } });
  });
  const bindGroup = device.createBindGroup({ label: p.name, layout: pipeline.getBindGroupLayout(0), entries });
  return { pipeline, bindGroup, groups, label: p.name };
}

export function encode(pass: GPUComputePassEncoder, d: Dispatch): void {
  pass.setPipeline(d.pipeline);
  pass.setBindGroup(0, d.bindGroup);
  pass.dispatchWorkgroups(d.groups[0], d.groups[1], d.groups[2] ?? 1);
}
