// The factor s(k) an example's gradient is scaled by when a layer accumulates it:
// mode 0: 1 (sgd); 1: v is the flat clip factor from clip.wgsl; 2: v is this layer's squared
// per-example norm and the per-layer factor min(1, C_l / ||g||) is computed here (FlashDP style).
fn clip_scale(mode: u32, v: f32, clipSq: f32) -> f32 {
  if (mode == 1u) { return v; }
  if (mode == 2u) {
    if (v <= clipSq) { return 1.0; }
    return sqrt(clipSq / v);
  }
  return 1.0;
}
