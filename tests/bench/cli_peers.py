#!/usr/bin/env python3
"""The tool against the same operations written with OpenCV (opencv_cli), whole process against
whole process: wall time, peak memory and minor page faults from /usr/bin/time -v, rounds
interleaved (fftconv, then OpenCV, per command), medians with min-max.

The input is made here: samples/chelsea.png resized to SIZE x SIZE (colour, 8-bit PNG), with a
64x64 template cut from it for `match`.
"""
import argparse
import json
import os
import statistics
import tempfile

from whole_process import time_v


def timed(cmd):
    """(wall seconds, peak RSS MiB, minor faults) of one run."""
    t = time_v(cmd)
    return t["seconds"], t["rss_mib"], t["minflt"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--fftconv", required=True)
    ap.add_argument("--opencv-cli", required=True)
    ap.add_argument("--sample", default=os.path.join(os.path.dirname(__file__), "..", "..", "samples", "chelsea.png"))
    ap.add_argument("--size", type=int, default=4096)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--only", help="comma-separated commands to run (identity,blur,sobel,conv,match,lowpass)")
    ap.add_argument("--json")
    a = ap.parse_args()
    import cv2  # the test input only

    work = tempfile.mkdtemp(prefix="fftconv-cli-")
    big = os.path.join(work, "big.png")
    templ = os.path.join(work, "templ.png")
    image = cv2.resize(cv2.imread(a.sample, cv2.IMREAD_COLOR), (a.size, a.size), interpolation=cv2.INTER_CUBIC)
    cv2.imwrite(big, image)
    cv2.imwrite(templ, image[a.size // 3 : a.size // 3 + 64, a.size // 2 : a.size // 2 + 64])
    out_a, out_b = os.path.join(work, "a.png"), os.path.join(work, "b.png")
    f, o = a.fftconv, a.opencv_cli
    commands = {
        # The identity kernel: what the tool's own pipeline costs beyond reading and writing.
        "identity": ([f, "conv", big, "1", out_a, "--mode", "same"], [o, "identity", big, out_b]),
        "blur": ([f, "blur", big, out_a, "--sigma", "2"], [o, "blur", big, out_b, "2"]),
        "sobel": ([f, "sobel", big, out_a], [o, "sobel", big, out_b]),
        "conv": ([f, "conv", big, "box:31", out_a, "--mode", "same", "--border", "constant"],
                 [o, "conv", big, out_b, "31"]),
        "match": ([f, "match", big, templ, "--top", "1"], [o, "match", big, templ]),
        "lowpass": ([f, "lowpass", big, out_a, "--cutoff", "0.1", "--border", "wrap"], [o, "lowpass", big, out_b, "0.1"]),
    }
    if a.only:
        commands = {k: v for k, v in commands.items() if k in a.only.split(",")}
    results = {}
    print(f"{a.size}x{a.size} colour PNG, {a.rounds} rounds, medians (min-max); whole processes")
    print(f"{'command':9} {'fftconv s':>18} {'OpenCV s':>18} {'ratio':>6}  {'fftconv MiB':>12} {'OpenCV MiB':>11}  "
          f"{'fftconv faults':>14} {'OpenCV faults':>13}")
    for name, (mine, peer) in commands.items():
        runs = {"fftconv": [], "opencv": []}
        for _ in range(a.rounds):
            runs["fftconv"].append(timed(mine))
            runs["opencv"].append(timed(peer))
        med = {k: [statistics.median(x[i] for x in v) for i in range(3)] for k, v in runs.items()}
        span = {k: (min(x[0] for x in v), max(x[0] for x in v)) for k, v in runs.items()}
        ratios = [x[0] / y[0] for x, y in zip(runs["fftconv"], runs["opencv"])]
        results[name] = {"runs": runs, "median": med, "ratio_median": statistics.median(ratios)}
        fs, os_ = med["fftconv"], med["opencv"]
        print(f"{name:9} {fs[0]:6.2f} ({span['fftconv'][0]:.2f}-{span['fftconv'][1]:.2f}) "
              f"{os_[0]:6.2f} ({span['opencv'][0]:.2f}-{span['opencv'][1]:.2f}) {statistics.median(ratios):5.2f}x  "
              f"{fs[1]:12.0f} {os_[1]:11.0f}  {fs[2]:14.0f} {os_[2]:13.0f}", flush=True)
    if a.json:
        with open(a.json, "w") as fh:
            json.dump(results, fh, indent=1)
    for p in (big, templ, out_a, out_b):
        if os.path.exists(p):
            os.remove(p)
    os.rmdir(work)


if __name__ == "__main__":
    main()
