#!/usr/bin/env python3
"""Cross-check fftconv's N-dimensional convolve / correlate against scipy.signal.

Usage: scipy_check_nd.py DRIVER

Generates arrays of rank 1 to 4 with awkward shapes (extents of 1, primes, even kernels, the
kernel larger than the input along some axes or all of them, shapes Mode::valid refuses), runs
them through DRIVER (tests/scipy_driver_nd.cpp) for convolve and correlate, every mode, the
methods direct, fft and automatic and all four element types, and compares each result with
scipy computed in double precision:

  every axis convolved   scipy.signal.convolve / correlate (method='direct');
  axes given             scipy.signal.fftconvolve(a, b, mode, axes) and oaconvolve, correlate as
                         convolve with b conjugated and reversed along the axes: batches of
                         signals under one kernel, stacks of images, per-item kernels, negative
                         and unordered axes, broadcast axes of 1 in either operand;
  errors                 what scipy refuses (operands of different ranks, axes out of range,
                         repeated or empty, broadcast axes that differ and are not 1, valid-mode
                         shapes where neither operand contains the other) must be an error naming
                         the reason in fftconv too.

Two places where fftconv's documented rule and scipy.signal.fftconvolve part, counted in the
summary and checked for what each side does:
  - Mode::same, a broadcast axis where `a` has 1 and `b` more: fftconv keeps the larger extent
    (every kernel slice's result), fftconvolve crops to a's 1 (the middle slice). The check
    compares with fftconvolve on `a` broadcast first, and checks that fftconvolve's own result is
    fftconv's middle slice.
  - Mode::valid, a convolved axis where one operand has 1: fftconvolve drops that axis before its
    "one inside the other" test, so (1, 10) and (4, 3) pass; fftconv refuses them, as
    scipy.signal.convolve does.

Exits 77 (skipped) when numpy or scipy is missing.
"""
import subprocess
import sys
import time

try:
    import numpy as np
    import scipy
    import scipy.signal
except ImportError as e:
    print(f"skipped: {e}")
    sys.exit(77)

# After the check above: this module imports numpy too, and a failure to import it must not skip.
from scipy_cases import DTYPES, TOLERANCE, random_array, values_text  # noqa: E402

MODES = ("full", "same", "valid")
METHODS = ("direct", "fft", "automatic")
OPS = ("convolve", "correlate")
# Extents per rank: 1, primes, powers of two, the odd and the even. Higher ranks take smaller ones
# so that the direct sums stay quick on both sides.
SIZES = {
    1: [1, 2, 3, 4, 5, 7, 8, 16, 31, 97, 211],
    2: [1, 2, 3, 4, 5, 7, 8, 13, 16, 31],
    3: [1, 2, 3, 4, 5, 7, 8, 11],
    4: [1, 2, 3, 4, 5, 6],
}
BATCH_SIZES = [1, 2, 3, 4, 5]
# The elements of a times those of b, at most: keeps a case's direct sum under a millisecond.
WORK_CAP = 120_000
RANDOM_PROBLEMS = 350  # every axis convolved; each runs 18 ways (op x mode x method)
RANDOM_AXES_PROBLEMS = 350  # with axes


def resolve(axes, rank):
    """The convolved axes, non-negative, or the reason fftconv refuses `axes` (its words)."""
    if axes is None:
        return list(range(rank)), None
    if not axes:
        return None, "axes is empty"
    out = []
    for x in axes:
        if not -rank <= x < rank:
            return None, "out of range"
        if x % rank in out:
            return None, "given twice"
        out.append(x % rank)
    return out, None


def refusal(sa, sb, mode, axes):
    """fftconv's documented rule: the reason it refuses these shapes (a phrase of its message), or None."""
    if len(sa) != len(sb):
        return "different ranks"
    conv, why = resolve(axes, len(sa))
    if why:
        return why
    for i in range(len(sa)):
        if i not in conv and sa[i] != sb[i] and 1 not in (sa[i], sb[i]):
            return "is not convolved"
    if mode == "valid":
        if not (all(sa[i] >= sb[i] for i in conv) or all(sb[i] >= sa[i] for i in conv)):
            return "Mode::valid"
    return None


