// A kernel program: its WGSL, entry point and pipeline-overridable constants; pipelines are
// cached per device, as in tfjs-backend-webgpu. Dispatches bind buffers by the names the shader
// declares (checked with webgpu-utils' reflection) and fill uniform structs through its
// structured views (names, not hand-computed byte offsets). The binding order every shader
// follows is in shaders/README.md.
import { makeShaderDataDefinitions, makeStructuredView, type StructuredView } from 'webgpu-utils';
import gridLib from '../../shaders/lib/grid.wgsl?raw';
import rowsLib from '../../shaders/lib/rows.wgsl?raw';
import philoxLib from '../../shaders/lib/philox.wgsl?raw';
import stepLib from '../../shaders/lib/step.wgsl?raw';
import clipLib from '../../shaders/lib/clip.wgsl?raw';
import optimLib from '../../shaders/lib/optim.wgsl?raw';
import spansLib from '../../shaders/lib/spans.wgsl?raw';

export interface Program {
  name: string;
  code: string;
  entry?: string;
  constants?: Record<string, number | boolean>;
  /**
   * Threads per workgroup along x of an entry that indexes threads with global_index
   * (shaders/lib/grid.wgsl): the one place the size is written. The pipeline passes it to the
   * shader as WG and gridFor() sizes the dispatch with it. Absent for entries with their own
   * fixed shape (matmul's 8x8 tiles, the loss's one workgroup, the sort's local blocks).
   */
  workgroup?: number;
}

/** Threads per workgroup of the kernels that do not need another size. */
export const WORKGROUP = 64;

export interface Libs {
  philox?: boolean;
  step?: boolean;
  clip?: boolean;
  optim?: boolean;
  rows?: boolean;
  spans?: boolean;
}

/** Prepends the grid helper and the libraries a kernel uses, and registers the result. */
export function withLibs(code: string, libs: Libs = {}): string {
  const parts = [
    gridLib,
    libs.rows && rowsLib,
    libs.philox && philoxLib,
    libs.step && stepLib,
    libs.clip && clipLib,
    libs.optim && optimLib,
    libs.spans && spansLib,
  ];
  return register(parts.filter(Boolean).join('\n') + '\n' + code);
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
      throw new Error(
        `WGSL compilation failed (${name.slice(0, 60)}): ` +
          errors.map((e) => `line ${e.lineNum}: ${e.message}`).join('; '),
      );
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

// Pipelines per device, keyed by the shader code itself (not a name or its length: two kernels
// of the same length must never share a pipeline), then by entry point and constants.
const pipelineCache = new WeakMap<GPUDevice, Map<string, Map<string, GPUComputePipeline>>>();
const moduleCache = new WeakMap<GPUDevice, Map<string, GPUShaderModule>>();

/** The pipeline's override constants: the program's own, and WG from its workgroup size. */
function pipelineConstants(p: Program): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(p.constants ?? {})) out[k] = Number(v);
  if (p.workgroup !== undefined) out.WG = p.workgroup;
  return out;
}

/** Entry point and constants: what tells pipelines of the same code apart. */
export function programKey(p: Program): string {
  const c = Object.entries(pipelineConstants(p))
    .sort()
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  return `${p.entry ?? 'main'}:${c}`;
}

export function getPipeline(device: GPUDevice, p: Program): GPUComputePipeline {
  let byCode = pipelineCache.get(device);
  if (!byCode) pipelineCache.set(device, (byCode = new Map()));
  let cache = byCode.get(p.code);
  if (!cache) byCode.set(p.code, (cache = new Map()));
  const key = programKey(p);
  let pipe = cache.get(key);
  if (!pipe) {
    const module = getModule(device, p.code);
    const constants = pipelineConstants(p);
    pipe = device.createComputePipeline({
      label: `${p.name}:${key}`,
      layout: 'auto',
      compute: { module, entryPoint: p.entry ?? 'main', constants },
    });
    cache.set(key, pipe);
  }
  return pipe;
}

