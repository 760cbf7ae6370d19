#!/usr/bin/env python3
"""The Python module (import fftconv) against scipy.signal and cv2 in one process, one thread.

  G1  2048² ⊛ 127² float64, full: fftconv.fftconvolve ≥ 2x faster than scipy.signal.fftconvolve
  G2  4,194,304 ⊛ 513 float64, full: fftconv.fftconvolve ≥ 5x faster than scipy.signal.oaconvolve
      and ≥ 10x faster than scipy.signal.fftconvolve
  G3  the same 1D case with fftconv.Convolver(...).apply(x, out=kept): within 1.2x of the C++
      fftconv::Convolver<double> applied into a kept buffer (tests/bench/convolver_apply, run as
      a subprocess); apply(x) returning a fresh array, with its page faults, beside it
  G4  256³ float32 ⊛ 31³, same: fftconv.fftconvolve ≥ 3x faster than scipy.signal.fftconvolve
      (at most --g4-rounds rounds: scipy takes seconds here)
  G5  match_template, 64² template in a 1024² float32 image, TM_CCOEFF_NORMED: ≥ 1.5x faster than
      cv2.matchTemplate
  G6  method='auto' over 1D and 2D shape pairs on both sides of the direct/FFT crossover:
      fftconv.convolve never more than 1.2x slower than the faster of scipy.signal.convolve's
      method='direct' and method='fft', per case; with how far scipy's choose_conv_method's pick
      is from scipy's faster method. scipy's direct sum is not run where it would take longer
      than --direct-limit seconds (estimated from a measured rate).

  python_peers.py [--rounds 5] [--only G1 G5] [--quick] [--convolver-apply build/tests/bench/convolver_apply]

Every round calls fftconv and its peers alternately on the same data (the order reversed every
other round), so the machine's state moves both: on a noisy machine read the ratios, the ratio of
medians and its range over rounds, not the seconds. Times are warm calls (the same shapes called
once before in this process); the first call is reported beside them for G1–G5. Random data,
fixed seeds. One thread everywhere: fftconv.set_threads(1), scipy.fft.set_workers(1),
cv2.setNumThreads(1), and the BLAS/OpenMP thread variables at 1.

Large numpy arrays (scipy's results and work arrays) ask the kernel for transparent huge pages
(numpy's madvise, NUMPY_MADVISE_HUGEPAGE); fftconv's results, allocated in C++, do not. Huge pages
make scipy's fresh memory cheaper, but where the kernel must compact memory to find them a call
stalls for up to seconds (the "system ms" column shows it): scipy's times then jump between two
levels from round to round. NUMPY_MADVISE_HUGEPAGE=0 in the environment gives the steadier
comparison with 4 KiB pages on both sides; the header prints the setting.

fftconv is imported from PYTHONPATH, or else from build/python of this checkout.
"""

import os

# Before numpy is imported: its BLAS reads them when it loads.
for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ[_name] = "1"

import argparse  # noqa: E402
import resource  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
GOALS = ["G1", "G2", "G3", "G4", "G5", "G6"]

# G6's shape pairs: (in1 shape, in2 shape, mode). 1D 'full' (signals), 2D 'same' (images).
SWEEP_1D = [((n,), (k,), "full") for n, k in [
    (100, 3), (100, 31), (1000, 3), (1000, 65), (1000, 500), (10000, 7), (10000, 129), (10000, 2000),
    (100000, 3), (100000, 33), (100000, 257), (100000, 2000)]]
SWEEP_2D = [((n, n), (k, k), "same") for n, k in [
    (32, 3), (32, 7), (64, 5), (64, 15), (128, 3), (128, 9), (256, 5), (256, 31), (512, 3), (512, 11),
    (1024, 5), (1024, 63)]]

fftconv = cv2 = scipy = None  # imported in main()


def load():
    return os.getloadavg()[0]


def call(fn, reps=1, sys_seconds=None):
    """Seconds per call and minor page faults per call of `reps` calls of fn in a row (each result
    dropped before the next call); the kernel's (system) seconds per call appended to
    `sys_seconds` when given."""
    u0 = resource.getrusage(resource.RUSAGE_SELF)
    t0 = time.perf_counter()
    for _ in range(reps):
        fn()
    seconds = time.perf_counter() - t0
    u1 = resource.getrusage(resource.RUSAGE_SELF)
    if sys_seconds is not None:
        sys_seconds.append((u1.ru_stime - u0.ru_stime) / reps)
    return seconds / reps, (u1.ru_minflt - u0.ru_minflt) / reps


