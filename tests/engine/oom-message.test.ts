// The GPU's out-of-memory error, as Dawn words it, becomes a plain message: the buffer and its
// size, the model's total, and what to change; none of Dawn's calls (CreateBuffer, [Device]).
import { describe, expect, it } from 'vitest';
import { makeConfig } from '../../src/config/config';
import { estimateMemory } from '../../src/engine/memory';
import { outOfMemoryMessage, userMessage } from '../../src/engine/messages';

// Dawn's out-of-memory error on Vulkan, as the webgpu package passes it on
const DAWN =
  'vkAllocateMemory failed with VK_ERROR_OUT_OF_DEVICE_MEMORY\n' +
  ' - While calling [Device].CreateBuffer([BufferDescriptor "tables.1"]).\n' +
  '    at CheckVkOOMThenSuccessImpl (/home/runner/work/node-webgpu/node-webgpu/third_party/dawn/src/dawn/native/vulkan/VulkanError.cpp:88)';

describe('out of GPU memory', () => {
  it('names the buffer, its size and the total, says what to change, hides Dawn', () => {
    const c = makeConfig({ tables: [1000, 2_000_000], dim: 16 });
    const mem = estimateMemory(c);
    const m = userMessage(outOfMemoryMessage(DAWN, mem, c.memoryLimit));
    expect(m).not.toMatch(/CreateBuffer|\[Device\]|VK_|vkAllocate|While calling|\.cpp/);
    expect(m).toMatch(/^the GPU ran out of memory creating the buffer tables\.1 \(122 MiB\): the model needs /);
    expect(m).toMatch(/Lower memoryLimit below [\d.]+ MiB to what the GPU has free/);
    // a message without a buffer label still says the sizes
    expect(outOfMemoryMessage('Out of memory.', mem, 1)).toMatch(/creating a buffer: the model needs/);
  });
});