type Definitions = ReturnType<typeof makeShaderDataDefinitions>;
const defsCache = new Map<string, Definitions>();
function definitions(code: string): Definitions {
  let defs = defsCache.get(code);
  if (!defs) defsCache.set(code, (defs = makeShaderDataDefinitions(code)));
  return defs;
}

/** A structured view of the uniform `name` declared in `code`. */
export function uniformView(code: string, name: string): StructuredView {
  const def = definitions(code).uniforms[name];
  if (!def) throw new Error(`uniform ${name} not found`);
  return makeStructuredView(def);
}

/** Sets every field of `view`, exactly: a forgotten one would silently be 0 (a shard of 0 rows, no noise). */
export function setExactly(view: StructuredView, name: string, values: Record<string, unknown>): void {
  const fields = Object.keys(view.views as object);
  const missing = fields.filter((f) => !(f in values));
  const unknown = Object.keys(values).filter((f) => !fields.includes(f));
  if (missing.length || unknown.length)
    throw new Error(
      `uniform ${name}: ${missing.length ? `missing ${missing.join(', ')}` : ''}${missing.length && unknown.length ? '; ' : ''}` +
        `${unknown.length ? `unknown ${unknown.join(', ')}` : ''}`,
    );
  view.set(values);
}

/** A uniform buffer holding `values` for the uniform `name` of `code`. */
export function makeUniform(device: GPUDevice, code: string, name: string, values: object): GPUBuffer {
  const view = uniformView(code, name);
  setExactly(view, name, values as Record<string, unknown>);
  const buf = device.createBuffer({
    label: name,
    size: view.arrayBuffer.byteLength,
    usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
  });
  device.queue.writeBuffer(buf, 0, view.arrayBuffer);
  return buf;
}

const MAX_X = 65535;
/**
 * Workgroup grid for n threads; kernels index 2-D grids as g.x + g.y * num_workgroups.x * wg.
 * Past 65535 workgroups the groups are split evenly over y rows (65536 is [32768, 2], not
 * [65535, 2], which would launch twice the work with half of it idle): x * y - groups < y.
 */
export function grid(n: number, workgroup: number): [number, number] {
  const groups = Math.max(1, Math.ceil(n / workgroup));
  if (groups <= MAX_X) return [groups, 1];
  const y = Math.ceil(groups / MAX_X);
  if (y > MAX_X) throw new RangeError(`grid: ${n} threads need more than 65535 x 65535 workgroups of ${workgroup}`);
  return [Math.ceil(groups / y), y];
}

/** The grid for n threads of program p (its own workgroup size). */
export function gridFor(p: Program, n: number): [number, number] {
  if (p.workgroup === undefined) throw new Error(`kernel ${p.name}: no workgroup size for a thread grid`);
  return grid(n, p.workgroup);
}

export interface Dispatch {
  pipeline: GPUComputePipeline;
  bindGroup: GPUBindGroup;
  groups: [number, number, number?];
  label?: string;
  /** uniform buffers made for this dispatch alone (destroyed with it) */
  owned: GPUBuffer[];
}

/**
 * A whole buffer, or a range of one (offset a multiple of minStorageBufferOffsetAlignment, 256
 * bytes): e.g. one table's part of the sorted pairs that every table shares.
 */
export type BufferArg = GPUBuffer | GPUBufferBinding;

/** Bytes offset .. offset + size of `buffer`, bound as if it were a buffer of its own. */
export function bufferRange(buffer: GPUBuffer, offset: number, size: number): GPUBufferBinding {
  if (offset % 256) throw new Error(`bufferRange: offset ${offset} is not a multiple of 256 bytes`);
  return { buffer, offset, size };
}

function isRange(b: BufferArg): b is GPUBufferBinding {
  return (b as GPUBufferBinding).buffer !== undefined;
}

/** Buffers by the names the shader declares (`var<storage> E`, `var<uniform> st`, ...). */
export type Buffers = Readonly<Record<string, BufferArg | null | undefined>>;

const dummies = new WeakMap<GPUDevice, GPUBuffer>();
/** A 16-byte zero buffer for a binding the entry point declares but this use never reads. */
export function dummyBuffer(device: GPUDevice): GPUBuffer {
  let d = dummies.get(device);
  if (!d)
    dummies.set(
      device,
      (d = device.createBuffer({
        label: 'dummy',
        size: 16,
        usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC,
      })),
    );
  return d;
}

