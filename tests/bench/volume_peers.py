#!/usr/bin/env python3
"""The W7 volume against scipy, one thread, each measurement in a fresh process.

256x256x256 float32 random input with a 31x31x31 float32 random kernel, mode 'same':

  calls      the call alone, timed inside a process that has just made its data, twice (the
             first call, what a one-shot program pays, and a second one in the same process):
             scipy.signal.fftconvolve, scipy.signal.oaconvolve, fftconv::convolve
             (tests/bench/volume_once), and the bound, the same convolution written straight
             against FFTW's 3D r2c/c2r at fftconv's padded size (volume_once --raw-fftw, its
             FFTW_MEASURE planning before the clock), with the page faults each call took
  processes  whole processes timed with /usr/bin/time -v (wall clock and maximum RSS): the tool,
             `fftconv conv vol.npy k.npy out.npy --mode same`, against python3 doing np.load,
             the scipy call and np.save

Every round runs each measurement once, in the same order (A B C ... A B C ...); the report
gives the median over rounds, the load average beside each figure, and fftconv's ratios.

  volume_peers.py --volume-once build/tests/bench/volume_once [--fftconv build/apps/fftconv]
                  [--rounds 5] [--json FILE]
"""

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile

from whole_process import time_v

SIZE, KSIZE = 256, 31
# fftconv pads each axis to 280 (its best_fast_length from 256 + 31 - 1 - 15 = 271, the shortest
# cyclic length that leaves the same-mode window unwrapped); the bound runs at that size.
PAD = 280
RAW = "raw FFTW r2c*c2r 3D %d^3" % PAD
ONE_THREAD = {
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "NUMEXPR_NUM_THREADS": "1",
}

# The scipy side of a "calls" measurement: run as `python3 volume_peers.py --worker NAME` in a
# process of its own, two calls in a row. Data from numpy's generator (the values do not change
# the work).
def worker(name):
    import resource
    import time

    import numpy as np
    import scipy.fft
    import scipy.signal

    a = np.random.default_rng(7).uniform(-1, 1, (SIZE,) * 3).astype(np.float32)
    k = np.random.default_rng(8).uniform(-1, 1, (KSIZE,) * 3).astype(np.float32)
    fn = {"fftconvolve": scipy.signal.fftconvolve, "oaconvolve": scipy.signal.oaconvolve}[name]
    calls = []
    with scipy.fft.set_workers(1):
        for _ in range(2):
            before = resource.getrusage(resource.RUSAGE_SELF)
            t0 = time.perf_counter()
            r = fn(a, k, "same")
            seconds = time.perf_counter() - t0
            after = resource.getrusage(resource.RUSAGE_SELF)
            assert r.dtype == np.float32 and r.shape == a.shape, (r.dtype, r.shape)
            del r
            calls.append({"seconds": seconds, "minflt": after.ru_minflt - before.ru_minflt,
                          "majflt": after.ru_majflt - before.ru_majflt})
    print(json.dumps(calls))


def run_env():
    env = dict(os.environ)
    env.update(ONE_THREAD)
    return env


def load():
    return os.getloadavg()[0]


