#!/usr/bin/env python3
"""Draws the Method::automatic sweep of docs/benchmarks.md from the CSV that
`build/tests/bench/calibrate --sweep --csv docs/benchmarks` writes:

  sweep_1d.png     time per call against kernel size, direct / fft / automatic, for a few 1D inputs
  sweep_2d.png     the same for nxn images and kxk kernels
  sweep_ratio.png  automatic's time over the faster method's, every point of the sweep

On the first two, a solid gray line marks the measured crossover (where direct and fft take the
same time, interpolated on the log-log scale) and a dashed line where automatic switches from
direct to fft; automatic's markers are coloured by the method it ran. A direct time the sweep did
not measure (far too slow, see calibrate.cpp) is drawn hollow at the cost model's prediction.

Usage: scripts/plot_benchmarks.py [--csv docs/benchmarks/sweep.csv] [--outdir docs/benchmarks]
Needs matplotlib (Debian: python3-matplotlib).
"""
import argparse
import csv
import math
import os
import sys

try:
    import matplotlib

    matplotlib.use("Agg")  # files only; no display needed
    import matplotlib.pyplot as plt
except ImportError:
    sys.exit("plot_benchmarks.py: needs matplotlib (Debian: apt-get install python3-matplotlib)")

COLOURS = {"direct": "tab:blue", "fft": "tab:orange"}
PANELS = 4  # input sizes per row of a chart
DPI = 72  # keeps each PNG around 100 KB


def number(text):
    return float(text) if text else math.nan


def read_rows(path):
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    if not rows:
        sys.exit(f"plot_benchmarks.py: {path} has no rows")
    for r in rows:
        r["dims"], r["n"], r["k"] = int(r["dims"]), int(r["n"]), int(r["k"])
        for key in ("direct_s", "fft_s", "automatic_s", "direct_est_s", "fft_est_s", "ratio"):
            r[key] = number(r[key])
    return rows


def spread(values, count):
    """`count` of the sorted values, evenly spaced from the first to the last."""
    values = sorted(set(values))
    if len(values) <= count:
        return values
    return [values[round(i * (len(values) - 1) / (count - 1))] for i in range(count)]


def switch_point(series, faster, direct_key, fft_key):
    """Where `faster` (the method per point, by increasing k) turns from direct to fft for the last
    time: interpolated in log k where log(direct / fft) crosses zero, or the geometric mean of the
    two kernel sizes when a time is missing. None when there is no such turn."""
    for left, right in reversed(list(zip(series, series[1:]))):
        if faster(left) == "direct" and faster(right) == "fft":
            lo = math.log(left[direct_key] / left[fft_key]) if left[direct_key] > 0 else math.nan
            hi = math.log(right[direct_key] / right[fft_key]) if right[direct_key] > 0 else math.nan
            x0, x1 = math.log(left["k"]), math.log(right["k"])
            if lo <= 0 < hi:
                return math.exp(x0 + (0 - lo) / (hi - lo) * (x1 - x0))
            return math.exp((x0 + x1) / 2)
    return None


def draw_panel(ax, series, title):
    ks = [r["k"] for r in series]
    ms = 1e3  # seconds to milliseconds
    timed = [r for r in series if not math.isnan(r["direct_s"])]
    ax.plot([r["k"] for r in timed], [r["direct_s"] * ms for r in timed], "o-", color=COLOURS["direct"], ms=4,
            label="direct")
    untimed = [r for r in series if math.isnan(r["direct_s"])]
    if untimed:
        ax.plot([r["k"] for r in untimed], [r["direct_est_s"] * ms for r in untimed], "o:", color=COLOURS["direct"],
                mfc="none", ms=4, label="direct, predicted (not timed)")
    timed = [r for r in series if not math.isnan(r["fft_s"])]
    ax.plot([r["k"] for r in timed], [r["fft_s"] * ms for r in timed], "s-", color=COLOURS["fft"], ms=4, label="fft")
    ax.plot(ks, [r["automatic_s"] * ms for r in series], "-", color="black", lw=0.8, zorder=3)
    for method in ("direct", "fft"):
        picks = [r for r in series if r["picked"] == method]
        ax.scatter([r["k"] for r in picks], [r["automatic_s"] * ms for r in picks], marker="v", s=30,
                   color=COLOURS[method], edgecolors="black", linewidths=0.7, zorder=4,
                   label=f"automatic, ran {method}")
    # A skipped direct time counts as the slower one, as in the sweep's summary.
    measured = [dict(r, direct_s=r["direct_s"] if not math.isnan(r["direct_s"]) else math.inf) for r in series]
    crossover = switch_point(measured, lambda r: r["best"], "direct_s", "fft_s")
    if crossover:
        ax.axvline(crossover, color="gray", lw=1.5, label="crossover, measured")
        # The label goes on the side of the line with room for it.
        right_half = math.log(crossover) > (math.log(ks[0]) + math.log(ks[-1])) / 2
        ax.annotate(f"k≈{crossover:.0f}", (crossover, 1), xycoords=("data", "axes fraction"),
                    xytext=(-3 if right_half else 3, -12), textcoords="offset points", fontsize=8, color="dimgray",
                    ha="right" if right_half else "left")
    switch = switch_point(series, lambda r: r["picked"], "direct_est_s", "fft_est_s")
    if switch:
        ax.axvline(switch, color="black", ls="--", lw=1, label="automatic switches to fft")
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xticks([k for k in (1, 2, 4, 8, 16, 32, 64, 128, 256) if k <= max(ks)])
    ax.xaxis.set_major_formatter(matplotlib.ticker.ScalarFormatter())
    ax.yaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    ax.set_title(title, fontsize=9)
    ax.tick_params(labelsize=8)
    ax.grid(True, which="major", lw=0.3, alpha=0.5)


