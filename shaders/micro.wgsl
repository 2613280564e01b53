// Micro-batches (src/engine/micro.ts): the clipped gradients of the micro-batches of one logical
// batch add up in place, and the logical step applies them once.
//   add:   acc[i] += x[i]                      (the MLP's gradients, micro-batch after micro-batch)
//   zero:  acc[i] = 0                          (after the step's update read them)
//   apply: E[i] -= lr / B * G[i]; G[i] = 0     (one shard's rows: the sparse SGD step, every row;
//                                               an untouched row has G = 0 and stays bit for bit)

struct Micro { n: u32 }

@group(0) @binding(0) var<uniform> u: Micro;
@group(0) @binding(1) var<uniform> st: Step;
@group(0) @binding(2) var<storage, read_write> acc: array<f32>;
@group(0) @binding(3) var<storage, read> x: array<f32>;

@compute @workgroup_size(WG)
fn add(@builtin(global_invocation_id) g: vec3u, @builtin(num_workgroups) nw: vec3u) {
  let i = global_index(g, nw);
  if (i >= u.n) { return; }
  acc[i] += x[i];
}

@compute @workgroup_size(WG)
fn zero(@builtin(global_invocation_id) g: vec3u, @builtin(num_workgroups) nw: vec3u) {
  let i = global_index(g, nw);
  if (i >= u.n) { return; }
  acc[i] = 0.0;
}

@group(0) @binding(4) var<storage, read_write> E: array<f32>;

@compute @workgroup_size(WG)
fn apply(@builtin(global_invocation_id) g: vec3u, @builtin(num_workgroups) nw: vec3u) {
  let i = global_index(g, nw);
  if (i >= u.n) { return; }
  E[i] -= st.lr * st.invB * acc[i];
  acc[i] = 0.0;
}
