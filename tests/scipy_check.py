#!/usr/bin/env python3
"""Cross-check fftconv against scipy.signal on random cases.

Usage: scipy_check.py DRIVER

Generates random inputs of awkward shapes (1, primes, 1xN, Nx1, kernels larger than the input,
shapes that Mode::valid refuses), runs them through DRIVER (tests/scipy_driver.cpp) with every
operation, mode, method and element type, and compares each result with scipy.signal.convolve /
correlate computed in double precision; then gaussian_blur against scipy.ndimage.gaussian_filter
for every border. Exits 77 (skipped) when numpy or scipy is missing.
"""
import subprocess
import sys

try:
    import numpy as np
    import scipy
    import scipy.ndimage
    import scipy.signal
except ImportError as e:
    print(f"skipped: {e}")
    sys.exit(77)

from scipy_cases import TOLERANCE, random_array, values_text  # noqa: E402  (after the numpy check)

SIZES = [1, 2, 3, 4, 5, 7, 8, 16, 31, 97, 211]


def make_cases(rng, count):
    cases = []
    for _ in range(count):
        ndim = int(rng.integers(1, 3))
        dtype = str(rng.choice(list(TOLERANCE)))
        if ndim == 1:
            sa, sb = (1, int(rng.choice(SIZES))), (1, int(rng.choice(SIZES)))
        else:
            small = [s for s in SIZES if s <= 31]
            sa = (int(rng.choice(small)), int(rng.choice(small)))
            sb = (int(rng.choice(small[:7])), int(rng.choice(small[:7])))
            if rng.random() < 0.2:
                sa, sb = sb, sa  # the kernel larger than the input
        a, b = random_array(rng, sa, dtype), random_array(rng, sb, dtype)
        for op in ("convolve", "correlate"):
            for mode in ("full", "same", "valid"):
                for method in ("direct", "fft", "automatic"):
                    cases.append((op, mode, method, dtype, ndim, a, b))
    return cases


def gaussian_cases(rng):
    """gaussian_blur vs gaussian_filter: scipy's mode names for fftconv's borders."""
    cases = []
    for mode in ("reflect", "mirror", "nearest", "wrap", "constant"):
        for shape in ((1, 1), (1, 40), (17, 1), (23, 31), (64, 48)):
            for sigma in (0.5, 1.7, 4.0):
                for dtype in ("float32", "float64"):
                    a = random_array(rng, shape, dtype)
                    for method in ("direct", "fft"):
                        cases.append((f"gaussian:{mode}", f"{sigma}", method, dtype, 2, a, np.zeros((0, 0))))
    return cases


def scipy_result(op, mode, ndim, a, b):
    if op.startswith("gaussian:"):
        return scipy.ndimage.gaussian_filter(a.astype(np.float64), float(mode), mode=op[9:], truncate=4.0)
    a64 = a.astype(np.complex128 if np.iscomplexobj(a) else np.float64)
    b64 = b.astype(a64.dtype)
    if ndim == 1:
        a64, b64 = a64.ravel(), b64.ravel()
    fn = scipy.signal.convolve if op == "convolve" else scipy.signal.correlate
    try:
        out = fn(a64, b64, mode=mode, method="direct")
    except ValueError:
        return None
    return out.reshape(1, -1) if ndim == 1 else out


def main():
    driver = sys.argv[1]
    rng = np.random.default_rng(20261122)
    cases = make_cases(rng, 250) + gaussian_cases(rng)
    stdin = "\n".join(
        f"{op} {mode} {method} {dtype} {ndim} {a.shape[0]} {a.shape[1]} {b.shape[0]} {b.shape[1]}\n"
        f"{values_text(a)}\n{values_text(b) if b.size else ''}"
        for op, mode, method, dtype, ndim, a, b in cases
    )
    lines = subprocess.run([driver], input=stdin, capture_output=True, text=True, check=True).stdout.splitlines()
    if len(lines) != len(cases):
        print(f"driver answered {len(lines)} of {len(cases)} cases")
        return 1

    passed = failed = 0
    worst = {}
    for (op, mode, method, dtype, ndim, a, b), line in zip(cases, lines):
        want = scipy_result(op, mode, ndim, a, b)
        words = line.split()
        what = f"{op} {mode} {method} {dtype} a{a.shape} b{b.shape}"
        kind = "gaussian" if op.startswith("gaussian:") else "signal"
        if want is None:
            ok = words[0] == "error" and "Mode::valid" in line
            if not ok:
                print(f"FAIL {what}: scipy raises ValueError, fftconv gave: {line[:120]}")
        elif words[0] != "ok":
            ok = False
            print(f"FAIL {what}: {line}")
        else:
            rows, cols = int(words[1]), int(words[2])
            got = np.array(words[3:], dtype=np.float64)
            if dtype.startswith("complex"):
                got = got[0::2] + 1j * got[1::2]
            ok = (rows, cols) == want.shape
            if ok:
                err = np.max(np.abs(got.reshape(rows, cols) - want)) / max(np.max(np.abs(want)), 1e-300)
                worst[(kind, dtype)] = max(worst.get((kind, dtype), 0.0), err)
                ok = err <= TOLERANCE[dtype]
                if not ok:
                    print(f"FAIL {what}: error {err:.3e} > {TOLERANCE[dtype]:.0e}")
            else:
                print(f"FAIL {what}: shape {(rows, cols)}, scipy {want.shape}")
        passed += ok
        failed += not ok

    for kind, fn in (("signal", "scipy.signal.convolve/correlate"), ("gaussian", "scipy.ndimage.gaussian_filter")):
        print(f"vs {fn} (scipy {scipy.__version__}), max error / max|out|: "
              + ", ".join(f"{t} {e:.2e}" for (k, t), e in sorted(worst.items()) if k == kind))
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
