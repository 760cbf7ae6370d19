#!/usr/bin/env python3
"""fftconv.nn against torch.nn.functional (CPU, oneDNN where torch uses it), one thread each, in
one process: the layers of tests/bench's table in docs/benchmarks.md.

Usage: nn_peers.py [--repeat N] [--quick]
Prints the first call of the ResNet and depthwise layers in fresh processes, then, per layer:
torch's median time in this process, fftconv's (method 'auto', and direct and FFT where each
finishes in reasonable time), the ratio torch / fftconv (above 1: fftconv faster), the method
'auto' ran, and the largest difference from torch relative to max|x|·max|w|·fan_in.
Needs PYTHONPATH to hold the built package (meson's benchmark sets it)."""

import argparse
import statistics
import time

import numpy as np
import torch
import torch.nn.functional as F

import fftconv
from fftconv import nn

torch.set_num_threads(1)
fftconv.set_threads(1)


def median_seconds(fn, repeat, warm=True):
    if warm:
        fn()  # plans, pages, caches
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def layer(name, x_shape, w_shape, repeat, rank=2, methods=("auto", "direct", "fft"), slow_peer=False, **kw):
    """One row; slow_peer: torch timed by one cold call (it takes minutes)."""
    rng = np.random.default_rng(1)
    x = rng.standard_normal(x_shape, dtype=np.float32)
    w = rng.standard_normal(w_shape, dtype=np.float32)
    tx, tw = torch.from_numpy(x), torch.from_numpy(w)
    tconv = [F.conv1d, F.conv2d, F.conv3d][rank - 1]
    fconv = [nn.conv1d, nn.conv2d, nn.conv3d][rank - 1]
    start = time.perf_counter()
    want = tconv(tx, tw, **kw).numpy()
    t_torch = time.perf_counter() - start if slow_peer else median_seconds(lambda: tconv(tx, tw, **kw), repeat)
    scale = float(np.abs(x).max() * np.abs(w).max() * np.prod(w_shape[1:]))
    row = [f"{name:<44}", f"torch {t_torch * 1e3:9.2f} ms{' (1 call)' if slow_peer else ''}"]
    for m in methods:
        t = median_seconds(lambda: fconv(x, w, method=m, **kw), repeat)
        got = fconv(x, w, method=m, **kw)
        err = float(np.abs(got - want).max()) / scale
        row.append(f"{m} {t * 1e3:9.2f} ms ({t_torch / t:5.2f}x, err {err:.1e})")
    print("  ".join(row), flush=True)


FIRST_CALL = """
import sys, time, numpy as np
lib, which = sys.argv[1], sys.argv[2]
shapes = {"resnet": ((1, 64, 56, 56), (64, 64, 3, 3), dict(padding=1)),
          "depthwise": ((1, 256, 56, 56), (256, 1, 3, 3), dict(padding=1, groups=256))}
xs, ws, kw = shapes[which]
rng = np.random.default_rng(1)
x, w = rng.standard_normal(xs, dtype=np.float32), rng.standard_normal(ws, dtype=np.float32)
if lib == "torch":
    import torch
    torch.set_num_threads(1)
    tx, tw = torch.from_numpy(x), torch.from_numpy(w)
    start = time.perf_counter()
    torch.nn.functional.conv2d(tx, tw, **kw)
else:
    import fftconv
    fftconv.set_threads(1)
    start = time.perf_counter()
    fftconv.nn.conv2d(x, w, **kw)
print(time.perf_counter() - start)
"""


def first_calls(rounds):
    """The first call in a fresh process (its pages, its plans), each library in its own process,
    alternating: the median of `rounds`."""
    import subprocess
    import sys
    for which, name in (("resnet", "ResNet 3x3 layer"), ("depthwise", "depthwise 3x3")):
        seconds = {"torch": [], "fftconv": []}
        for _ in range(rounds):
            for lib in seconds:
                out = subprocess.run([sys.executable, "-c", FIRST_CALL, lib, which], capture_output=True, text=True,
                                     check=True).stdout
                seconds[lib].append(float(out))
        t, f = statistics.median(seconds["torch"]), statistics.median(seconds["fftconv"])
        print(f"first call in a fresh process, {name:<20} torch {t * 1e3:8.2f} ms  fftconv {f * 1e3:8.2f} ms "
              f"({t / f:5.2f}x; median of {rounds})", flush=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="smaller inputs (a smoke run)")
    parser.add_argument("--first-calls", type=int, default=5, metavar="ROUNDS",
                        help="fresh processes per library for the first-call rows (0: none)")
    args = parser.parse_args()
    if args.first_calls > 0 and not args.quick:
        first_calls(args.first_calls)
    r = args.repeat
    print(f"one thread each; torch {torch.__version__}, fftconv kernels {fftconv._fftconv.simd_instruction_set()}; "
          f"median of {r} after one warm call; ratio = torch / fftconv")
    if args.quick:
        layer("3x3, 1x16x28x28 -> 16, pad 1", (1, 16, 28, 28), (16, 16, 3, 3), r, padding=1)
        layer("depthwise 3x3, 1x32x28x28, groups 32", (1, 32, 28, 28), (32, 1, 3, 3), r, padding=1, groups=32)
        layer("conv1d 65,536 x 1,024 taps", (1, 1, 65536), (1, 1, 1024), r, rank=1)
        return
    layer("ResNet 3x3, 1x64x56x56 -> 64, pad 1", (1, 64, 56, 56), (64, 64, 3, 3), r, padding=1)
    layer("depthwise 3x3, 1x256x56x56, groups 256", (1, 256, 56, 56), (256, 1, 3, 3), r, padding=1, groups=256)
    layer("conv2d 1x16x256x256 -> 16, 31x31, pad 15", (1, 16, 256, 256), (16, 16, 31, 31), max(1, r // 2),
          methods=("auto", "fft"), slow_peer=True, padding=15)
    layer("conv1d 1,048,576 samples x 4,096 taps", (1, 1, 1 << 20), (1, 1, 4096), max(1, r // 2), rank=1,
          methods=("auto", "fft"))


if __name__ == "__main__":
    main()
