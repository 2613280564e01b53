import { describe, expect, it } from 'vitest';
import { userMessage } from '../../src/engine/messages';

describe("Dawn's internal source paths never reach users", () => {
  it('strips node-webgpu and Dawn source paths, keeps what went wrong', () => {
    const raw =
      'Buffer size (17179869184) exceeds the max buffer size limit (2147483648).\n' +
      ' - While calling [Device].CreateBuffer([BufferDescriptor "tables.0"]).\n' +
      '    at ValidateBufferDescriptor (/home/runner/work/node-webgpu/node-webgpu/third_party/dawn/src/dawn/native/Buffer.cpp:312)\n' +
      '/home/runner/work/node-webgpu/node-webgpu/third_party/dawn/src/dawn/native/Device.cpp:1845';
    const m = userMessage(raw);
    expect(m).not.toMatch(/home\/runner|node-webgpu|\.cpp/);
    expect(m).toMatch(/^Buffer size \(17179869184\) exceeds the max buffer size limit/);
    expect(m).toMatch(/While calling \[Device\]\.CreateBuffer/);
    expect(userMessage('C:\\a\\node-webgpu\\third_party\\dawn\\src\\x.cpp:1 failed')).toBe(' failed');
    expect(userMessage('tables: must be >= 1, got -5 (see /home/me/config.json)')).toBe(
      'tables: must be >= 1, got -5 (see /home/me/config.json)',
    );
  });
});
