// What the CLI writes and reads as files: --export only to a new path or over a regular file it
// may write (never through or over a link, a FIFO or a device; refused before training), never a
// partial file left behind; a checkpoint holding NaN refused by --resume; and a --config file
// with a UTF-8 byte order mark.
// "May write" is decided by the mode bits as well as access(2): these tests run as root, for whom
// access(2) allows every file, so a file without a write bit must be refused by its mode.
import { describe, expect, it, beforeAll } from 'vitest';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { TINY_MODEL } from '../helpers/cli';
import { checkExportPath, writeFileAtomic } from '../../src/cli/export-file';
import { configFromFlags } from '../../src/cli/args';
import { decodeSafetensors, encodeSafetensors } from '../../src/engine/safetensors';

const root = path.resolve(__dirname, '../..');
const dir = mkdtempSync(path.join(tmpdir(), 'dplab-files-'));
const TINY = [...TINY_MODEL, '--steps', '2', '--eval-every', '2'];

function cli(args: string[]) {
  const r = spawnSync('node', ['dist-cli/cli.mjs', ...args], { cwd: root, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** Partial files anywhere under the test folder. */
const partials = () => readdirSync(dir, { recursive: true }).filter((f) => String(f).includes('.partial-'));

/** A train run with --export `target` that must be refused before a single step, naming `why`. */
function refusedBeforeTraining(target: string, why: RegExp): void {
  const r = cli(['train', ...TINY, '--export', target]);
  expect(r.code, r.out).not.toBe(0);
  expect(r.err).toMatch(why);
  expect(r.out).not.toMatch(/^step/m); // nothing trained
  expect(partials()).toEqual([]);
}

beforeAll(() => {
  execFileSync('node', ['scripts/build-cli.mjs', '--quiet'], { cwd: root });
});

describe('--export refuses what is not a new path or a writable regular file, before training', () => {
  it('a FIFO stays a FIFO', () => {
    const fifo = path.join(dir, 'pipe.safetensors');
    execFileSync('mkfifo', [fifo]);
    refusedBeforeTraining(fifo, /export: .*pipe\.safetensors is a FIFO \(named pipe\): export writes only a new file/);
    expect(lstatSync(fifo).isFIFO()).toBe(true);
  });

  it('a symbolic link is neither followed nor replaced', () => {
    const target = path.join(dir, 'real.txt');
    writeFileSync(target, 'keep me');
    const link = path.join(dir, 'link.safetensors');
    symlinkSync(target, link);
    refusedBeforeTraining(link, /export: .*link\.safetensors is a symbolic link/);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readlinkSync(link)).toBe(target);
    expect(readFileSync(target, 'utf8')).toBe('keep me');
  });

  it('a read-only file (no write bit) is kept, even for root', () => {
    const ro = path.join(dir, 'ro.safetensors');
    writeFileSync(ro, 'read only');
    chmodSync(ro, 0o444);
    refusedBeforeTraining(ro, /export: .*ro\.safetensors is read-only \(mode 444\).*chmod u\+w/);
    expect(readFileSync(ro, 'utf8')).toBe('read only');
  });

  it('a device node in a scratch folder stays (where mknod is allowed)', (ctx) => {
    const dev = path.join(dir, 'null.safetensors');
    if (spawnSync('mknod', [dev, 'c', '1', '3']).status !== 0) ctx.skip();
    refusedBeforeTraining(dev, /export: .*null\.safetensors is a character device/);
    expect(lstatSync(dev).isCharacterDevice()).toBe(true);
  });

  it('a trailing slash into a missing folder, and an empty path, get specific messages', () => {
    const sub = path.join(dir, 'newdir') + '/';
    refusedBeforeTraining(
      sub,
      /export: .*newdir\/ names a folder .*give a file name such as .*newdir\/model\.safetensors/,
    );
    expect(existsSync(path.join(dir, 'newdir'))).toBe(false);
    const empty = cli(['train', ...TINY, '--export', '']);
    expect(empty.code).not.toBe(0);
    expect(empty.err).toMatch(/export: the path is empty: give a file name such as model\.safetensors/);
    expect(empty.out).not.toMatch(/^step/m);
  });

  it('a writable regular file is replaced by the model, with no partial file left; --resume refuses NaN weights', () => {
    const file = path.join(dir, 'old.safetensors');
    writeFileSync(file, 'old contents');
    const r = cli(['train', ...TINY, '--json', '--export', file]);
    expect(r.code, r.err).toBe(0);
    expect(readFileSync(file).subarray(0, 20).toString()).not.toBe('old contents');
    expect(lstatSync(file).isFile()).toBe(true);
    expect(partials()).toEqual([]);
    // the same file with one NaN weight: --resume refuses it on load, naming the tensor
    const { tensors, metadata } = decodeSafetensors(new Uint8Array(readFileSync(file)));
    tensors.get('tables.1')!.data[5] = NaN;
    const nan = path.join(dir, 'nan.safetensors');
    writeFileSync(nan, encodeSafetensors([...tensors.values()], metadata));
    const r2 = cli(['train', '--resume', nan, '--steps', '4']);
    expect(r2.code).not.toBe(0);
    expect(r2.err).toMatch(/--resume .*nan\.safetensors: checkpoint: tensor tables\.1 holds NaN \(value 5\)/);
    expect(r2.out).not.toMatch(/^step/m);
  });
});

describe('export paths, checked without training (src/cli/export-file.ts)', () => {
  it('/dev/null is refused as a character device (it is only checked, never written)', () => {
    expect(() => checkExportPath('export', '/dev/null')).toThrow(/export: \/dev\/null is a character device/);
  });

  it('`.` and `..` name folders; a missing folder is named', () => {
    expect(() => checkExportPath('export', path.join(dir, 'nowhere') + '/.')).toThrow(/names a folder/);
    expect(() => checkExportPath('export-init', '..')).toThrow(/export-init: \.\. names a folder/);
    expect(() => checkExportPath('export', path.join(dir, 'nowhere', 'm.safetensors'))).toThrow(
      /the folder .*nowhere does not exist/,
    );
  });

  it('a failure while writing leaves neither the file nor a partial one', async () => {
    const file = path.join(dir, 'fails.safetensors');
    await expect(
      writeFileAtomic('export', file, async (write) => {
        write(new Uint8Array(100));
        expect(partials().length).toBe(1); // the bytes go to the partial file first
        throw new Error('disk full');
      }),
    ).rejects.toThrow('disk full');
    expect(existsSync(file)).toBe(false);
    expect(partials()).toEqual([]);
  });

  it('a link or a folder put at the path during the run is refused at write time, and nothing is left', async () => {
    const target = path.join(dir, 'late-target.txt');
    writeFileSync(target, 'keep');
    const link = path.join(dir, 'late-link.safetensors');
    await expect(
      writeFileAtomic('export', link, async (write) => {
        write(new Uint8Array(8));
        symlinkSync(target, link);
      }),
    ).rejects.toThrow(/export: .*late-link\.safetensors is a symbolic link.*found at write time/);
    expect(readlinkSync(link)).toBe(target);
    expect(readFileSync(target, 'utf8')).toBe('keep');
    const folder = path.join(dir, 'late-folder');
    await expect(
      writeFileAtomic('export', folder, async (write) => {
        write(new Uint8Array(8));
        mkdirSync(folder);
      }),
    ).rejects.toThrow(/late-folder is a folder/);
    expect(partials()).toEqual([]);
  });
});

describe('an export interrupted by a signal', () => {
  it('SIGTERM while the model is written removes the partial file and ends the process by the signal', async () => {
    // export-file.ts alone, bundled for a child process that is killed mid-write
    const mod = path.join(dir, 'export-file.mjs');
    execFileSync('node', ['scripts/build-cli.mjs', '--quiet', '--entry', 'src/cli/export-file.ts', '--out', mod], {
      cwd: root,
    });
    const file = path.join(dir, 'killed.safetensors');
    const code = `import { writeFileAtomic } from ${JSON.stringify('file://' + mod)};
      await writeFileAtomic('export', ${JSON.stringify(file)}, async (write) => {
        write(new Uint8Array(64));
        console.log('writing');
        await new Promise(() => setInterval(() => undefined, 1000)); // a run that does not end
      });`;
    const child = spawn('node', ['--input-type=module', '-e', code], { stdio: ['ignore', 'pipe', 'pipe'] });
    await new Promise<void>((res) => child.stdout.on('data', (d: Buffer) => d.toString().includes('writing') && res()));
    expect(partials().length).toBe(1);
    const exited = new Promise<NodeJS.Signals | null>((res) => child.on('exit', (_, sig) => res(sig)));
    child.kill('SIGTERM');
    expect(await exited).toBe('SIGTERM');
    expect(partials()).toEqual([]);
    expect(existsSync(file)).toBe(false);
  });
});

describe('--config file', () => {
  it('a UTF-8 byte order mark is accepted', () => {
    const file = path.join(dir, 'bom.json');
    writeFileSync(file, '\uFEFF' + JSON.stringify({ steps: 7, algo: 'dpsgd' }));
    const { config } = configFromFlags({ config: file }, []);
    expect(config.steps).toBe(7);
    expect(config.algo).toBe('dpsgd');
  });
});
