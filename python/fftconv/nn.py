"""Convolution layers as torch.nn.functional computes them, on numpy arrays: the same names, the
same arguments, the same numbers (within rounding), directly or through the FFT.

    conv1d, conv2d, conv3d                         F.conv1d/2d/3d, with nn.Conv*d's padding_mode
    conv_transpose1d, conv_transpose2d, conv_transpose3d
    max_pool1d, max_pool2d, max_pool3d, avg_pool1d, avg_pool2d, avg_pool3d
    conv_output_size, conv_transpose_output_size, pool_output_size

Inputs are N x C x spatial (or C x spatial, unbatched), weights O x C/groups x k... (C x O/groups
x k... transposed); float32 in both gives float32, anything else float64. Like PyTorch these are
cross-correlations: the kernel is not flipped. padding='same' puts an odd padding's extra zero
after, as PyTorch does (scipy.signal's 'same' puts it before). Every call takes method='auto',
'direct' or 'fft' and workers= (threads for that call)."""

import numpy as _np

from . import _arrays, _fftconv

_PADDING_MODES = {"zeros": 0, "reflect": 1, "replicate": 2, "circular": 3}

__all__ = [
    "conv1d",
    "conv2d",
    "conv3d",
    "conv_transpose1d",
    "conv_transpose2d",
    "conv_transpose3d",
    "max_pool1d",
    "max_pool2d",
    "max_pool3d",
    "avg_pool1d",
    "avg_pool2d",
    "avg_pool3d",
    "conv_output_size",
    "conv_transpose_output_size",
    "pool_output_size",
]


def _ints(value, rank, name):
    """PyTorch's `int or tuple`: one value for every axis, or one per axis."""
    if isinstance(value, (int, _np.integer)) and not isinstance(value, bool):
        return [int(value)] * rank
    values = list(value)
    if len(values) == 1:
        values = values * rank
    if len(values) != rank or not all(isinstance(v, (int, _np.integer)) and not isinstance(v, bool) for v in values):
        raise ValueError(f"{name} must be an int or {rank} ints, not {value!r}")
    return [int(v) for v in values]


def _operands(input, weight, bias):
    x, w = _np.asarray(input), _np.asarray(weight)
    for a, name in ((x, "input"), (w, "weight")):
        if a.dtype.kind not in "biuf":
            raise ValueError(f"{name}: the layers take real numbers, not {a.dtype}")
    dtype = _np.float32 if x.dtype == w.dtype == _np.float32 else _np.float64
    b = None if bias is None else _np.ascontiguousarray(_np.asarray(bias).reshape(-1), dtype)
    return _arrays.prepared(x, dtype), _arrays.prepared(w, dtype), b


def _conv(rank, input, weight, bias, stride, padding, dilation, groups, padding_mode, method, workers):
    x, w, b = _operands(input, weight, bias)
    if w.ndim != rank + 2:
        raise ValueError(f"conv{rank}d: the weight is O x C/groups x k... of {rank + 2} dimensions, not {w.shape}")
    if padding_mode not in _PADDING_MODES:
        raise ValueError(f"padding_mode must be 'zeros', 'reflect', 'replicate' or 'circular', not {padding_mode!r}")
    before = after = []
    if isinstance(padding, str):
        if padding not in ("same", "valid"):
            raise ValueError(f"padding must be 'same', 'valid', an int or {rank} ints, not {padding!r}")
        kind = padding
    else:
        kind = "explicit"
        before = after = _ints(padding, rank, "padding")
    return _fftconv.nn_conv(x, w, b, _ints(stride, rank, "stride"), kind, before, after,
                            _ints(dilation, rank, "dilation"), int(groups), _PADDING_MODES[padding_mode],
                            _arrays.method(method), _arrays.workers(workers))


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1, padding_mode="zeros",
           method="auto", *, workers=None):
    """torch.nn.functional.conv1d (N x C x L). padding: an int, 'same' or 'valid';
    padding_mode: 'zeros', 'reflect', 'replicate' or 'circular' (nn.Conv1d's)."""
    return _conv(1, input, weight, bias, stride, padding, dilation, groups, padding_mode, method, workers)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1, padding_mode="zeros",
           method="auto", *, workers=None):
    """torch.nn.functional.conv2d (N x C x H x W): conv2d(arange(25).reshape(1, 1, 5, 5),
    ones((1, 1, 3, 3)), stride=2) is [[[[54, 72], [144, 162]]]]."""
    return _conv(2, input, weight, bias, stride, padding, dilation, groups, padding_mode, method, workers)


def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1, padding_mode="zeros",
           method="auto", *, workers=None):
    """torch.nn.functional.conv3d (N x C x D x H x W)."""
    return _conv(3, input, weight, bias, stride, padding, dilation, groups, padding_mode, method, workers)


