// Where --export and --export-init may write, and how: only a new path or an existing regular
// file that may be written; never through or over a symbolic link, a FIFO, a device or a socket
// (as root, renaming over /dev/null would replace the system's). Checked before training, and
// again at write time, when the file is written to `<path>.partial-PID` in the same folder and
// renamed into place once complete; no failure leaves the partial file behind.
import {
  accessSync,
  closeSync,
  constants,
  lstatSync,
  openSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
  type Stats,
} from 'node:fs';
import { dirname, resolve as resolvePath } from 'node:path';
import { ConfigError } from '../config/config';

/** The temporary file a model is written to before it is renamed into place (same folder). */
export const tempPath = (path: string): string => `${path}.partial-${process.pid}`;

/** What a non-regular directory entry is, in words. */
function kindOf(st: Stats): string {
  if (st.isSymbolicLink()) return 'a symbolic link';
  if (st.isFIFO()) return 'a FIFO (named pipe)';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

/**
 * Why an existing entry at `full` may not be replaced by the export, or undefined (a new path, or
 * a regular file that may be written). "May be written" is decided by the mode bits as well as
 * access(2): root may write any file, but a file with no write bit is read-only here for everyone.
 */
function targetProblem(path: string, full: string): string | undefined {
  let st: Stats | undefined;
  try {
    st = lstatSync(full, { throwIfNoEntry: false });
  } catch (e) {
    return `cannot write ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`;
  }
  if (!st) return undefined;
  const base = path.replace(/\/+$/, '');
  if (st.isDirectory()) return `${path} is a folder; give a file name such as ${base}/model.safetensors`;
  if (!st.isFile())
    return `${path} is ${kindOf(st)}: export writes only a new file or over a regular file, never through or over a link or a special file; choose another name`;
  let writable = (st.mode & 0o222) !== 0;
  try {
    accessSync(full, constants.W_OK);
  } catch {
    writable = false;
  }
  if (!writable)
    return `${path} is read-only (mode ${(st.mode & 0o777).toString(8)}): export does not replace it; make it writable (chmod u+w) or choose another name`;
  return undefined;
}

/** A path that can only name a folder: empty, ending in a slash, `.` or `..`. */
function folderSyntax(path: string): string | undefined {
  if (path === '') return 'the path is empty: give a file name such as model.safetensors';
  if (/\/$/.test(path) || /(^|\/)\.\.?$/.test(path)) {
    const base = path.replace(/\/+$/, '');
    return `${path} names a folder (it ends in "${path.endsWith('/') ? '/' : base.split('/').pop()}"); give a file name such as ${base || '.'}/model.safetensors`;
  }
  return undefined;
}

/**
 * --export / --export-init checked before training: the path names a file, the folder exists, the
 * path is new or a writable regular file, and a file can be created beside it (a run of hours must
 * not end in "cannot write").
 */
export function checkExportPath(flag: string, path: string): void {
  const syntax = folderSyntax(path);
  if (syntax) throw new ConfigError(flag, syntax);
  const full = resolvePath(path);
  const problem = targetProblem(path, full);
  if (problem) throw new ConfigError(flag, problem);
  const dir = dirname(full);
  const d = statSync(dir, { throwIfNoEntry: false });
  if (!d?.isDirectory()) throw new ConfigError(flag, `cannot write ${path}: the folder ${dir} does not exist`);
  const probe = tempPath(full);
  try {
    closeSync(openSync(probe, 'wx'));
    unlinkSync(probe);
  } catch (e) {
    throw new ConfigError(
      flag,
      `cannot write ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message} (checked before training)`,
    );
  }
}

/** Removes `file` if it is there (a partial file on the way out); never throws. */
function removeQuietly(file: string): void {
  try {
    unlinkSync(file);
  } catch {
    // already gone, or never made
  }
}

/**
 * Writes the bytes `produce` hands over to `<path>.partial-PID` (created new, never through an
 * existing entry), then renames it over `path` after the target is checked again. Any failure,
 * a signal (SIGINT, SIGTERM) included, removes the partial file; the target is then untouched.
 */
export async function writeFileAtomic(
  flag: string,
  path: string,
  produce: (write: (bytes: Uint8Array) => void) => Promise<void>,
): Promise<void> {
  const full = resolvePath(path);
  const tmp = tempPath(full);
  const again = folderSyntax(path) ?? targetProblem(path, full);
  if (again) throw new ConfigError(flag, again);
  const fd = openSync(tmp, 'wx');
  let open = true;
  const onSignal = (sig: NodeJS.Signals) => {
    if (open) closeSync(fd);
    removeQuietly(tmp);
    process.kill(process.pid, sig); // the default action, now that the listener is gone
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    await produce((b) => {
      for (let off = 0; off < b.length;) off += writeSync(fd, b, off);
    });
    closeSync(fd);
    open = false;
    // the target may have changed during the run: checked again just before the rename
    const now = targetProblem(path, full);
    if (now) throw new ConfigError(flag, `${now} (found at write time; nothing was written)`);
    try {
      renameSync(tmp, full);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
      throw new ConfigError(flag, `cannot write ${path}: ${code} (nothing was written)`);
    }
  } catch (e) {
    if (open) closeSync(fd);
    removeQuietly(tmp);
    throw e;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
