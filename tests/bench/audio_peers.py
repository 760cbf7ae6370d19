#!/usr/bin/env python3
"""Convolution reverb, the tool against ffmpeg's afir: whole processes, rounds interleaved, wall
time, CPU time and peak memory from /usr/bin/time -v.

The inputs are made here: MINUTES of 48 kHz stereo 16-bit noise (numpy's default_rng(3), standard
deviation 3000) and a 3 s stereo float32 response of noise decaying as exp(-3 t) (default_rng(4),
peak 0.02), both written as WAV. Each side writes a 16-bit WAV of the full convolution, no gain
normalisation, channel by channel. Without ffmpeg on the PATH the tool's rows are printed alone.
"""
import argparse
import os
import shutil
import statistics
import tempfile
import wave

from whole_process import time_v


def timed(cmd):
    """(wall seconds, cpu seconds, peak RSS MiB) of one run."""
    t = time_v(cmd)
    return t["seconds"], t["cpu"], t["rss_mib"]


def write_wav(path, rate, width, data):
    with wave.open(path, "wb") as f:
        f.setnchannels(2)
        f.setsampwidth(width)
        f.setframerate(rate)
        f.writeframes(data)


def float_wav(path, rate, samples):
    """A 32-bit float WAV (format 3), which the wave module does not write."""
    import struct
    data = samples.astype("<f4").tobytes()
    header = b"RIFF" + struct.pack("<I", 36 + len(data)) + b"WAVEfmt " + struct.pack(
        "<IHHIIHH", 16, 3, samples.shape[1], rate, rate * 4 * samples.shape[1], 4 * samples.shape[1], 32)
    with open(path, "wb") as f:
        f.write(header + b"data" + struct.pack("<I", len(data)) + data)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--fftconv", required=True)
    ap.add_argument("--minutes", type=float, default=10)
    ap.add_argument("--rounds", type=int, default=3)
    a = ap.parse_args()
    import numpy as np  # the inputs only

    work = tempfile.mkdtemp(prefix="fftconv-audio-")
    try:
        rate = 48000
        n = int(a.minutes * 60 * rate)
        x = np.clip(np.random.default_rng(3).normal(0, 3000, (n, 2)), -32768, 32767).astype("<i2")
        src = os.path.join(work, "in.wav")
        write_wav(src, rate, 2, x.tobytes())
        t = np.arange(3 * rate) / rate
        h = np.random.default_rng(4).uniform(-0.02, 0.02, (3 * rate, 2)) * np.exp(-3 * t)[:, None]
        ir = os.path.join(work, "ir.wav")
        float_wav(ir, rate, h)
        out = os.path.join(work, "out.wav")
        rows = {
            "fftconv conv --threads 2": [a.fftconv, "conv", src, ir, out, "--threads", "2"],
            "fftconv conv (one thread)": [a.fftconv, "conv", src, ir, out],
        }
        ffmpeg = shutil.which("ffmpeg")
        if ffmpeg:
            afir = ["-i", src, "-i", ir, "-filter_complex", "[0:a][1:a]afir=gtype=none:dry=0:wet=1", "-c:a", "pcm_s16le",
                    out]
            rows["ffmpeg afir -threads 1"] = [ffmpeg, "-loglevel", "error", "-y", "-threads", "1", "-filter_threads",
                                              "1"] + afir
            rows["ffmpeg afir"] = [ffmpeg, "-loglevel", "error", "-y"] + afir
        else:
            print("ffmpeg not found: the tool's rows alone")
        runs = {name: [] for name in rows}
        for _ in range(a.rounds):
            for name, cmd in rows.items():
                runs[name].append(timed(cmd))
        print(f"{a.minutes:g} min of 48 kHz stereo 16-bit ⊛ 3 s stereo response, {a.rounds} rounds interleaved")
        base = "ffmpeg afir -threads 1"
        for name, r in runs.items():
            wall = [w for w, _, _ in r]
            line = (f"{name:28s} wall {min(wall):.2f}-{max(wall):.2f} s (median {statistics.median(wall):.2f}), "
                    f"cpu {min(c for _, c, _ in r):.2f}-{max(c for _, c, _ in r):.2f} s, "
                    f"peak {max(p for _, _, p in r):.0f} MiB")
            if base in runs and name != base:
                ratios = [b[0] / w for w, b in zip(wall, runs[base])]
                line += f"; ffmpeg -threads 1 / this, per round: {min(ratios):.2f}-{max(ratios):.2f}x"
            print(line)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