def _conv_transpose(rank, input, weight, bias, stride, padding, output_padding, groups, dilation, method, workers):
    x, w, b = _operands(input, weight, bias)
    if w.ndim != rank + 2:
        raise ValueError(
            f"conv_transpose{rank}d: the weight is C x O/groups x k... of {rank + 2} dimensions, not {w.shape}")
    return _fftconv.nn_conv_transpose(x, w, b, _ints(stride, rank, "stride"), _ints(padding, rank, "padding"),
                                      _ints(output_padding, rank, "output_padding"),
                                      _ints(dilation, rank, "dilation"), int(groups), _arrays.method(method),
                                      _arrays.workers(workers))


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1,
                     method="auto", *, workers=None):
    """torch.nn.functional.conv_transpose1d: the adjoint of conv1d (weight C x O/groups x k)."""
    return _conv_transpose(1, input, weight, bias, stride, padding, output_padding, groups, dilation, method, workers)


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1,
                     method="auto", *, workers=None):
    """torch.nn.functional.conv_transpose2d: ones((1, 1, 2, 2)) through ones((1, 1, 3, 3)) with
    stride 2 is the 5 x 5 checkerboard [[1,1,2,1,1], [1,1,2,1,1], [2,2,4,2,2], ...]."""
    return _conv_transpose(2, input, weight, bias, stride, padding, output_padding, groups, dilation, method, workers)


def conv_transpose3d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1,
                     method="auto", *, workers=None):
    """torch.nn.functional.conv_transpose3d."""
    return _conv_transpose(3, input, weight, bias, stride, padding, output_padding, groups, dilation, method, workers)


def _pool(rank, is_max, input, kernel_size, stride, padding, dilation, ceil_mode, count_include_pad, divisor,
          workers):
    x = _np.asarray(input)
    if x.dtype.kind not in "biuf":
        raise ValueError(f"input: pooling takes real numbers, not {x.dtype}")
    x = _arrays.prepared(x, _np.float32 if x.dtype == _np.float32 else _np.float64)
    # stride=None (or an empty tuple) means the kernel size, as in PyTorch.
    empty = stride is None or (isinstance(stride, (tuple, list)) and len(stride) == 0)
    strides = [] if empty else _ints(stride, rank, "stride")
    return _fftconv.nn_pool(x, rank, is_max, _ints(kernel_size, rank, "kernel_size"), strides,
                            _ints(padding, rank, "padding"), _ints(dilation, rank, "dilation"), bool(ceil_mode),
                            bool(count_include_pad), 0 if divisor is None else int(divisor),
                            _arrays.workers(workers))


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, *, workers=None):
    """torch.nn.functional.max_pool1d: padding is −∞; a window holding NaN gives NaN."""
    return _pool(1, True, input, kernel_size, stride, padding, dilation, ceil_mode, True, None, workers)


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, *, workers=None):
    """torch.nn.functional.max_pool2d."""
    return _pool(2, True, input, kernel_size, stride, padding, dilation, ceil_mode, True, None, workers)


def max_pool3d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, *, workers=None):
    """torch.nn.functional.max_pool3d."""
    return _pool(3, True, input, kernel_size, stride, padding, dilation, ceil_mode, True, None, workers)


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True, *,
               workers=None):
    """torch.nn.functional.avg_pool1d."""
    return _pool(1, False, input, kernel_size, stride, padding, 1, ceil_mode, count_include_pad, None, workers)


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None, *, workers=None):
    """torch.nn.functional.avg_pool2d: on [[1,2,3],[4,5,6],[7,8,9]] with kernel 3, stride 2,
    padding 1: [[1.333, 1.778], [2.667, 3.111]], or [[3, 4], [6, 7]] without counting the padding."""
    return _pool(2, False, input, kernel_size, stride, padding, 1, ceil_mode, count_include_pad, divisor_override,
                 workers)


def avg_pool3d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None, *, workers=None):
    """torch.nn.functional.avg_pool3d."""
    return _pool(3, False, input, kernel_size, stride, padding, 1, ceil_mode, count_include_pad, divisor_override,
                 workers)


def conv_output_size(n, kernel_size, stride=1, padding=0, dilation=1):
    """⌊(n + 2p − d(k − 1) − 1) / s⌋ + 1."""
    return _fftconv.conv_output_size(n, kernel_size, stride, padding, dilation)


def conv_transpose_output_size(n, kernel_size, stride=1, padding=0, dilation=1, output_padding=0):
    """(n − 1)s − 2p + d(k − 1) + output_padding + 1."""
    return _fftconv.conv_transpose_output_size(n, kernel_size, stride, padding, dilation, output_padding)


def pool_output_size(n, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
    """conv_output_size, or rounded up with ceil_mode (a window that would start in the right
    padding dropped)."""
    return _fftconv.pool_output_size(n, kernel_size, kernel_size if stride is None else stride, padding, dilation,
                                     ceil_mode)
