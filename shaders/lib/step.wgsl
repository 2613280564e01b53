// Values that change every step, written once per step before the step's passes.
struct Step {
  step: u32,        // 1-based step being trained
  lr: f32,          // learning rate of this step
  invB: f32,        // 1 / expected batch size
  noiseStd: f32,    // sigma * C (0 for sgd)
  key: vec2<u32>,   // Philox key = (seed low, seed high)
}
