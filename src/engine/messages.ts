// Messages from Dawn (the `webgpu` package) can carry its build machine's source paths, e.g.
// "/home/runner/work/node-webgpu/node-webgpu/third_party/dawn/src/dawn/native/Buffer.cpp:123":
// nothing a user can act on, and noise around the part that says what went wrong.

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