def rng(seed):
    return np.random.default_rng(seed)


def random(shape, seed, dtype=np.float64):
    return rng(seed).uniform(-1, 1, shape).astype(dtype)


def agreement(ours, theirs):
    """max|ours - theirs| / max|theirs|."""
    ours, theirs = np.asarray(ours, np.float64), np.asarray(theirs, np.float64)
    if ours.shape != theirs.shape:
        return "SHAPES DIFFER: %s against %s" % (ours.shape, theirs.shape)
    return "%.1e" % (float(np.max(np.abs(ours - theirs))) / max(float(np.max(np.abs(theirs))), 1e-300))


def ms(s):
    return "%8.1f" % (1e3 * s)


def span(values, scale=1e3, fmt="%.1f"):
    return "(" + fmt % (scale * min(values)) + "-" + fmt % (scale * max(values)) + ")"


class Entry:
    """One contestant: a label, the call, its first call, and a warm sample per round."""

    def __init__(self, label, fn):
        self.label, self.fn = label, fn
        self.first = self.first_faults = None
        self.samples, self.faults, self.sys = [], [], []

    @property
    def median(self):
        return statistics.median(self.samples)


class Report:
    """The verdicts of every goal, printed again at the end."""

    def __init__(self):
        self.lines = []

    def verdict(self, goal, text, ok):
        line = "%s %s: %s" % (goal, text, {True: "met", False: "MISSED", None: "NOT RUN"}[ok])
        self.lines.append(line)
        print("  => " + line, flush=True)


def duel(title, entries, rounds, check=None):
    """The first call of each entry (its result handed to check(*results), which says how they
    agree), then `rounds` rounds of warm calls, entries alternating (order reversed every other
    round); a line per round, then the medians."""
    print("\n%s\n  %d rounds, load average %.2f" % (title, rounds, load()), flush=True)
    results = []
    for e in entries:
        f0 = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        t0 = time.perf_counter()
        results.append(e.fn())
        e.first = time.perf_counter() - t0
        e.first_faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - f0
    if check:
        print("  " + check(*results), flush=True)
    del results
    for r in range(rounds):
        order = entries if r % 2 == 0 else entries[::-1]
        for e in order:
            t, f = call(e.fn, 1, e.sys)
            e.samples.append(t)
            e.faults.append(f)
        print("  round %d  " % (r + 1) + "  ".join("%s %s ms" % (e.label, ms(e.samples[-1]).strip()) for e in entries),
              flush=True)
    print("  %-26s %9s  %-27s %12s %-20s %13s" % ("", "first ms", "warm ms, median (min-max)", "faults/call",
                                                   "  system ms (min-max)", "/ first row"))
    for e in entries:
        rel = e.median / entries[0].median
        print("  %-26s %9s  %-27s %12.0f   %-18s %12.2fx" %
              (e.label, ms(e.first).strip(), ms(e.median).strip() + " " + span(e.samples),
               statistics.median(e.faults), "%.0f %s" % (1e3 * statistics.median(e.sys), span(e.sys, fmt="%.0f")),
               rel))
    print("  load average now %.2f" % load(), flush=True)


def faster(report, goal, peer, ours, at_least, what):
    """Goal: peer's time / ours at least `at_least` (ratio of medians; per-round range beside)."""
    x = peer.median / ours.median
    per_round = [p / o for p, o in zip(peer.samples, ours.samples)]
    first = peer.first / ours.first
    report.verdict(goal, "%s: %s / %s %.2fx warm (per round %.2f-%.2f; first calls %.2fx), goal >= %gx" %
                   (what, peer.label, ours.label, x, min(per_round), max(per_round), first, at_least), x >= at_least)
    return x


# --- G1, G2, G4, G5: one-shot calls against their peers ------------------------------------------------


def g1(args, report):
    a, k = random((2048, 2048), 1), random((127, 127), 2)
    ours = Entry("fftconv.fftconvolve", lambda: fftconv.fftconvolve(a, k))
    peer = Entry("scipy.signal.fftconvolve", lambda: scipy.signal.fftconvolve(a, k))
    duel("G1: 2048² ⊛ 127² float64, mode full", [ours, peer], args.rounds,
         lambda r1, r2: "results agree to %s (max|diff| / max|scipy|)" % agreement(r1, r2))
    faster(report, "G1", peer, ours, 2.0, "2048² ⊛ 127² float64 full")


