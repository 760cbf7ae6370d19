#!/usr/bin/env python3
"""nn.hpp's layers against PyTorch (torch.nn.functional, CPU): random valid and invalid
configurations of conv, conv_transpose, max_pool and avg_pool across every parameter, spatial rank
1 to 3, float32 and float64, and the direct, FFT and automatic methods.

Usage: torch_check.py DRIVER [CASES]   (DRIVER: the built tests/torch_driver; CASES default 1200)

For each case PyTorch computes the reference in float64 from the same (float32-rounded) inputs;
fftconv's result must be within TOL · scale of it, scale the largest value of |x| ⋆ |w| (+ |bias|),
the largest magnitude a sum reaches, or max|x| · max|w| where that is larger (a layer whose
windows see only padding sums to 0): TOL 1e-5 for float32 and 1e-12 for float64. Where PyTorch
refuses a configuration fftconv must refuse it too (an fftconv::Error), and where PyTorch
accepts it fftconv must compute it. Exit status 0 when every case agrees."""

import random
import subprocess
import sys
import warnings

import numpy as np
import torch
import torch.nn.functional as F

torch.set_num_threads(1)
# PyTorch notes that 'same' with an even kernel copies the input; NaN - NaN is expected below.
warnings.filterwarnings("ignore", category=UserWarning)
np.seterr(invalid="ignore")

TOL = {"float32": 1e-5, "float64": 1e-12}
METHODS = ["direct", "fft", "automatic"]
PAD_MODES = ["zeros", "reflect", "replicate", "circular"]


def per_axis(values):
    return f"{len(values)} " + " ".join(str(v) for v in values)


def shape_tokens(shape):
    return f"{len(shape)} " + " ".join(str(v) for v in shape)


def values(a):
    return " ".join(repr(float(v)) for v in a.reshape(-1))


def torch_pad_pairs(before, after):
    """F.pad's argument: last axis first, (before, after) per axis."""
    pairs = []
    for b, a in zip(reversed(before), reversed(after)):
        pairs += [b, a]
    return pairs


