"""scipy.ndimage's same-size filters at any rank: correlate_nd, convolve_nd and gaussian_filter,
with ndimage's border modes on every axis."""

import numpy as _np

from . import _arrays as _a
from . import _fftconv


def _filter_dtypes(input, weights):
    """The dtype the filter computes in and the dtype ndimage returns: the input's precision
    (float32 work for float32, float64 for the rest: integers and bool too, truncated back to
    their type as ndimage casts them); complex when either operand is (ndimage's promotion of the
    input with complex64)."""
    single = input.dtype.kind in "fc" and input.dtype.itemsize <= (4 if input.dtype.kind == "f" else 8)
    for d in (input.dtype, weights.dtype):
        if d.kind not in "biufc" or d.itemsize > (8 if d.kind == "f" else 16):
            raise ValueError(
                f"fftconv filters in float32, float64, complex64 or complex128 (integers in float64), not {d} "
                "(long double would lose digits silently; convert first)"
            )
    if input.dtype.kind == "c" or weights.dtype.kind == "c":
        compute = _np.dtype(_np.complex64 if single else _np.complex128)
        result = input.dtype if input.dtype.kind == "c" else _np.promote_types(input.dtype, _np.complex64)
        return compute, result
    return _np.dtype(_np.float32 if single else _np.float64), input.dtype


def _deliver(result, output, dtype):
    """ndimage's output=: None (a new array), a dtype, or an array written in place."""
    if output is None:
        return result if result.dtype == dtype else result.astype(dtype)
    if isinstance(output, _np.ndarray):
        if output.shape != result.shape:
            raise ValueError(f"output has shape {output.shape}; the result has {result.shape}")
        _np.copyto(output, result, casting="unsafe")
        return output
    return result.astype(_np.dtype(output))


def _filter(input, weights, output, mode, cval, origin, method, workers, convolve, name):
    a, k = _np.asarray(input), _np.asarray(weights)
    if _np.any(_np.asarray(origin) != 0):
        raise ValueError(f"{name}: origin {origin!r} is not supported; fftconv anchors at the centre (origin 0)")
    if a.ndim != k.ndim:
        raise RuntimeError(f"{name}: weights have {k.ndim} dimensions and input {a.ndim}; they must be equal")
    if a.size == 0:
        return _deliver(a.astype(_filter_dtypes(a, k)[1]), output, _filter_dtypes(a, k)[1])
    compute, result = _filter_dtypes(a, k)
    border = _a.ndimage_border(mode)
    how = _a.method(method)
    x, w = _a.prepared(a, compute), _a.prepared(k, compute)
    n = _a.workers(workers)
    if result.kind in "biu":
        return _deliver(_integer_filter(a, x, w, border, cval, how, convolve, n, name), output, result)
    into = isinstance(output, _np.ndarray) and output.dtype == compute and output.shape == a.shape
    if into and not _np.shares_memory(output, a):
        return _fftconv.filter(x, w, border, complex(cval), how, convolve, output, n)
    out = _fftconv.filter(x, w, border, complex(cval), how, convolve, None, n)
    return _deliver(out, output, result)


def _integer_filter(a, x, w, border, cval, how, convolve, n, name):
    """An integer input filtered in float64, to be cast back as ndimage casts (truncating). With
    integer weights the exact result is an integer, so rounding, not truncation, recovers it from
    a sum that came out a hair below (an FFT's 6.999999999999999 for 7), and 'auto' takes the
    direct sum where the FFT's error bound could reach half a unit. Other weights: the computed
    value is truncated as ndimage truncates its own."""
    out = None
    c = complex(cval)
    integers = (
        _np.all(_np.isfinite(w)) and _np.all(w == _np.round(w)) and _np.isfinite(c.real) and c.imag == 0
        and c.real == round(c.real)
    )
    if integers:
        largest = _a.check_exact(_np.append(_np.abs(a).ravel(), abs(cval)), w, name)
        if how == _a.METHODS["auto"] and _fftconv.choose_filter_method(list(a.shape), w) == _a.METHODS["fft"]:
            bound = _fftconv.fft_error_bound(list(a.shape), list(w.shape), _a.MODES["full"], "float64", None)
            if bound * largest >= 0.5:
                how = _a.METHODS["direct"]
        out = _np.round(_fftconv.filter(x, w, border, complex(cval), how, convolve, None, n))
    else:
        out = _fftconv.filter(x, w, border, complex(cval), how, convolve, None, n)
    return out