def call_scipy(name):
    """The first and the second call of scipy.signal.NAME in a fresh process."""
    out = subprocess.run([sys.executable, os.path.abspath(__file__), "--worker", name], env=run_env(),
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def call_volume_once(argv):
    """The first and the second call volume_once times in a fresh process."""
    out = subprocess.run(argv + ["--calls", "2"], env=run_env(), check=True, capture_output=True,
                         text=True).stdout
    calls = [{"seconds": float(m.group(1)), "minflt": int(m.group(2)), "majflt": int(m.group(3))}
             for m in re.finditer(r"seconds (\S+) minflt (\d+) majflt (\d+)", out)]
    if len(calls) != 2:
        raise RuntimeError("volume_once printed: " + out)
    return calls


def timed_process(argv):
    """Wall seconds, maximum RSS (MiB) and minor faults of a whole process."""
    return time_v(argv, env=run_env())


SCIPY_PROCESS = (
    "import sys, numpy as np, scipy.fft, scipy.signal\n"
    "a = np.load(sys.argv[1]); k = np.load(sys.argv[2])\n"
    "with scipy.fft.set_workers(1):\n"
    "    r = scipy.signal.{fn}(a, k, 'same')\n"
    "np.save(sys.argv[3], r)\n"
)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--worker", help=argparse.SUPPRESS)
    p.add_argument("--volume-once", help="the volume_once executable (tests/bench)")
    p.add_argument("--fftconv", help="the fftconv tool (apps); without it the process rows are skipped")
    p.add_argument("--rounds", type=int, default=5, help="rounds of every measurement (at least 3; default 5)")
    p.add_argument("--json", help="also write every sample to this file")
    args = p.parse_args()
    if args.worker:
        worker(args.worker)
        return 0
    if not args.volume_once:
        p.error("--volume-once is required")
    if args.rounds < 3:
        p.error("--rounds: at least 3")
    if args.fftconv and not shutil.which("/usr/bin/time"):
        print("no /usr/bin/time: the whole-process rows are skipped")
        args.fftconv = None

    import numpy as np

    tmp = tempfile.mkdtemp(prefix="volume_peers.")
    try:
        vol, ker = os.path.join(tmp, "vol.npy"), os.path.join(tmp, "k.npy")
        np.save(vol, np.random.default_rng(7).uniform(-1, 1, (SIZE,) * 3).astype(np.float32))
        np.save(ker, np.random.default_rng(8).uniform(-1, 1, (KSIZE,) * 3).astype(np.float32))
        out_tool, out_py = os.path.join(tmp, "out_fftconv.npy"), os.path.join(tmp, "out_scipy.npy")

        # (kind, the names of what one measurement gives, the measurement)
        measures = [
            ("call", ["scipy.signal.fftconvolve", "scipy.signal.fftconvolve, 2nd call"],
             lambda: call_scipy("fftconvolve")),
            ("call", ["scipy.signal.oaconvolve", "scipy.signal.oaconvolve, 2nd call"],
             lambda: call_scipy("oaconvolve")),
            ("call", ["fftconv::convolve", "fftconv::convolve, 2nd call"],
             lambda: call_volume_once([args.volume_once])),
            ("call", [RAW, RAW + ", 2nd call"],
             lambda: call_volume_once([args.volume_once, "--raw-fftw", "--pad", str(PAD)])),
        ]
        if args.fftconv:
            measures += [
                ("process", ["fftconv conv (tool)"],
                 lambda: [timed_process([args.fftconv, "conv", vol, ker, out_tool, "--mode", "same"])]),
                ("process", ["python: np.load, fftconvolve, np.save"],
                 lambda: [timed_process([sys.executable, "-c", SCIPY_PROCESS.format(fn="fftconvolve"), vol, ker,
                                         out_py])]),
                ("process", ["python: np.load, oaconvolve, np.save"],
                 lambda: [timed_process([sys.executable, "-c", SCIPY_PROCESS.format(fn="oaconvolve"), vol, ker,
                                         out_py])]),
            ]
        rows = [(kind, name) for kind, names, _ in measures for name in names]

        print("W7: %d^3 float32 with a %d^3 kernel, mode same, one thread; %d rounds, each measurement in "
              "a fresh process" % (SIZE, KSIZE, args.rounds))
        samples = {name: [] for _, name in rows}
        for r in range(1, args.rounds + 1):
            for kind, names, fn in measures:
                before = load()
                got = fn()
                after = load()
                for name, s in zip(names, got):
                    s["load"] = (before + after) / 2
                    samples[name].append(s)
                    extra = ("  max RSS %6.0f MiB" % s["rss_mib"]) if kind == "process" else ""
                    print("  round %d  %-40s %7.3f s  minflt %6d%s  load %.2f" %
                          (r, name, s["seconds"], s["minflt"], extra, s["load"]), flush=True)

        if args.fftconv:
            a, b = np.load(out_tool), np.load(out_py)
            print("tool's output against scipy's (the last process run): max|diff| / max|scipy| = %.1e" %
                  (float(np.max(np.abs(a.astype(np.float64) - b))) / float(np.max(np.abs(b)))))

        med = {name: statistics.median(s["seconds"] for s in v) for name, v in samples.items()}
        print("\nmedians over %d rounds (load average %.2f to %.2f):" %
              (args.rounds, min(s["load"] for v in samples.values() for s in v),
               max(s["load"] for v in samples.values() for s in v)))
        for kind, name in rows:
            v = samples[name]
            line = "  %-7s %-40s %7.3f s  (%.3f to %.3f)  minflt %d" % (
                kind, name, med[name], min(s["seconds"] for s in v), max(s["seconds"] for s in v),
                statistics.median(s["minflt"] for s in v))
            if kind == "process":
                line += "  max RSS %.0f MiB" % statistics.median(s["rss_mib"] for s in v)
            print(line)

        def ratio(peer, ours, goal=None, at_most=None):
            x = med[peer] / med[ours]
            # Per round too: the spread of the ratio within rounds run side by side.
            per_round = sorted(p["seconds"] / o["seconds"] for p, o in zip(samples[peer], samples[ours]))
            g = ""
            if goal is not None:
                g = "   goal >= %.1fx  %s" % (goal, "met" if x >= goal else "NOT MET")
            if at_most is not None:
                g = "   goal <= %.1fx  %s" % (at_most, "met" if x <= at_most else "NOT MET")
            print("  %-40s / %-34s %5.2fx  (per round %.2f to %.2f)%s" %
                  (peer, ours, x, per_round[0], per_round[-1], g))

        print("\nratios (medians; per round: the same ratio within each round):")
        ratio("scipy.signal.fftconvolve", "fftconv::convolve", 3.0)
        ratio("scipy.signal.oaconvolve", "fftconv::convolve", 5.0)
        ratio("fftconv::convolve", RAW, at_most=1.2)
        ratio("scipy.signal.fftconvolve, 2nd call", "fftconv::convolve, 2nd call")
        ratio("scipy.signal.oaconvolve, 2nd call", "fftconv::convolve, 2nd call")
        ratio("fftconv::convolve, 2nd call", RAW + ", 2nd call", at_most=1.2)
        # What the bound itself gets against scipy: no FFTW convolution is faster than it.
        ratio("scipy.signal.fftconvolve", RAW)
        if args.fftconv:
            ratio("python: np.load, fftconvolve, np.save", "fftconv conv (tool)")
            ratio("python: np.load, oaconvolve, np.save", "fftconv conv (tool)")

        if args.json:
            with open(args.json, "w") as f:
                json.dump({"rounds": args.rounds, "samples": samples, "medians": med}, f, indent=1)
            print("wrote " + args.json)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