def conv_reference(x, w, b, stride, padkind, before, after, dilation, groups, mode):
    """PyTorch's conv for the case, as nn.Conv*d computes it (padding_mode through F.pad)."""
    r = w.dim() - 2
    conv = [F.conv1d, F.conv2d, F.conv3d][r - 1]
    if padkind in ("same", "valid") and mode == "zeros":
        return conv(x, w, b, stride=stride, padding=padkind, dilation=dilation, groups=groups)
    if padkind == "same":
        if any(s != 1 for s in stride):
            # what nn.Conv*d says for padding='same' with a stride
            raise ValueError("padding='same' is not supported for strided convolutions")
        total = [d * (k - 1) for d, k in zip(dilation, w.shape[2:])]
        before = [t // 2 for t in total]
        after = [t - t // 2 for t in total]
    elif padkind == "valid":
        before = after = [0] * r
    if mode == "zeros":
        if before == after:
            return conv(x, w, b, stride=stride, padding=before, dilation=dilation, groups=groups)
        if min(before + after) < 0:
            raise ValueError("negative padding")
        x = F.pad(x, torch_pad_pairs(before, after))
    else:
        x = F.pad(x, torch_pad_pairs(before, after), mode=mode)
    return conv(x, w, b, stride=stride, padding=0, dilation=dilation, groups=groups)


def transpose_reference(x, w, b, stride, padding, output_padding, dilation, groups):
    r = w.dim() - 2
    fn = [F.conv_transpose1d, F.conv_transpose2d, F.conv_transpose3d][r - 1]
    return fn(x, w, b, stride=stride, padding=padding, output_padding=output_padding, groups=groups,
              dilation=dilation)


def pool_reference(op, x, r, kernel, stride, padding, dilation, ceil, count_pad, divisor):
    if op == "max_pool":
        fn = [F.max_pool1d, F.max_pool2d, F.max_pool3d][r - 1]
        return fn(x, kernel, stride=stride or None, padding=padding, dilation=dilation, ceil_mode=ceil)
    fn = [F.avg_pool1d, F.avg_pool2d, F.avg_pool3d][r - 1]
    kwargs = {"stride": stride or None, "padding": padding, "ceil_mode": ceil, "count_include_pad": count_pad}
    if r > 1:
        kwargs["divisor_override"] = divisor or None
    return fn(x, kernel, **kwargs)


class Case:
    def __init__(self, header, arrays, reference, scale, dtype, what):
        self.header, self.arrays, self.reference, self.scale = header, arrays, reference, scale
        self.dtype, self.what = dtype, what


def spatial(rng, r, lo, hi):
    return [rng.randint(lo, hi) for _ in range(r)]


def random_conv(rng, np_rng, dtype, method):
    r = rng.choice([1, 2, 3])
    big = {1: 24, 2: 11, 3: 6}[r]
    groups = rng.choice([1, 1, 2, 3])
    cg = rng.randint(1, 3)
    og = rng.randint(1, 4)
    n = rng.randint(1, 2)
    ins = spatial(rng, r, 1, big)
    k = spatial(rng, r, 1, 4)
    stride = spatial(rng, r, 1, 3) if rng.random() < 0.5 else [1] * r
    dilation = spatial(rng, r, 1, 3) if rng.random() < 0.4 else [1] * r
    mode = rng.choice(PAD_MODES)
    padkind = rng.choice(["explicit", "explicit", "same", "valid"])
    if padkind == "explicit":
        before = spatial(rng, r, 0, 3)
        after = list(before) if rng.random() < 0.6 else spatial(rng, r, 0, 3)
    else:
        before = after = None
    channels = groups * cg
    outputs = groups * og
    if rng.random() < 0.06:
        channels += 1  # not divisible: refused
    if rng.random() < 0.04:
        outputs = groups * og + 1 if groups > 1 else outputs
    unbatched = rng.random() < 0.1
    xshape = ([] if unbatched else [n]) + [channels] + ins
    wshape = [outputs, cg] + k
    use_bias = rng.random() < 0.5
    x = np_rng.uniform(-1, 1, xshape)
    w = np_rng.uniform(-1, 1, wshape)
    b = np_rng.uniform(-1, 1, [outputs]) if use_bias else np.zeros([0])
    np_dtype = np.float32 if dtype == "float32" else np.float64
    x, w, b = (a.astype(np_dtype).astype(np.float64) for a in (x, w, b))
    tx, tw = torch.from_numpy(x), torch.from_numpy(w)
    tb = torch.from_numpy(b) if use_bias else None
    header = (f"conv {dtype} {method} {shape_tokens(xshape)} {shape_tokens(wshape)} {len(b)} "
              f"{per_axis(stride)} {padkind} ")
    if padkind == "explicit":
        header += f"{per_axis(before)} {per_axis(after)} "
    header += f"{per_axis(dilation)} {groups} {mode}"
    what = (f"conv{r}d x{xshape} w{wshape} bias={use_bias} stride={stride} padding={padkind}"
            f"{'' if before is None else (before, after)} dilation={dilation} groups={groups} mode={mode}")
    try:
        bx = tx if not unbatched else tx.unsqueeze(0)
        ref = conv_reference(bx, tw, tb, stride, padkind, before, after, dilation, groups, mode)
        ab = conv_reference(bx.abs(), tw.abs(), None if tb is None else tb.abs(), stride, padkind, before, after,
                            dilation, groups, mode)
        if unbatched:
            ref, ab = ref[0], ab[0]
        ref = ref.numpy()
        scale = max(float(ab.max()) if ab.numel() else 0.0, one_product(x, w))
    except (RuntimeError, ValueError) as e:
        ref, scale = str(e).splitlines()[0], None
    return Case(header, [x, w, b], ref, scale, dtype, what)


def one_product(x, w):
    """max|x| · max|w|: the scale where no window reaches the input (an all-padding output is 0)."""
    return float(np.max(np.abs(x)) * np.max(np.abs(w))) if x.size and w.size else 1.0


def random_transpose(rng, np_rng, dtype, method):
    r = rng.choice([1, 2, 3])
    big = {1: 16, 2: 8, 3: 5}[r]
    groups = rng.choice([1, 1, 2])
    cg = rng.randint(1, 3)
    og = rng.randint(1, 3)
    n = rng.randint(1, 2)
    ins = spatial(rng, r, 1, big)
    k = spatial(rng, r, 1, 4)
    stride = spatial(rng, r, 1, 3)
    dilation = spatial(rng, r, 1, 2) if rng.random() < 0.4 else [1] * r
    padding = spatial(rng, r, 0, 2)
    output_padding = [rng.randint(0, max(s, d) - 1) if rng.random() < 0.5 else 0 for s, d in zip(stride, dilation)]
    if rng.random() < 0.06:
        output_padding[0] = max(stride[0], dilation[0])  # refused
    xshape = [n, groups * cg] + ins
    wshape = [groups * cg, og] + k
    use_bias = rng.random() < 0.5
    x = np_rng.uniform(-1, 1, xshape)
    w = np_rng.uniform(-1, 1, wshape)
    b = np_rng.uniform(-1, 1, [groups * og]) if use_bias else np.zeros([0])
    np_dtype = np.float32 if dtype == "float32" else np.float64
    x, w, b = (a.astype(np_dtype).astype(np.float64) for a in (x, w, b))
    tx, tw = torch.from_numpy(x), torch.from_numpy(w)
    tb = torch.from_numpy(b) if use_bias else None
    header = (f"transpose {dtype} {method} {shape_tokens(xshape)} {shape_tokens(wshape)} {len(b)} "
              f"{per_axis(stride)} {per_axis(padding)} {per_axis(output_padding)} {per_axis(dilation)} {groups}")
    what = (f"conv_transpose{r}d x{xshape} w{wshape} stride={stride} padding={padding} "
            f"output_padding={output_padding} dilation={dilation} groups={groups}")
    try:
        ref = transpose_reference(tx, tw, tb, stride, padding, output_padding, dilation, groups).numpy()
        ab = transpose_reference(tx.abs(), tw.abs(), None if tb is None else tb.abs(), stride, padding,
                                 output_padding, dilation, groups)
        scale = max(float(ab.max()) if ab.numel() else 0.0, one_product(x, w))
        if ref.size == 0:
            raise RuntimeError("empty output")
    except (RuntimeError, ValueError) as e:
        ref, scale = str(e).splitlines()[0], None
    return Case(header, [x, w, b], ref, scale, dtype, what)


def random_pool(rng, np_rng, dtype, op):
    r = rng.choice([1, 2, 3])
    big = {1: 20, 2: 10, 3: 6}[r]
    ins = spatial(rng, r, 1, big)
    kernel = spatial(rng, r, 1, 4)
    stride = spatial(rng, r, 1, 3) if rng.random() < 0.6 else []
    padding = [rng.randint(0, k // 2 + (1 if rng.random() < 0.05 else 0)) for k in kernel]
    dilation = spatial(rng, r, 1, 2) if op == "max_pool" and rng.random() < 0.4 else [1] * r
    ceil = rng.random() < 0.4
    count_pad = rng.random() < 0.6
    divisor = rng.randint(1, 5) if op == "avg_pool" and r > 1 and rng.random() < 0.15 else 0
    xshape = [rng.randint(1, 2), rng.randint(1, 3)] + ins
    x = np_rng.uniform(-1, 1, xshape)
    if op == "max_pool" and rng.random() < 0.1:
        x.reshape(-1)[rng.randrange(x.size)] = np.nan
    np_dtype = np.float32 if dtype == "float32" else np.float64
    x = x.astype(np_dtype).astype(np.float64)
    header = (f"{op} {dtype} {shape_tokens(xshape)} {r} {per_axis(kernel)} {per_axis(stride)} {per_axis(padding)} "
              f"{per_axis(dilation)} {int(ceil)} {int(count_pad)} {divisor}")
    what = (f"{op}{r}d x{xshape} kernel={kernel} stride={stride} padding={padding} dilation={dilation} "
            f"ceil={ceil} count_include_pad={count_pad} divisor={divisor}")
    try:
        ref = pool_reference(op, torch.from_numpy(x), r, kernel, stride, padding, dilation, ceil, count_pad,
                             divisor).numpy()
        if ref.size == 0:
            raise RuntimeError("empty output")
        scale = float(np.nanmax(np.abs(x))) if np.isfinite(x).any() else 1.0
    except (RuntimeError, ValueError) as e:
        ref, scale = str(e).splitlines()[0], None
    return Case(header, [x], ref, scale, dtype, what)


def main():
    driver = sys.argv[1]
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 1200
    rng = random.Random(1234)
    np_rng = np.random.default_rng(1234)
    cases = []
    for i in range(count):
        dtype = ["float32", "float64"][i % 2]
        method = METHODS[(i // 2) % 3]
        kind = i % 10
        if kind < 5:
            cases.append(random_conv(rng, np_rng, dtype, method))
        elif kind < 7:
            cases.append(random_transpose(rng, np_rng, dtype, method))
        else:
            cases.append(random_pool(rng, np_rng, dtype, "max_pool" if kind < 9 else "avg_pool"))
    stdin = "".join(c.header + "\n" + "\n".join(values(a) for a in c.arrays if a.size) + "\n" for c in cases)
    out = subprocess.run([driver], input=stdin, capture_output=True, text=True, check=True).stdout.splitlines()
    if len(out) != len(cases):
        print(f"torch_check: the driver answered {len(out)} of {len(cases)} cases")
        return 1
    failures = 0
    tally = {"computed": 0, "refused": 0}
    worst = {"float32": 0.0, "float64": 0.0}
    for case, line in zip(cases, out):
        words = line.split(" ", 1)
        if isinstance(case.reference, str):
            tally["refused"] += 1
            if words[0] != "error":
                failures += 1
                print(f"FAIL {case.what}: PyTorch refuses ({case.reference}); fftconv computed it")
            continue
        tally["computed"] += 1
        if words[0] != "ok":
            failures += 1
            print(f"FAIL {case.what}: PyTorch computes it; fftconv refused: {words[1] if len(words) > 1 else ''}")
            continue
        tokens = words[1].split()
        rank = int(tokens[0])
        shape = tuple(int(t) for t in tokens[1:1 + rank])
        got = np.array([float(t) for t in tokens[1 + rank:]]).reshape(shape)
        if shape != case.reference.shape:
            failures += 1
            print(f"FAIL {case.what}: shape {shape}, PyTorch's {case.reference.shape}")
            continue
        want = case.reference
        if not np.array_equal(np.isnan(got), np.isnan(want)):
            failures += 1
            print(f"FAIL {case.what}: NaN in other places than PyTorch's")
            continue
        diff = np.abs(got - want)
        err = float(np.max(np.where(np.isnan(diff), 0.0, diff))) if got.size else 0.0
        rel = err / max(case.scale, 1e-300)
        worst[case.dtype] = max(worst[case.dtype], rel)
        if rel > TOL[case.dtype]:
            failures += 1
            print(f"FAIL {case.what} {case.dtype}: error {err:.3g} = {rel:.3g} of the scale {case.scale:.3g}, "
                  f"more than {TOL[case.dtype]}")
    print(f"torch_check: {len(cases)} cases ({tally['computed']} computed, {tally['refused']} refused by both "
          f"or not), worst error / scale: float32 {worst['float32']:.3g}, float64 {worst['float64']:.3g}; "
          f"{failures} failed (PyTorch {torch.__version__})")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
