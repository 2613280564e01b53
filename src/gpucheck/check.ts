// A correctness check on whatever device Dawn gives: it throws on failure and returns a short
// note (how close) on success.
export interface Check {
  name: string;
  run(device: GPUDevice): Promise<string | void>;
}

export interface CheckResult {
  name: string;
  pass: boolean;
  ms: number;
  detail: string;
}

/** Runs every check (one failing does not stop the others), catching GPU validation errors too. */
export async function runChecks(
  device: GPUDevice,
  checks: Check[],
  onResult?: (r: CheckResult) => void,
): Promise<CheckResult[]> {
  const out: CheckResult[] = [];
  for (const c of checks) {
    const t0 = performance.now();
    let pass = true,
      detail: string;
    device.pushErrorScope('validation');
    try {
      detail = (await c.run(device)) ?? '';
    } catch (e) {
      pass = false;
      detail = e instanceof Error ? e.message : String(e);
    }
    const v = await device.popErrorScope();
    if (v) {
      pass = false;
      detail = `WebGPU validation error: ${v.message}${detail ? `; ${detail}` : ''}`;
    }
    const r = { name: c.name, pass, ms: Math.round(performance.now() - t0), detail };
    out.push(r);
    onResult?.(r);
  }
  return out;
}
