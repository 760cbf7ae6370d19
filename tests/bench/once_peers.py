#!/usr/bin/env python3
"""W3, W3f, W4, W5, W6, W8 and W9 as a program that convolves once pays for them: each measurement in a
fresh process (tests/bench/once), one thread, the first call and a second one in the same process,
with the page faults each took.

  once_peers.py --once build/tests/bench/once [--rounds 5] [--only W3 W5]

Every round runs fftconv and its bound or peer alternately (raw FFTW for W3, W3f, W4 and W6,
cv::matchTemplate for W5 and W9, cv::filter2D for W8); the report gives medians over rounds with their min-max, the fresh
memory of each call against its output, and the goals of docs/benchmarks.md:
  fresh memory   a one-shot call touches at most its output + 25% (or + 8 MiB when that is more)
  W3, W3f, W4    first call within 1.3x of the bound's, second call within 1.15x
  W5             1.5x faster than cv::matchTemplate, first call and second
  W6             within 1.2x of raw FFTW r2c + c2r
  W8, W9         1.5x faster than cv::filter2D (4096² ⊛ 31²) and cv::matchTemplate (256² in 4096²)
"""

import argparse
import os
import re
import statistics
import subprocess
import sys

PAGE_MIB = 4096 / (1024.0 * 1024.0)
WORKLOADS = ["W3", "W3f", "W4", "W5", "W6", "W8", "W9"]
# (first-call goal, second-call goal, kind): "within" = fftconv / peer at most, "faster" = peer / fftconv
# at least.
GOALS = {
    "W3": (1.3, 1.15, "within"),
    "W3f": (1.3, 1.15, "within"),
    "W4": (1.3, 1.15, "within"),
    "W5": (1.5, 1.5, "faster"),
    "W6": (1.2, 1.2, "within"),
    "W8": (1.5, 1.5, "faster"),
    "W9": (1.5, 1.5, "faster"),
}


PEERS = {"W5": "cv::matchTemplate", "W8": "cv::filter2D", "W9": "cv::matchTemplate"}


def one_process(argv):
    """The calls `once` printed: [{seconds, minflt, output_mib}, ...]."""
    env = dict(os.environ, OMP_NUM_THREADS="1")
    out = subprocess.run(argv, env=env, check=True, capture_output=True, text=True).stdout
    calls = [{"seconds": float(m.group(1)), "minflt": int(m.group(2)), "output_mib": float(m.group(3))}
             for m in re.finditer(r"seconds (\S+) minflt (\d+) majflt \d+ output_mib (\S+)", out)]
    if len(calls) != 2:
        raise RuntimeError("once printed: " + out)
    return calls


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--once", required=True, help="the once executable (tests/bench)")
    p.add_argument("--rounds", type=int, default=5, help="rounds (at least 3; default 5)")
    p.add_argument("--only", nargs="+", choices=WORKLOADS, help="these workloads only")
    args = p.parse_args()
    if args.rounds < 3:
        p.error("--rounds: at least 3")
    workloads = args.only or WORKLOADS
    print("one-shot calls in fresh processes, one thread, %d rounds; load average %.2f" %
          (args.rounds, os.getloadavg()[0]))
    # samples[w][who] = [[first, second], ...] per round
    samples = {w: {"fftconv": [], "peer": []} for w in workloads}
    for r in range(1, args.rounds + 1):
        for w in workloads:
            for who in ("fftconv", "peer"):
                argv = [args.once, w] + (["--peer"] if who == "peer" else [])
                calls = one_process(argv)
                samples[w][who].append(calls)
                print("  round %d  %-4s %-8s first %.4f s (%6d faults)  second %.4f s (%6d faults)" %
                      (r, w, who, calls[0]["seconds"], calls[0]["minflt"], calls[1]["seconds"], calls[1]["minflt"]),
                      flush=True)
    print("\nmedians (min-max) over %d rounds; load average now %.2f" % (args.rounds, os.getloadavg()[0]))
    print("%-4s %-8s %-24s %-24s %-10s %-10s %s" % ("", "", "first call", "second call", "fresh MiB", "output MiB",
                                                   "fresh / output"))
    verdicts = []
    for w in workloads:
        med = {}
        for who in ("fftconv", "peer"):
            rounds = samples[w][who]
            line = "%-4s %-8s" % (w, who)
            for c in (0, 1):
                t = [s[c]["seconds"] for s in rounds]
                med[(who, c)] = statistics.median(t)
                line += " %7.1f ms (%5.1f-%5.1f)" % (1e3 * med[(who, c)], 1e3 * min(t), 1e3 * max(t))
            fresh = statistics.median(s[0]["minflt"] for s in rounds) * PAGE_MIB
            output = rounds[0][0]["output_mib"]
            line += "  %8.1f   %8.1f   %.2f" % (fresh, output, fresh / output)
            print(line)
            if who == "fftconv":
                limit = max(1.25 * output, output + 8)
                verdicts.append("%s fresh memory %.1f MiB, at most %.1f: %s" %
                                (w, fresh, limit, "met" if fresh <= limit else "NOT MET"))
        first_goal, second_goal, kind = GOALS[w]
        for c, goal, name in ((0, first_goal, "first"), (1, second_goal, "second")):
            if kind == "within":
                x = med[("fftconv", c)] / med[("peer", c)]
                ok = x <= goal
                verdicts.append("%s %s call: fftconv / bound %.2fx, goal at most %.2fx: %s" %
                                (w, name, x, goal, "met" if ok else "NOT MET"))
            else:
                x = med[("peer", c)] / med[("fftconv", c)]
                ok = x >= goal
                verdicts.append("%s %s call: %s / fftconv %.2fx, goal at least %.2fx: %s" %
                                (w, name, PEERS[w], x, goal, "met" if ok else "NOT MET"))
    print()
    for v in verdicts:
        print(v)
    return 0


if __name__ == "__main__":
    sys.exit(main())
