// The CLI's audit carries train's caveats: the same privacy object (guaranteed, reasons, notes), a
// verdict that says what it cannot mean when epsilon is no guarantee, decimal-only flags, a
// confidence printed without rounding up to 100%, and n/a for the median of an empty group.
import { beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import path from 'node:path';
import { auditFlags } from '../../src/cli/audit';
import { canaryMembership } from '../../src/audit/run';
import { TINY_MODEL } from '../helpers/cli';

const root = path.resolve(__dirname, '../..');
const TINY = [...TINY_MODEL, '--steps', '4', '--eval-every', '0'];

function cli(args: string[]) {
  const r = spawnSync('node', ['dist-cli/cli.mjs', 'audit', '--algo', 'dpsgd', ...TINY, ...args], {
    cwd: root,
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

beforeAll(() => {
  execFileSync('node', ['scripts/build-cli.mjs', '--quiet'], { cwd: root });
});

describe('audit flags', () => {
  it('--canaries and --audit-seed are decimal only, as config keys', () => {
    expect(() => auditFlags({ canaries: '0x10' })).toThrow(/canaries: .*in decimal, got 0x10/);
    expect(() => auditFlags({ 'audit-seed': '0x10' })).toThrow(/audit-seed: .*in decimal, got 0x10/);
    expect(() => auditFlags({ confidence: '0x1' })).toThrow(/confidence/);
    expect(auditFlags({ canaries: '16', 'audit-seed': '1e1' })).toMatchObject({ canaries: 16, auditSeed: 10 });
  });
});

describe('audit output keeps the caveats train gives', () => {
  it('sigma 0, --json: epsilon "Infinity" (never null), the privacy object, no claim to test', () => {
    const r = cli(['--sigma', '0', '--canaries', '8', '--json']);
    expect(r.code, r.err).toBe(0);
    const j = JSON.parse(r.out.trim().split('\n').pop()!);
    expect(j.epsilon).toBe('Infinity');
    expect(j.privacy.guaranteed).toBe(false);
    expect(j.privacy.epsilon).toBe('Infinity');
    expect(j.privacy.reasons.join(' ')).toMatch(/sigma 0 adds no noise/);
    expect(j.privacy.notes.length).toBeGreaterThan(0);
    expect(j.verdict).toBe('no-claim');
    expect(j.verdictText).toMatch(/no claim to test/);
  }, 150_000);

  it('a fixed seed: "not a guarantee"; 2 canaries all in: out median n/a; 0.999999999 is not 100%', () => {
    let seed = 0;
    while (!canaryMembership(seed, 2).every((b) => b)) seed++;
    const r = cli(['--seed', '7', '--canaries', '2', '--audit-seed', String(seed), '--confidence', '0.999999999']);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/out median n\/a \(no "out" canaries: .*all 2 in; use more canaries\)/);
    expect(r.out).not.toMatch(/NaN/);
    expect(r.out).toMatch(/\(99\.9999999% confidence\)/);
    expect(r.out).toMatch(/accountant epsilon [\d.]+ at delta 0\.00001 \(NOT a guarantee\)/);
    expect(r.out).toMatch(/consistent, but epsilon is NOT a guarantee/);
    expect(r.out).toMatch(/not a guarantee: fixed seed/);
    const j = JSON.parse(cli(['--seed', '7', '--canaries', '8', '--json']).out.trim().split('\n').pop()!);
    expect(j.privacy).toMatchObject({ guaranteed: false, accounting: 'prv-poisson-not-guaranteed' });
    expect(j.verdict).toBe('consistent-not-guaranteed');
  }, 150_000);
});
