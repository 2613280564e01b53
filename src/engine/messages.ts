// Messages from Dawn (the `webgpu` package) can carry its build machine's source paths, e.g.
// "/home/runner/work/node-webgpu/node-webgpu/third_party/dawn/src/dawn/native/Buffer.cpp:123":
// nothing a user can act on, and noise around the part that says what went wrong.
import { fmtBytes, type MemoryEstimate } from './memory';

// an absolute path (POSIX or Windows) that runs through Dawn's or node-webgpu's sources
const DAWN_PATH =
  /(?:[A-Za-z]:)?[\\/][^\s'"()]*?(?:node-webgpu|third_party[\\/]dawn|[\\/]dawn[\\/](?:src|native))[^\s'"()]*/gi;

/** The message without Dawn's internal source paths (lines that held only such a path go). */
export function userMessage(message: string): string {
  return message
    .split('\n')
    .map((line) =>
      line
        .replace(DAWN_PATH, '')
        .replace(/\s*\(\s*\)/g, '')
        .replace(/\s+at\s*$/, '')
        .trimEnd(),
    )
    .filter((line, i) => i === 0 || line.trim() !== '')
    .join('\n');
}

/** Dawn's label of the buffer it failed to create: `[BufferDescriptor "tables.0"]`. */
function failedBuffer(message: string): string | undefined {
  return /BufferDescriptor\s+"([^"]+)"/.exec(message)?.[1];
}

/**
 * The GPU ran out of memory building the model (the device has less free than memoryLimit
 * allowed): the buffer and the sizes in plain words, and what to change, without Dawn's calls
 * (CreateBuffer, [Device], VK_ERROR_...), which say nothing a user can act on.
 */
export function outOfMemoryMessage(dawnMessage: string, mem: MemoryEstimate, memoryLimit: number): string {
  const label = failedBuffer(dawnMessage);
  const size = label === undefined ? undefined : mem.buffers.find((b) => b.name === label)?.bytes;
  const what =
    label === undefined ? 'a buffer' : `the buffer ${label}${size === undefined ? '' : ` (${fmtBytes(size)})`}`;
  return (
    `the GPU ran out of memory creating ${what}: the model needs ${fmtBytes(mem.totalBytes)} in all, ` +
    `more than this GPU has free (memoryLimit ${memoryLimit} GiB is a cap, WebGPU does not report the real memory). ` +
    `Lower memoryLimit below ${fmtBytes(mem.totalBytes)} to what the GPU has free: the plan then names the table rows ` +
    'or batch that fit'
  );
}
