// Threads per workgroup along x, written once: the pipeline sets it from the kernel's
// Program.workgroup (src/kernels/program.ts), which also sizes the dispatch grid.
override WG: u32;

// The global thread index. A grid of more than 65535 workgroups spills into y (grid() in
// src/kernels/program.ts), so thread (x, y) is x + y * (workgroups along x) * WG.
fn global_index(g: vec3u, nw: vec3u) -> u32 {
  return g.x + g.y * nw.x * WG;
}