def g2(args, report):
    x, h = random(4194304, 4), random(513, 5)
    ours = Entry("fftconv.fftconvolve", lambda: fftconv.fftconvolve(x, h))
    oa = Entry("scipy.signal.oaconvolve", lambda: scipy.signal.oaconvolve(x, h))
    fft = Entry("scipy.signal.fftconvolve", lambda: scipy.signal.fftconvolve(x, h))
    duel("G2: 4,194,304 ⊛ 513 float64, mode full", [ours, oa, fft], args.rounds,
         lambda r1, r2, r3: "results agree to %s (oaconvolve), %s (fftconvolve)" % (agreement(r1, r2),
                                                                                   agreement(r1, r3)))
    faster(report, "G2", oa, ours, 5.0, "4,194,304 ⊛ 513 float64 full")
    faster(report, "G2", fft, ours, 10.0, "4,194,304 ⊛ 513 float64 full")


def g4(args, report):
    n, kn = (128, 31) if args.quick else (256, 31)
    a, k = random((n,) * 3, 7, np.float32), random((kn,) * 3, 8, np.float32)
    ours = Entry("fftconv.fftconvolve", lambda: fftconv.fftconvolve(a, k, "same"))
    peer = Entry("scipy.signal.fftconvolve", lambda: scipy.signal.fftconvolve(a, k, "same"))
    duel("G4: %d³ float32 ⊛ %d³, mode same%s" % (n, kn, " (--quick: not the goal's size)" if args.quick else ""),
         [ours, peer], min(args.rounds, args.g4_rounds),
         lambda r1, r2: "dtypes %s, %s; results agree to %s" % (r1.dtype, r2.dtype, agreement(r1, r2)))
    size = "%d³ float32 ⊛ %d³ same" % (n, kn)
    if args.quick:
        size += " (quick size, indicative only)"
    faster(report, "G4", peer, ours, 3.0, size)


def g5(args, report):
    img = random((1024, 1024), 9, np.float32)
    templ = np.ascontiguousarray(img[300:364, 500:564] + random((64, 64), 10, np.float32) * 0.1)
    method = cv2.TM_CCOEFF_NORMED
    ours = Entry("fftconv.match_template", lambda: fftconv.match_template(img, templ, method))
    peer = Entry("cv2.matchTemplate", lambda: cv2.matchTemplate(img, templ, method))
    duel("G5: match_template TM_CCOEFF_NORMED, 64² template in a 1024² float32 image", [ours, peer], args.rounds,
         lambda r1, r2: "dtypes %s, %s; max|diff| %.1e; best match %s and %s" %
         (r1.dtype, r2.dtype, float(np.max(np.abs(r1.astype(np.float64) - r2))),
          tuple(int(i) for i in np.unravel_index(np.argmax(r1), r1.shape)),
          tuple(int(i) for i in np.unravel_index(np.argmax(r2), r2.shape))))
    faster(report, "G5", peer, ours, 1.5, "1024² / 64² TM_CCOEFF_NORMED float32")


# --- G3: the Convolver against the C++ Convolver ------------------------------------------------


