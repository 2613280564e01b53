// webgpu-utils 2 names Float16Array in its type table when it loads; Node 20 lacks it (Node 22+
// and current browsers have it). The lab's uniforms hold no f16 fields, so a stand-in that only
// lets the table load is enough. Imported first by the CLI and the tests.
const g = globalThis as unknown as { Float16Array?: unknown };
if (typeof g.Float16Array === 'undefined') g.Float16Array = Uint16Array;
export {};
