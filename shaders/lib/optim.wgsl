// Optimizer hyperparameters and this step's Adam bias corrections c1 = 1/(1-b1^t),
// c2 = 1/(1-b2^t), written every step; shared by the table (table_optim.wgsl) and MLP
// (mlp_update.wgsl) passes. wd is the tables' weight decay.
struct Optim { wd: f32, mu: f32, b1: f32, b2: f32, eps: f32, c1: f32, c2: f32 }