/**
 * A dispatch of program `p` with its bindings given by name and checked against the shader's
 * declarations (webgpu-utils reflection): a name the module does not declare, or one the entry
 * point uses and `buffers` lacks, is an error naming it. `uniforms` are the values of uniform
 * structs made for this dispatch (every field, exactly); declared names the entry does not use
 * are left out of the bind group (layout 'auto' holds only what the entry uses).
 */
export function makeDispatch(
  device: GPUDevice,
  p: Program,
  buffers: Buffers,
  groups: [number, number, number?],
  uniforms: Record<string, object> = {},
): Dispatch {
  const defs = definitions(p.code);
  const entry = p.entry ?? 'main';
  const ep = defs.entryPoints[entry];
  if (!ep) throw new Error(`kernel ${p.name}: no entry point ${entry}`);
  const declared = new Set([...Object.keys(defs.uniforms), ...Object.keys(defs.storages)]);
  const where = `kernel ${p.name} (${entry})`;
  for (const name of [...Object.keys(buffers), ...Object.keys(uniforms)])
    if (!declared.has(name))
      throw new Error(`${where}: unknown binding ${name} (the shader declares ${[...declared].join(', ')})`);
  const owned: GPUBuffer[] = [];
  const entries: GPUBindGroupEntry[] = [];
  for (const r of ep.resources) {
    if (r.group !== 0) throw new Error(`${where}: ${r.name} is in group ${r.group}; kernels use group 0 only`);
    let buf = buffers[r.name];
    if (!buf && uniforms[r.name]) {
      const made = makeUniform(device, p.code, r.name, uniforms[r.name]);
      owned.push(made);
      buf = made;
    }
    if (!buf) throw new Error(`${where}: missing binding ${r.name}`);
    entries.push({ binding: r.entry.binding, resource: isRange(buf) ? buf : { buffer: buf } });
  }
  const pipeline = getPipeline(device, p);
  const bindGroup = device.createBindGroup({ label: p.name, layout: pipeline.getBindGroupLayout(0), entries });
  return { pipeline, bindGroup, groups, label: p.name, owned };
}

/** One span of lib/spans.wgsl: rows rowStart .. rowStart + rows of `table`, stored from row `base`. */
export interface Span {
  table: number;
  base: number;
  rowStart: number;
  rows: number;
}

/** A small read-only storage buffer holding `data` (a kernel's table of sizes or spans). */
export function u32Storage(device: GPUDevice, label: string, data: ArrayLike<number>): GPUBuffer {
  const words = Uint32Array.from(data);
  const buf = device.createBuffer({
    label,
    size: Math.max(16, words.byteLength),
    usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST,
  });
  device.queue.writeBuffer(buf, 0, words);
  return buf;
}

/** The spans' storage buffer (owned by the dispatch it is given to). */
export function spansBuffer(device: GPUDevice, spans: Span[]): GPUBuffer {
  if (!spans.length) throw new Error('spans: at least one');
  return u32Storage(
    device,
    'spans',
    spans.flatMap((s) => [s.table, s.base, s.rowStart, s.rows]),
  );
}

/** A dispatch made by `make` with the spans' buffer, which the dispatch then owns. */
export function withSpans(device: GPUDevice, spans: Span[], make: (sp: GPUBuffer) => Dispatch): Dispatch {
  const sp = spansBuffer(device, spans);
  const d = make(sp);
  d.owned.push(sp);
  return d;
}

/** Stored rows up to the end of the last span. */
export function storedRows(spans: Span[]): number {
  const s = spans[spans.length - 1];
  return s.base + s.rows;
}

export function encode(pass: GPUComputePassEncoder, d: Dispatch): void {
  pass.setPipeline(d.pipeline);
  pass.setBindGroup(0, d.bindGroup);
  pass.dispatchWorkgroups(d.groups[0], d.groups[1], d.groups[2] ?? 1);
}