def valid_without_ones(sa, sb, axes):
    """fftconvolve's own valid-mode test: convolved axes where an operand has 1 left out."""
    conv = [i for i in resolve(axes, len(sa))[0] if sa[i] != 1 and sb[i] != 1]
    return all(sa[i] >= sb[i] for i in conv) or all(sb[i] >= sa[i] for i in conv)


def centered(x, shape):
    start = [(n - m) // 2 for n, m in zip(x.shape, shape)]
    return x[tuple(slice(s, s + m) for s, m in zip(start, shape))]


class Oracle:
    """scipy's answer for one (op, mode, a, b, axes): the array, or the reason it is refused."""

    def __init__(self, op, mode, a, b, axes):
        self.want = None  # what fftconv must return
        self.also = []  # further scipy results it must equal (oaconvolve)
        self.refused = refusal(a.shape, b.shape, mode, axes)
        self.note = None  # a counted difference between fftconv's rule and fftconvolve's
        self.problem = None  # scipy and the rule disagree where they should not: a failure
        wide = np.complex128 if np.iscomplexobj(a) else np.float64
        a64, b64 = a.astype(wide), b.astype(wide)
        try:
            if axes is None:
                fn = scipy.signal.convolve if op == "convolve" else scipy.signal.correlate
                got = fn(a64, b64, mode=mode, method="direct")
            else:
                got = self.with_axes(op, mode, a64, b64, axes)
        except ValueError as e:
            if self.refused is None:
                self.problem = f"scipy raises ValueError ({e}), fftconv's rule accepts"
            return
        if self.refused is None:
            self.want = got
        elif self.refused == "Mode::valid" and axes is not None and valid_without_ones(a.shape, b.shape, axes):
            self.note = "valid: fftconvolve drops axes of 1"
        else:
            self.problem = f"scipy returns {got.shape}, fftconv's rule refuses ({self.refused})"

    def with_axes(self, op, mode, a64, b64, axes):
        conv, why = resolve(axes, a64.ndim)
        if why or a64.ndim != b64.ndim:
            return scipy.signal.fftconvolve(a64, b64, mode=mode, axes=axes)  # raises
        kernel = np.conj(np.flip(b64, axis=tuple(conv))) if op == "correlate" else b64
        plain = scipy.signal.fftconvolve(a64, kernel, mode=mode, axes=axes)
        spread = [i for i in range(a64.ndim) if i not in conv and a64.shape[i] == 1 and b64.shape[i] > 1]
        if mode != "same" or not spread:
            self.also.append(scipy.signal.oaconvolve(a64, kernel, mode=mode, axes=axes))
            return plain
        # fftconvolve's same mode crops every axis to a's extent, a broadcast one too.
        shape = [max(n, k) if i not in conv else n for i, (n, k) in enumerate(zip(a64.shape, b64.shape))]
        want = scipy.signal.fftconvolve(np.broadcast_to(a64, shape), kernel, mode=mode, axes=axes)
        if self.refused is None:
            self.note = "same: fftconvolve crops a broadcast axis to a's 1"
            if not np.allclose(centered(want, plain.shape), plain, rtol=0, atol=1e-12 * np.max(np.abs(want))):
                self.problem = "fftconvolve's same-mode result is not the middle slice of the broadcast one"
        return want


def shape_pair(rng, rank, sizes, category):
    """Extents for a and b along `rank` convolved axes: b inside a, b containing a, or either."""
    while True:
        x = [int(rng.choice(sizes)) for _ in range(rank)]
        y = [int(rng.choice(sizes)) for _ in range(rank)]
        if category == "inside":
            x, y = [max(p, q) for p, q in zip(x, y)], [min(p, q) for p, q in zip(x, y)]
        elif category == "larger":
            x, y = [min(p, q) for p, q in zip(x, y)], [max(p, q) for p, q in zip(x, y)]
        if np.prod(x) * np.prod(y) <= WORK_CAP:
            return x, y


def random_problems(rng):
    problems = []
    for _ in range(RANDOM_PROBLEMS):
        rank = int(rng.integers(1, 5))
        category = str(rng.choice(["inside", "inside", "larger", "mixed"]))
        sa, sb = shape_pair(rng, rank, SIZES[rank], category)
        problems.append((f"random {category}", str(rng.choice(DTYPES)), tuple(sa), tuple(sb), None))
    for _ in range(RANDOM_AXES_PROBLEMS):
        rank = int(rng.integers(1, 5))
        count = int(rng.integers(1, rank + 1))
        conv = sorted(int(i) for i in rng.choice(rank, size=count, replace=False))
        category = str(rng.choice(["inside", "inside", "larger", "mixed"]))
        while True:
            ca, cb = shape_pair(rng, count, SIZES[max(count, 2)], category)
            sa, sb = [0] * rank, [0] * rank
            for j, i in enumerate(conv):
                sa[i], sb[i] = ca[j], cb[j]
            for i in range(rank):
                if i not in conv:
                    n = int(rng.choice(BATCH_SIZES))
                    kind = rng.random()
                    sa[i], sb[i] = (n, n) if kind < 0.4 else (1, n) if kind < 0.6 else (n, 1)
            if np.prod(sa) * np.prod(sb) <= WORK_CAP:
                break
        # The axes as a caller might give them: in any order, some counted from the end, or all.
        axes = [i - rank if rng.random() < 0.4 else i for i in conv]
        rng.shuffle(axes)
        problems.append((f"axes {category}", str(rng.choice(DTYPES)), tuple(sa), tuple(sb), [int(i) for i in axes]))
    return problems


# Named shapes: the layouts axes exist for. (what, a, b, axes)
SCENARIOS = [
    ("batch of signals, one kernel", (6, 50), (1, 7), [-1]),
    ("batch of signals, one kernel, axis 1", (5, 23), (1, 8), [1]),
    ("batch of signals, per-item kernels", (6, 50), (6, 7), [1]),
    ("one signal, a batch of kernels", (1, 40), (4, 6), [-1]),
    ("stack of images, one kernel", (4, 12, 9), (1, 3, 4), [1, 2]),
    ("stack of images, one kernel, axes reversed", (4, 12, 9), (1, 4, 3), [-1, -2]),
    ("stack of images, per-item kernels", (4, 12, 9), (4, 5, 2), [-2, -1]),
    ("one image, a stack of kernels", (1, 12, 9), (3, 3, 3), [1, 2]),
    ("stack of images, kernels larger than the images", (3, 4, 5), (3, 9, 7), [1, 2]),
    ("channels: N x C x H x W, one kernel per channel", (2, 3, 10, 11), (1, 3, 4, 3), [2, 3]),
    ("channels: N x C x H x W, one kernel per item", (2, 3, 10, 11), (2, 1, 3, 3), [-1, -2]),
    ("rank 4 along axes 0 and 2", (9, 2, 7, 3), (4, 1, 2, 3), [0, 2]),
    ("rank 4 along three axes, broadcast first", (3, 6, 5, 4), (1, 2, 3, 2), [-3, -2, -1]),
    ("rank 3 along axis 0 only", (17, 2, 3), (4, 2, 1), [0]),
    ("rank 1 with axes [0]", (31,), (6,), [0]),
    ("rank 1 with axes [-1]", (8,), (13,), [-1]),
    ("every axis given", (7, 5, 3), (2, 3, 3), [2, 0, 1]),
    ("extents of 1 along convolved axes", (1, 9, 1), (4, 1, 1), [0, 1, 2]),
]

# What scipy refuses: (what, a, b, axes); every op, mode and method must refuse it too.
REFUSED = [
    ("ranks differ", (3, 4), (4,), None),
    ("ranks differ", (2, 3, 4), (3, 4), None),
    ("ranks differ, axes given", (2, 3, 4), (3, 4), [-1]),
    ("broadcast axis differs", (3, 10), (2, 4), [1]),
    ("broadcast axis differs", (2, 3, 5, 5), (2, 4, 2, 2), [2, 3]),
    ("axis out of range", (3, 4), (2, 2), [2]),
    ("axis out of range", (3, 4), (2, 2), [-3]),
    ("axis repeated", (3, 4), (2, 2), [0, 0]),
    ("axis repeated, once negative", (3, 4), (2, 2), [1, -1]),
    ("axes empty", (3, 4), (2, 2), []),
    ("valid, neither inside", (5, 3), (3, 5), None),
    ("valid, neither inside", (4, 4, 2), (2, 2, 4), None),
    ("valid, neither inside, axes given", (2, 5, 3), (2, 3, 5), [1, 2]),
    ("valid, an axis of 1", (1, 10), (4, 3), None),
    ("valid, an axis of 1, axes given", (1, 10), (4, 3), [0, 1]),
]


def make_cases(rng):
    problems = random_problems(rng)
    problems += [(what, dtype, a, b, axes) for what, a, b, axes in SCENARIOS for dtype in DTYPES]
    problems += [(what, "float64", a, b, axes) for what, a, b, axes in REFUSED]
    cases = []
    for what, dtype, sa, sb, axes in problems:
        a, b = random_array(rng, sa, dtype), random_array(rng, sb, dtype)
        values = f"{values_text(a)}\n{values_text(b)}"
        for op in OPS:
            for mode in MODES:
                oracle = Oracle(op, mode, a, b, axes)
                for method in METHODS:
                    cases.append((what, op, mode, method, dtype, a, b, axes, oracle, values))
    return cases


def header(op, mode, method, dtype, a, b, axes):
    shapes = " ".join(f"{x.ndim} " + " ".join(str(n) for n in x.shape) for x in (a, b))
    ax = "-1" if axes is None else " ".join(str(n) for n in [len(axes), *axes])
    return f"{op} {mode} {method} {dtype} {shapes} {ax}"


def main():
    driver = sys.argv[1]
    start = time.monotonic()
    rng = np.random.default_rng(20261130)
    cases = make_cases(rng)
    stdin = "\n".join(
        f"{header(op, mode, method, dtype, a, b, axes)}\n{values}"
        for _, op, mode, method, dtype, a, b, axes, _, values in cases
    )
    lines = subprocess.run([driver], input=stdin, capture_output=True, text=True, check=True).stdout.splitlines()
    if len(lines) != len(cases):
        print(f"driver answered {len(lines)} of {len(cases)} cases")
        return 1

    passed = failed = refused = 0
    worst = {}
    notes = {}
    for (what, op, mode, method, dtype, a, b, axes, oracle, _), line in zip(cases, lines):
        words = line.split()
        label = f"{what}: {op} {mode} {method} {dtype} a{a.shape} b{b.shape} axes={axes}"
        ok = True
        if oracle.problem:
            ok = False
            print(f"FAIL {label}: {oracle.problem}")
        elif oracle.want is None:
            ok = words[0] == "error" and oracle.refused in line
            refused += ok
            if not ok:
                print(f"FAIL {label}: scipy refuses ({oracle.refused}), fftconv gave: {line[:150]}")
        elif words[0] != "ok":
            ok = False
            print(f"FAIL {label}: {line}")
        else:
            rank = int(words[1])
            shape = tuple(int(n) for n in words[2 : 2 + rank])
            got = np.array(words[2 + rank :], dtype=np.float64)
            if dtype.startswith("complex"):
                got = got[0::2] + 1j * got[1::2]
            if shape != oracle.want.shape or got.size != oracle.want.size:
                ok = False
                print(f"FAIL {label}: shape {shape}, scipy {oracle.want.shape}")
            else:
                got = got.reshape(shape)
                err = 0.0
                for want in [oracle.want, *oracle.also]:
                    err = max(err, np.max(np.abs(got - want)) / max(np.max(np.abs(want)), 1e-300))
                worst[dtype] = max(worst.get(dtype, 0.0), err)
                ok = err <= TOLERANCE[dtype]
                if not ok:
                    print(f"FAIL {label}: error {err:.3e} > {TOLERANCE[dtype]:.0e}")
        if ok and oracle.note:
            notes[oracle.note] = notes.get(oracle.note, 0) + 1
        passed += ok
        failed += not ok

    errors = ", ".join(f"{t} {worst[t]:.2e}" for t in DTYPES if t in worst)
    differences = "".join(f"; {n} where {note}" for note, n in sorted(notes.items()))
    print(f"N-D vs scipy.signal convolve/correlate/fftconvolve/oaconvolve (scipy {scipy.__version__}), ranks 1-4: "
          f"{passed} of {len(cases)} cases passed ({refused} refused on both sides{differences}) "
          f"in {time.monotonic() - start:.1f} s; max error / max|out|: {errors}")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