def correlate_nd(input, weights, output=None, mode="reflect", cval=0.0, origin=0, *, method="auto", workers=None):
    """Same-size correlation at any rank: scipy.ndimage.correlate.

    out[i] = sum_j conj(weights[j]) * ext(input)[i + j - weights.shape // 2], the input extended
    past its edges by `mode`.

    Parameters
    ----------
    input, weights : array_like
        Of one rank (an axis of 1 in `weights` where it should not reach).
    output : numpy.ndarray or dtype, optional
        An array of the input's shape to write into (without a copy when it has the dtype the
        filter computes in), or the dtype of the result.
    mode : {'reflect', 'mirror', 'nearest', 'wrap', 'constant'}
        The border, in ndimage's words: 'reflect' (d c b a | a b c d), 'mirror' (d c b | a b c d),
        'nearest' (a a a | a b c d), 'wrap' (b c d | a b c d), 'constant' (k k k | a b c d, k =
        cval). The 'grid-' spellings are accepted and mean the same for filters.
    cval : scalar
        The value outside the input for mode='constant'.
    origin : 0
        Only 0 (the kernel anchored at its centre, shape // 2) is supported.
    method : {'auto', 'direct', 'fft'}
        'auto' picks by fftconv's cost model; both read the same border.
    workers : int, optional
        Threads for this call (-1: every core).

    Returns
    -------
    numpy.ndarray
        The input's shape and dtype, as ndimage returns (complex when the weights are). Integers
        are computed in float64 and cast back as ndimage casts (truncating): with integer weights
        the result is exact, as ndimage's; with others, where the FFT runs its rounding may move a
        value lying within ~1e-12 of an integer to the other side of it (method='direct' sums as
        ndimage does). float32 is computed in float32 where ndimage computes in float64: equal
        within float32 rounding.

    Raises
    ------
    RuntimeError
        weights of another rank than the input (ndimage's error).
    ValueError
        a mode, method or origin fftconv does not take.
    """
    return _filter(input, weights, output, mode, cval, origin, method, workers, False, "correlate_nd")


def convolve_nd(input, weights, output=None, mode="reflect", cval=0.0, origin=0, *, method="auto", workers=None):
    """Same-size convolution at any rank: scipy.ndimage.convolve.

    correlate_nd with the weights reversed along every axis (not conjugated) and, for an even
    size, anchored one lower, as ndimage does. Parameters and result as `correlate_nd`.
    """
    return _filter(input, weights, output, mode, cval, origin, method, workers, True, "convolve_nd")


def gaussian_filter(input, sigma, order=0, output=None, mode="reflect", cval=0.0, truncate=4.0, *, method="auto",
                    workers=None):
    """Gaussian blur at any rank: scipy.ndimage.gaussian_filter.

    The sampled Gaussian of radius int(truncate * sigma + 0.5), normalised to sum 1, along each
    axis: one pass per axis, or one FFT product when the cost model prefers it.

    Parameters
    ----------
    sigma : scalar or sequence of scalars
        One for every axis, or one per axis (0 leaves an axis alone).
    order : 0
        Only 0 (no derivative) is supported.
    output, mode, cval, method, workers
        As `correlate_nd` (one mode for every axis).
    truncate : float
        The radius in sigmas.

    Returns
    -------
    numpy.ndarray
        The input's shape and dtype (complex input: real and imaginary parts filtered apart;
        integers truncated back after each axis's pass, as ndimage does).
    """
    a = _np.asarray(input)
    if _np.any(_np.asarray(order) != 0):
        raise ValueError(f"gaussian_filter: order {order!r} is not supported (derivatives of a Gaussian); only 0")
    if not isinstance(mode, str):
        raise ValueError("gaussian_filter: one mode for every axis (a string), not a sequence")
    sigmas = [float(s) for s in _np.atleast_1d(sigma)]
    result_dtype = a.dtype
    if a.dtype.kind == "c":
        parts = [gaussian_filter(p, sigma, 0, None, mode, cval, truncate, method=method, workers=workers)
                 for p in (a.real, a.imag)]
        return _deliver(parts[0] + 1j * parts[1], output, result_dtype)
    compute = _np.dtype(_np.float32) if a.dtype.kind == "f" and a.dtype.itemsize <= 4 else _np.dtype(_np.float64)
    if a.size == 0:
        return _deliver(a.copy(), output, result_dtype)
    if a.dtype.kind in "biu" and sum(1 for s in _np.broadcast_to(sigmas, (a.ndim,)) if s > 0) > 1:
        # ndimage keeps each axis' pass in the integer type, truncating between passes (its docs
        # warn of it); the same here, so that integer images give ndimage's values.
        for axis, s in enumerate(_np.broadcast_to(sigmas, (a.ndim,))):
            if s > 0:
                one = [0.0] * a.ndim
                one[axis] = float(s)
                a = gaussian_filter(a, one, 0, None, mode, cval, truncate, method=method, workers=workers)
        return _deliver(a, output, result_dtype)
    out = _fftconv.gaussian_filter(_a.prepared(a, compute), sigmas, _a.ndimage_border(mode), float(_np.real(cval)),
                                   float(truncate), _a.method(method), _a.workers(workers))
    return _deliver(out, output, result_dtype)
