#!/usr/bin/env python3
"""Reference values for tests/privacy/prv.test.ts from Opacus' own PRV accountant (dev only).

    python3 scripts/opacus-prv-reference.py OPACUS_CHECKOUT

OPACUS_CHECKOUT is a checkout of github.com/pytorch/opacus (the directory that holds opacus/).
Needs numpy and scipy, not torch: the modules the PRV accountant uses (accountants/prv.py,
accountants/rdp.py, accountants/analysis/rdp.py, accountants/analysis/prv/*.py) are copied
unchanged into a temporary package whose __init__ files are empty and whose accountant.py is a
stub (IAccountant holding only `history`; the real one imports torch for its optimizer hooks).
For each setting it runs PRVAccountant._get_dprv(eps_error=0.01, delta_error=delta/1000), i.e.
Opacus' safe domain, mesh, discretisation and FFT composition, then
DiscretePRV.compute_epsilon(delta, delta_error, eps_error) -> (lower, estimate, upper);
get_epsilon() reports `upper`. Prints one TypeScript row per setting.
"""
import os
import shutil
import subprocess
import sys
import tempfile

SETTINGS = [  # (q, sigma, steps, delta)
    (0.01, 1.2, 2000, 1e-5),
    (0.05, 1.5, 400, 1e-5),
    (0.001, 0.9, 10000, 1e-6),
    (0.5, 3.0, 40, 1e-5),
    (1.0, 5.0, 10, 1e-5),
    (0.002, 0.7, 20000, 1e-5),
    (0.0078, 1.0, 20000, 1e-6),
    (0.01, 1.0, 20000, 1e-5),
    (0.002048, 1.1, 5000, 1e-6),
    (0.1, 2.0, 1000, 1e-6),
    (0.25, 5.0, 100, 1e-5),
    (0.05, 0.8, 500, 1e-6),
]

FILES = [
    "accountants/prv.py",
    "accountants/rdp.py",
    "accountants/analysis/rdp.py",
    "accountants/analysis/prv/__init__.py",
    "accountants/analysis/prv/compose.py",
    "accountants/analysis/prv/domain.py",
    "accountants/analysis/prv/prvs.py",
]

STUB = '''import abc


class IAccountant(abc.ABC):
    def __init__(self):
        self.history = []
'''


def main() -> None:
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    src = os.path.join(sys.argv[1], "opacus")
    tmp = tempfile.mkdtemp(prefix="opacus-prv-")
    for f in FILES:
        dst = os.path.join(tmp, "opacus", f)
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        shutil.copyfile(os.path.join(src, f), dst)
    for d in ["", "accountants", "accountants/analysis"]:
        open(os.path.join(tmp, "opacus", d, "__init__.py"), "w").close()
    with open(os.path.join(tmp, "opacus", "accountants", "accountant.py"), "w") as fh:
        fh.write(STUB)
    sys.path.insert(0, tmp)
    from opacus.accountants.prv import PRVAccountant  # noqa: E402

    try:
        commit = subprocess.run(
            ["git", "-C", sys.argv[1], "rev-parse", "HEAD"], capture_output=True, text=True
        ).stdout.strip()
    except OSError:
        commit = ""
    print(f"// Opacus {commit or '(commit unknown)'}")
    for q, sigma, steps, delta in SETTINGS:
        acc = PRVAccountant()
        acc.history = [(sigma, q, steps)]  # (noise_multiplier, sample_rate, steps), as step() records
        eps_error, delta_error = 0.01, delta / 1000
        dprv = acc._get_dprv(eps_error=eps_error, delta_error=delta_error)
        lower, estimate, upper = dprv.compute_epsilon(delta, delta_error, eps_error)
        assert upper == acc.get_epsilon(delta)
        print(
            f"  {{ q: {q}, sigma: {sigma}, steps: {steps}, delta: {delta:g}, "
            f"lower: {lower:.6f}, estimate: {estimate:.6f}, upper: {upper:.6f} }}, // mesh {len(dprv.pmf)}"
        )


if __name__ == "__main__":
    main()
