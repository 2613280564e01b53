// Gets a WebGPU adapter in node through Dawn (the `webgpu` package). Where no Vulkan driver
// gives an adapter (no GPU), it retries with the SwiftShader ICD that Debian's chromium ships.
import { create, globals } from 'webgpu';

export const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

export interface NodeAdapter {
  adapter: GPUAdapter;
  /** set when the SwiftShader fallback was used */
  note?: string;
}

// The Dawn instance lives only as long as the object `create` returns is referenced: if it is
// garbage-collected, its adapters and devices are freed under our feet (the process then dies in
// a corrupted mutex). Keep every instance for the life of the process.
const instances: GPU[] = [];
function instance(): GPU {
  const gpu = create([]);
  instances.push(gpu);
  return gpu;
}

export async function getNodeAdapter(powerPreference: GPUPowerPreference = 'high-performance'): Promise<NodeAdapter> {
  Object.assign(globalThis, globals);
  let adapter = await instance().requestAdapter({ powerPreference });
  if (adapter) return { adapter };
  const { existsSync } = await import('node:fs');
  if (!process.env.VK_DRIVER_FILES && existsSync(SWIFTSHADER_ICD)) {
    process.env.VK_DRIVER_FILES = SWIFTSHADER_ICD;
    adapter = await instance().requestAdapter({ powerPreference });
    if (adapter)
      return {
        adapter,
        note: `no GPU adapter found; using SwiftShader (${SWIFTSHADER_ICD}), a CPU implementation of Vulkan`,
      };
  }
  throw new Error(
    "no WebGPU adapter: Dawn found no Vulkan driver. On a machine without a GPU install Debian's chromium (apt-get install chromium libvulkan1) for its SwiftShader ICD, or set VK_DRIVER_FILES.",
  );
}