def g3(args, report):
    n, taps, repeats = 4194304, 513, args.g3_repeats
    exe = Path(args.convolver_apply)
    print("\nG3: Convolver, 4,194,304 ⊛ 513 float64 full, %d applies a round (their median), %d rounds, "
          "load average %.2f" % (repeats, args.rounds, load()), flush=True)
    if not exe.is_file():
        print("  no %s: build it (ninja -C build tests/bench/convolver_apply) or give --convolver-apply" % exe)
        report.verdict("G3", "Convolver.apply(x, out=) within 1.2x of the C++ Convolver", None)
        return
    x, h = random(n, 4), random(taps, 5)
    t0 = time.perf_counter()
    conv = fftconv.Convolver(x.shape, h, "full")
    build = time.perf_counter() - t0
    out = np.zeros(conv.output_shape)  # resident, as a kept array is
    kept = Entry("Convolver.apply(x, out=kept)", lambda: conv.apply(x, out=out))
    fresh = Entry("Convolver.apply(x) (fresh result)", lambda: conv.apply(x))
    cpp = Entry("C++ Convolver<double>::apply into a kept vector", None)
    cpp_build = []
    env = dict(os.environ)

    def run_cpp():
        argv = [str(exe), str(n), str(taps), str(repeats)]
        text = subprocess.run(argv, env=env, check=True, capture_output=True, text=True).stdout
        words = text.split()  # convolver_apply, then name value pairs
        m = dict(zip(words[1::2], words[2::2]))
        if "median_seconds" not in m:
            raise RuntimeError("%s printed: %s" % (exe, text))
        return float(m["first_seconds"]), float(m["median_seconds"]), float(m["build_seconds"]), \
            float(m["minflt_per_apply"]), m.get("method")

    def run_py(entry):
        samples = [call(entry.fn) for _ in range(repeats)]
        return statistics.median(s[0] for s in samples), statistics.median(s[1] for s in samples)

    for e in (kept, fresh):
        e.first, e.first_faults = call(e.fn)
    print("  %r built in %.1f ms; agrees with fftconvolve to %s" %
          (conv, 1e3 * build, agreement(conv.apply(x), fftconv.fftconvolve(x, h))), flush=True)
    for r in range(args.rounds):
        steps = ["cpp", kept, fresh] if r % 2 == 0 else [fresh, kept, "cpp"]
        for s in steps:
            if s == "cpp":
                first, med, b, f, method = run_cpp()
                if cpp.first is None:
                    cpp.first = first
                cpp.samples.append(med)
                cpp.faults.append(f)
                cpp_build.append(b)
            else:
                t, f = run_py(s)
                s.samples.append(t)
                s.faults.append(f)
        print("  round %d  C++ %s ms  apply(x, out=) %s ms  apply(x) %s ms (%.0f faults)" %
              (r + 1, ms(cpp.samples[-1]).strip(), ms(kept.samples[-1]).strip(), ms(fresh.samples[-1]).strip(),
               fresh.faults[-1]), flush=True)
    print("  %-48s %9s  %-27s %12s" % ("", "first ms", "warm ms, median (min-max)", "faults/call"))
    for e in (cpp, kept, fresh):
        print("  %-48s %9s  %-27s %12.0f" % (e.label, ms(e.first).strip(), ms(e.median).strip() + " " +
                                            span(e.samples), statistics.median(e.faults)))
    print("  C++ build %.1f ms (median), method %s; Python build %.1f ms; fresh result %.1f MiB = %d pages" %
          (1e3 * statistics.median(cpp_build), method, 1e3 * build, out.nbytes / 2**20, -(-out.nbytes // 4096)))
    print("  load average now %.2f" % load())
    x_kept = kept.median / cpp.median
    per_round = [p / c for p, c in zip(kept.samples, cpp.samples)]
    report.verdict("G3", "Convolver.apply(x, out=kept) / C++ Convolver into a kept vector %.2fx "
                   "(per round %.2f-%.2f), goal <= 1.2x" % (x_kept, min(per_round), max(per_round)), x_kept <= 1.2)
    print("  (informational) apply(x) returning a fresh array: %.2fx the C++ kept-buffer apply, %.2fx apply(x, out=); "
          "%.0f minor faults a call" % (fresh.median / cpp.median, fresh.median / kept.median,
                                        statistics.median(fresh.faults)))


# --- G6: method='auto' over a sweep ------------------------------------------------


def macs(a_shape, k_shape, mode):
    """Multiply-adds of the direct sum: output elements times kernel elements (an upper bound
    near the edges)."""
    if mode == "full":
        out = [n + k - 1 for n, k in zip(a_shape, k_shape)]
    elif mode == "same":
        out = list(a_shape)
    else:
        out = [abs(n - k) + 1 for n, k in zip(a_shape, k_shape)]
    return float(np.prod(out)) * float(np.prod(k_shape))


def direct_rates():
    """scipy.signal.convolve(method='direct') seconds per multiply-add, by rank, measured on a
    mid-sized case (the best of three calls)."""
    rates = {}
    for rank, (a_shape, k_shape, mode) in {1: ((20000,), (200,), "full"), 2: ((128, 128), (9, 9), "same")}.items():
        a, k = random(a_shape, 11), random(k_shape, 12)
        t = min(call(lambda: scipy.signal.convolve(a, k, mode, method="direct"))[0] for _ in range(3))
        rates[rank] = t / macs(a_shape, k_shape, mode)
    return rates


def unit(s):
    return (1e6, "µs") if s < 1e-3 else (1e3, "ms") if s < 1 else (1.0, "s")


def timing(samples):
    """The median and (min-max) of samples in the median's unit."""
    scale, u = unit(statistics.median(samples))
    return "%.1f %s %s" % (scale * statistics.median(samples), u, span(samples, scale))


def shape_text(shape):
    return "x".join(str(n) for n in shape) if len(shape) > 1 else str(shape[0])


def g6(args, report):
    rates = direct_rates()
    target = 0.02 if args.quick else 0.05
    print("\nG6: method='auto' sweep, float64; warm calls, each timed in a batch of >= %.0f ms; scipy's direct "
          "sum at %.2f ns (1D) and %.1f ns (2D) per multiply-add here, skipped where that estimate exceeds %g s; "
          "load average %.2f" % (1e3 * target, 1e9 * rates[1], 1e9 * rates[2], args.direct_limit, load()), flush=True)
    rows = []
    for i, (a_shape, k_shape, mode) in enumerate(SWEEP_1D + SWEEP_2D):
        a, k = random(a_shape, 100 + i), random(k_shape, 200 + i)
        estimate = macs(a_shape, k_shape, mode) * rates[len(a_shape)]
        entries = [Entry("auto", lambda: fftconv.convolve(a, k, mode, method="auto")),
                   Entry("fft", lambda: scipy.signal.convolve(a, k, mode, method="fft"))]
        skipped = estimate > args.direct_limit
        if not skipped:
            entries.insert(1, Entry("direct", lambda: scipy.signal.convolve(a, k, mode, method="direct")))
        # Agreement, then the first calls; a second call sizes each entry's batch.
        ref = entries[-1].fn()
        agree = agreement(entries[0].fn(), ref)
        del ref
        reps = {}
        for e in entries:
            e.first, e.first_faults = call(e.fn)
            reps[e.label] = max(1, int(target / max(call(e.fn)[0], 1e-7)))
        slow = max(e.first for e in entries) > 1.0
        rounds = min(args.rounds, 3) if slow else args.rounds
        for r in range(rounds):
            for e in (entries if r % 2 == 0 else entries[::-1]):
                t, f = call(e.fn, reps[e.label])
                e.samples.append(t)
                e.faults.append(f)
        by = {e.label: e for e in entries}
        scipy_pick = scipy.signal.choose_conv_method(a, k, mode)
        ours_pick = fftconv.choose_conv_method(a, k, mode)
        best_label = "fft" if skipped else min(("direct", "fft"), key=lambda m: by[m].median)
        best = by[best_label].median
        ratio = by["auto"].median / best
        if scipy_pick in by:
            pick_ratio, pick_text = by[scipy_pick].median / best, "%.2fx" % (by[scipy_pick].median / best)
        else:  # scipy picks the direct sum we skipped: at least the estimate's ratio
            pick_ratio, pick_text = estimate / best, ">%.0fx (est.)" % (estimate / best)
        row = dict(case="%s ⊛ %s" % (shape_text(a_shape), shape_text(k_shape)), mode=mode, rank=len(a_shape),
                   by=by, skipped=skipped, estimate=estimate, scipy_pick=scipy_pick, ours_pick=ours_pick,
                   best_label=best_label, ratio=ratio, pick_ratio=pick_ratio, pick_text=pick_text, rounds=rounds,
                   agree=agree)
        rows.append(row)
        faults = "/".join("%.0f" % statistics.median(e.faults) for e in entries)
        print("  %-18s %-4s auto (%s) %s  direct %s  fft %s  -> auto / best %.2fx; scipy picks %s (%s); "
              "faults a call %s; agree %s" %
              (row["case"], mode, ours_pick, timing(by["auto"].samples),
               "skipped (est. %.0f s)" % estimate if skipped else timing(by["direct"].samples),
               timing(by["fft"].samples), ratio, scipy_pick, pick_text, faults, agree), flush=True)

    print("\n  medians over rounds (min-max); auto / best: fftconv's method='auto' against the faster of scipy's "
          "two; scipy pick / best: where choose_conv_method sends scipy.signal.convolve")
    print("  %-18s %-4s %-32s %-27s %-27s %-6s %-10s %-10s %s" %
          ("case", "mode", "fftconv auto (its pick)", "scipy direct", "scipy fft", "best", "auto/best",
           "scipy pick", "pick/best"))
    for row in rows:
        by = row["by"]
        direct = "skipped, est. %.0f s" % row["estimate"] if row["skipped"] else timing(by["direct"].samples)
        print("  %-18s %-4s %-32s %-27s %-27s %-6s %-10s %-10s %s" %
              (row["case"], row["mode"], timing(by["auto"].samples) + " " + row["ours_pick"], direct,
               timing(by["fft"].samples),
               row["best_label"], "%.2fx%s" % (row["ratio"], "" if row["ratio"] <= 1.2 else " !"), row["scipy_pick"],
               row["pick_text"]))
    skipped = [r["case"] for r in rows if r["skipped"]]
    if skipped:
        print("  scipy's direct sum not run (estimated over %g s): %s; the best is scipy's fft there" %
              (args.direct_limit, ", ".join(skipped)))
    print("  load average now %.2f" % load())
    for rank in (1, 2):
        sub = [r for r in rows if r["rank"] == rank]
        worst = max(sub, key=lambda r: r["ratio"])
        within = sum(r["ratio"] <= 1.2 for r in sub)
        report.verdict("G6", "%dD: fftconv auto within 1.2x of scipy's faster method in %d of %d cases, worst %.2fx "
                       "(%s)" % (rank, within, len(sub), worst["ratio"], worst["case"]), within == len(sub))
        off = max(sub, key=lambda r: r["pick_ratio"])
        print("  (informational) %dD: scipy's choose_conv_method off its own best by up to %s (%s, picks %s); "
              "off by more than 1.2x in %d of %d cases" %
              (rank, off["pick_text"], off["case"], off["scipy_pick"], sum(r["pick_ratio"] > 1.2 for r in sub),
               len(sub)))


def huge_pages():
    """The kernel's transparent huge page mode, as it prints it ("always [madvise] never")."""
    try:
        with open("/sys/kernel/mm/transparent_hugepage/enabled") as f:
            return f.read().strip()
    except OSError:
        return "unknown"


def import_modules():
    global fftconv, cv2, scipy
    try:
        import fftconv as module
    except ImportError:
        sys.path.insert(0, str(REPO / "build" / "python"))
        try:
            import fftconv as module
        except ImportError as e:
            sys.exit("cannot import fftconv (%s): set PYTHONPATH to the build's python directory "
                     "(PYTHONPATH=build/python)" % e)
    import cv2 as cv2_module
    import scipy as scipy_module
    import scipy.fft  # noqa: F401
    import scipy.signal  # noqa: F401

    fftconv, cv2, scipy = module, cv2_module, scipy_module


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rounds", type=int, default=None, help="rounds of warm calls (at least 3; default 5, 3 with --quick)")
    p.add_argument("--g4-rounds", type=int, default=5, help="at most this many rounds for G4 (default 5)")
    p.add_argument("--g3-repeats", type=int, default=7, help="applies a round for G3, both sides (default 7)")
    p.add_argument("--only", nargs="+", choices=GOALS, help="these goals only")
    p.add_argument("--quick", action="store_true",
                   help="3 rounds, G4 on 128³ instead of 256³ (its verdict then indicative only), shorter G6 batches")
    p.add_argument("--direct-limit", type=float, default=5.0,
                   help="G6: skip scipy's direct sum where it is estimated to take longer (seconds; default 5)")
    p.add_argument("--convolver-apply", default=str(REPO / "build" / "tests" / "bench" / "convolver_apply"),
                   help="the convolver_apply executable (G3; default build/tests/bench/convolver_apply)")
    args = p.parse_args()
    if args.rounds is None:
        args.rounds = 3 if args.quick else 5
    if args.rounds < 3:
        p.error("--rounds: at least 3")
    if args.g4_rounds < 1 or args.g3_repeats < 1:
        p.error("--g4-rounds and --g3-repeats: at least 1")
    import_modules()
    fftconv.set_threads(1)
    cv2.setNumThreads(1)
    goals = [g for g in GOALS if not args.only or g in args.only]
    print("fftconv (%s) against scipy %s and OpenCV %s, numpy %s; one thread; %d rounds; %d cores; load average %.2f" %
          (os.path.dirname(fftconv.__file__), scipy.__version__, cv2.__version__, np.__version__, args.rounds,
           os.cpu_count(), load()))
    print("transparent huge pages: %s; NUMPY_MADVISE_HUGEPAGE=%s (numpy asks for huge pages for its large arrays; "
          "fftconv's results are allocated in C++ and do not)" % (huge_pages(), os.environ.get("NUMPY_MADVISE_HUGEPAGE")))
    report = Report()
    runs = {"G1": g1, "G2": g2, "G3": g3, "G4": g4, "G5": g5, "G6": g6}
    start = time.perf_counter()
    with scipy.fft.set_workers(1):
        for g in goals:
            runs[g](args, report)
    print("\ngoals (%.0f s in all, load average now %.2f):" % (time.perf_counter() - start, load()))
    for line in report.lines:
        print("  " + line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
