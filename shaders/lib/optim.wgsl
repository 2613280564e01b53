// Optimizer hyperparameters and this step's Adam bias corrections c1 = 1/(1-b1^t),
// c2 = 1/(1-b2^t), written every step; shared by the table (table_optim.wgsl) and MLP
// (mlp_update.wgsl) passes. wd is the tables' weight decay.
struct Optim { wd: f32, mu: f32, b1: f32, b2: f32, eps: f32, c1: f32, c2: f32 }

// One value's stateful updates (the math of src/kernels/optim.ts optimizerStep): the new state,
// and what lr multiplies in W -= lr * step.
fn momentum_update(o: Optim, m: f32, g: f32) -> f32 {
  return o.mu * m + g; // new m; the step is m itself
}

fn adam_update(o: Optim, m: f32, v: f32, g: f32) -> vec3f {
  let m2 = o.b1 * m + (1.0 - o.b1) * g;
  let v2 = o.b2 * v + (1.0 - o.b2) * g * g;
  return vec3f(m2, v2, (m2 * o.c1) / (sqrt(v2 * o.c2) + o.eps)); // new m, new v, step
}
