// The index format shared by the data sets and the GPU kernels.

/** An empty slot of a bag (fewer indices than `pooling`, or a missing categorical value): skipped. */
export const INVALID_ROW = 0xffffffff;