def time_chart(rows, dims, path):
    types = [t for t in ("float32", "float64", "complex64", "complex128") if any(
        r["type"] == t and r["dims"] == dims for r in rows)]
    if not types:
        return None
    sizes = spread([r["n"] for r in rows if r["dims"] == dims], PANELS)
    fig, axes = plt.subplots(len(types), len(sizes), figsize=(3.1 * len(sizes), 2.7 * len(types) + 0.8),
                             squeeze=False)
    for row, t in enumerate(types):
        for col, n in enumerate(sizes):
            series = sorted((r for r in rows if r["dims"] == dims and r["type"] == t and r["n"] == n),
                            key=lambda r: r["k"])
            shape = f"1x{n}, kernel 1xk" if dims == 1 else f"{n}x{n}, kernel kxk"
            ax = axes[row][col]
            if series:
                draw_panel(ax, series, f"{t}, {shape}")
            if row == len(types) - 1:
                ax.set_xlabel("kernel size k", fontsize=8)
            if col == 0:
                ax.set_ylabel("ms per call", fontsize=8)
    handles, labels = axes[0][-1].get_legend_handles_labels()
    for ax in axes.flat:  # every entry once, whichever panel has it
        for h, l in zip(*ax.get_legend_handles_labels()):
            if l not in labels:
                handles.append(h)
                labels.append(l)
    fig.legend(handles, labels, loc="lower center", ncol=min(len(labels), 4), fontsize=8, frameon=False)
    fig.suptitle(f"{dims}D convolution, mode same: time per call against kernel size", fontsize=10)
    fig.tight_layout(rect=(0, 0.1 if len(types) == 1 else 0.06, 1, 0.97))
    fig.savefig(path, dpi=DPI)
    plt.close(fig)
    return path


def ratio_chart(rows, path):
    fig, axes = plt.subplots(1, 2, figsize=(12, 3.8), squeeze=False)
    markers = {"float32": "o", "float64": "s", "complex64": "^", "complex128": "D"}
    for ax, dims in zip(axes[0], (1, 2)):
        part = [r for r in rows if r["dims"] == dims]
        if not part:
            ax.set_visible(False)
            continue
        sizes = sorted({r["n"] for r in part})
        colour = {n: plt.cm.viridis(i / max(len(sizes) - 1, 1)) for i, n in enumerate(sizes)}
        for r in part:
            ax.scatter(r["k"], r["ratio"], marker=markers[r["type"]], s=14, color=colour[r["n"]], alpha=0.8)
        # Legend: colour is the input size, marker the type.
        for n in sizes:
            ax.scatter([], [], marker="o", s=14, color=colour[n], label=f"n={n}")
        for t, marker in markers.items():
            if any(r["type"] == t for r in part):
                ax.scatter([], [], marker=marker, s=14, color="gray", label=t)
        ax.axhline(1.2, color="tab:orange", lw=1, ls="--")
        ax.axhline(1.5, color="tab:red", lw=1, ls="--")
        within = sum(r["ratio"] <= 1.2 for r in part)
        worst = max(r["ratio"] for r in part)
        ax.set_title(f"{dims}D: {within} of {len(part)} points within 1.2x of the faster method, worst {worst:.2f}x",
                     fontsize=9)
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xticks([k for k in (1, 2, 4, 8, 16, 32, 64, 128, 256) if k <= max(r["k"] for r in part)])
        ax.xaxis.set_major_formatter(matplotlib.ticker.ScalarFormatter())
        ticks = [t for t in (0.8, 1, 1.2, 1.5, 2, 3, 5, 10, 20, 50) if t <= max(worst, 1.5) * 1.1]
        ax.set_yticks(ticks)
        ax.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:g}x"))
        ax.yaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
        ax.set_xlabel("kernel size k", fontsize=8)
        ax.set_ylabel("automatic / faster method", fontsize=8)
        ax.tick_params(labelsize=8)
        ax.grid(True, lw=0.3, alpha=0.5)
        ax.legend(fontsize=7, frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    fig.tight_layout()
    fig.savefig(path, dpi=DPI)
    plt.close(fig)
    return path


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--csv", default="docs/benchmarks/sweep.csv")
    parser.add_argument("--outdir", default="docs/benchmarks")
    args = parser.parse_args()
    rows = read_rows(args.csv)
    os.makedirs(args.outdir, exist_ok=True)
    written = [time_chart(rows, 1, os.path.join(args.outdir, "sweep_1d.png")),
               time_chart(rows, 2, os.path.join(args.outdir, "sweep_2d.png")),
               ratio_chart(rows, os.path.join(args.outdir, "sweep_ratio.png"))]
    for path in filter(None, written):
        print(f"wrote {path} ({os.path.getsize(path) // 1024} KB)")


if __name__ == "__main__":
    main()
