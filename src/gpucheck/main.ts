// gpucheck: every kernel against its TypeScript reference, whole steps against the reference
// step, lazy = eager and the noise layout, on whatever adapter Dawn finds. Bundled into
// dist-gpucheck/gpucheck.mjs (npm run build:gpucheck), which needs only the `webgpu` package:
//   node dist-gpucheck/gpucheck.mjs [--json] [--only <substring>]
// Exit status 0 when every check passes, 1 when one fails, 2 when no device opens.
import '../node/float16-shim';
import { getNodeAdapter } from '../node/dawn';
import { requestLabDevice, describeDevice } from '../engine/device';
import { checkShaders } from '../kernels/program';
import { runChecks, type Check, type CheckResult } from './check';
import { kernelChecks, lazyChecks } from './kernels';
import { engineChecks } from './engine';
import { festChecks } from './fest';

export const ALL_CHECKS: Check[] = [
  { name: 'every shader compiles', run: async (d) => void (await checkShaders(d)) },
  ...kernelChecks,
  ...lazyChecks,
  ...engineChecks,
  ...festChecks,
];

async function main(argv: string[]): Promise<number> {
  const json = argv.includes('--json');
  const only = argv.includes('--only') ? argv[argv.indexOf('--only') + 1] : undefined;
  let device: GPUDevice, adapter: Record<string, unknown>;
  try {
    const got = await getNodeAdapter();
    device = await requestLabDevice(got.adapter);
    adapter = { ...describeDevice(got.adapter, device), ...(got.note ? { adapterNote: got.note } : {}) };
  } catch (e) {
    const error = e instanceof Error ? e.message : String(e);
    console.log(json ? JSON.stringify({ ok: false, error }) : `no device: ${error}`);
    return 2;
  }
  const checks = ALL_CHECKS.filter((c) => !only || c.name.includes(only));
  // with --json the lines go to stderr as each check ends, so a call cut off midway still shows
  // which checks ran; stdout then holds the one JSON document
  const say = json ? console.error : console.log;
  say(`adapter: ${JSON.stringify(adapter)}`);
  const print = (r: CheckResult) =>
    say(`${r.pass ? 'PASS' : 'FAIL'}  ${r.name}  (${r.ms} ms${r.detail ? `; ${r.detail}` : ''})`);
  const results = await runChecks(device, checks, print);
  const failed = results.filter((r) => !r.pass).length;
  if (json)
    console.log(
      JSON.stringify({ ok: failed === 0, adapter, passed: results.length - failed, failed, checks: results }),
    );
  else console.log(`${results.length - failed} passed, ${failed} failed`);
  device.destroy();
  return failed ? 1 : 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e) => {
    console.error(e);
    process.exit(2);
  },
);
