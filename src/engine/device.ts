// Requests a device with the adapter's own maxima for buffer and binding sizes (the defaults
// are far below what a server GPU allows) and the optional features the engine uses.

export interface DeviceInfo {
  vendor: string;
  architecture: string;
  description: string;
  features: string[];
  limits: Record<string, number>;
  timestamps: boolean;
  subgroups: boolean;
}

const WANTED_LIMITS = [
  'maxBufferSize',
  'maxStorageBufferBindingSize',
  'maxStorageBuffersPerShaderStage',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupSizeY',
  'maxComputeWorkgroupsPerDimension',
  'maxBindGroups',
] as const;

export async function requestLabDevice(adapter: GPUAdapter): Promise<GPUDevice> {
  const requiredLimits: Record<string, number> = {};
  for (const k of WANTED_LIMITS) requiredLimits[k] = (adapter.limits as unknown as Record<string, number>)[k];
  const requiredFeatures: GPUFeatureName[] = [];
  if (adapter.features.has('timestamp-query')) requiredFeatures.push('timestamp-query');
  return adapter.requestDevice({ requiredLimits, requiredFeatures });
}

export function describeDevice(adapter: GPUAdapter | null, device: GPUDevice): DeviceInfo {
  const info = (adapter?.info ?? (device as unknown as { adapterInfo?: GPUAdapterInfo }).adapterInfo) as
    GPUAdapterInfo | undefined;
  const limits: Record<string, number> = {};
  for (const k of WANTED_LIMITS) limits[k] = (device.limits as unknown as Record<string, number>)[k];
  return {
    vendor: info?.vendor ?? '',
    architecture: info?.architecture ?? '',
    description: info?.description ?? '',
    features: [...device.features].map(String).sort(),
    limits,
    timestamps: device.features.has('timestamp-query'),
    subgroups: adapter?.features.has('subgroups') ?? false,
  };
}
