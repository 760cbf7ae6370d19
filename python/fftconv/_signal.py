"""scipy.signal's convolution functions: convolve, correlate, fftconvolve, oaconvolve,
choose_conv_method and correlation_lags, with fftconv's cost model and error bound beside them."""

import time as _time

import numpy as _np

from . import _arrays as _a
from . import _fftconv

# The element types the core takes as they are (native byte order).
_COMPUTED = frozenset(_np.dtype(t) for t in (_np.float32, _np.float64, _np.complex64, _np.complex128))


def _convolve(in1, in2, mode, method, axes, correlate, name, workers):
    # The common case first, in as few steps as possible: for small operands the checks below cost
    # more than the convolution (100 ⊛ 3: 1.2 µs in the core, 3.5 µs more in the general path).
    # Two non-empty contiguous arrays of one computed type go to the core as they are.
    if (
        type(in1) is _np.ndarray
        and type(in2) is _np.ndarray
        and in1.dtype == in2.dtype
        and in1.dtype in _COMPUTED
        and in1.ndim == in2.ndim
        and in1.ndim  # two 0-d arrays: scipy's product, below
        and in1.size
        and in2.size
        and (in1.flags.c_contiguous or in1.flags.f_contiguous)
        and (in2.flags.c_contiguous or in2.flags.f_contiguous)
        and mode in _a.MODES
        and method in _a.METHODS
        and workers is None
    ):
        return _fftconv.convolve(in1, in2, _a.MODES[mode], _a.METHODS[method], axes, correlate, None)
    a, b = _np.asarray(in1), _np.asarray(in2)
    if a.ndim == b.ndim == 0:  # scipy: the product of two scalars
        return a * (_np.conj(b) if correlate else b)
    compute, result = _a.compute_dtype(a, b)
    m, how = _a.mode(mode), _a.method(method)
    if result.kind in "biu":
        largest = _a.check_exact(a, b, name)
        # 'auto' on integers keeps them exact: the direct sum where the FFT's rounding could reach
        # half a unit (scipy's choose_conv_method does the same); 'fft' asked for is run as asked.
        if how == _a.METHODS["auto"] and a.size and b.size and a.ndim == b.ndim:
            error = _fftconv.fft_error_bound(list(a.shape), list(b.shape), m, "float64", None) * largest
            if error >= 0.5:
                how = _a.METHODS["direct"]
    if a.size == 0 or b.size == 0:
        if a.ndim != b.ndim:
            raise ValueError(f"{name}: in1 has {a.ndim} dimensions and in2 {b.ndim}; they must be equal")
        return _np.array([], dtype=result)
    x, y = _a.prepared(a, compute), _a.prepared(b, compute)
    out = _fftconv.convolve(x, y, m, how, axes, correlate, _a.workers(workers))
    if result.kind in "biu":
        return _a.integer_result(out, result)
    return out if out.dtype == result else out.astype(result)


def convolve(in1, in2, mode="full", method="auto", *, workers=None):
    """Convolve two N-dimensional arrays: scipy.signal.convolve.

    Parameters
    ----------
    in1, in2 : array_like
        The operands, of one rank.
    mode : {'full', 'valid', 'same'}
        'full': every shift where they overlap; 'same': in1's shape, centred as scipy centres it;
        'valid': the shifts where one lies wholly inside the other (one must be at least as large
        as the other along every axis; the larger is taken as in1).
    method : {'auto', 'direct', 'fft'}
        'auto' takes the one fftconv's cost model (calibrated to this machine by
        ``fftconv calibrate``) estimates faster; the direct sum whenever an operand holds NaN or
        Inf, whose spread an FFT would smear over the whole result.
    workers : int, optional
        Threads for this call (scipy.fft's workers=): -1 every core; None: set_threads' count.

    Returns
    -------
    numpy.ndarray
        scipy's dtype: float32 for float32 inputs, the integer type for integer inputs (computed in
        float64 and rounded, as scipy's 'fft' method does).

    Raises
    ------
    ValueError
        Operands of different ranks, shapes 'valid' refuses, a mode or method not named above.
    MemoryError
        The result and the transforms would need more than the memory limit.
    """
    return _convolve(in1, in2, mode, method, None, False, "convolve", workers)


def correlate(in1, in2, mode="full", method="auto", *, workers=None):
    """Cross-correlate two N-dimensional arrays: scipy.signal.correlate.

    correlate(in1, in2) is convolve(in1, in2 reversed along every axis and conjugated). In 'valid'
    mode with in2 the larger, the result comes out reversed against correlate(in2, in1), as
    scipy's does. Parameters, result and errors as `convolve`.
    """
    return _convolve(in1, in2, mode, method, None, True, "correlate", workers)


def _fft_along(in1, in2, mode, axes, name, workers):
    a, b = _np.asarray(in1), _np.asarray(in2)
    if a.ndim == b.ndim == 0:
        return a * b
    if a.ndim != b.ndim:
        raise ValueError(f"{name}: in1 has {a.ndim} dimensions and in2 {b.ndim}; they must be equal")
    if a.size == 0 or b.size == 0:
        return _np.array([])
    compute, _ = _a.compute_dtype(a, b)
    ax = _a.axes(axes)
    out = _fftconv.convolve(
        _a.prepared(a, compute), _a.prepared(b, compute), _a.mode(mode), _a.METHODS["fft"], ax, False,
        _a.workers(workers),
    )
    if mode == "same" and ax is not None:
        # scipy crops every axis to in1's extent, the broadcast ones too (where fftconv keeps the
        # larger): the centred part, as along the convolved axes.
        index = []
        for n_out, n_in in zip(out.shape, a.shape):
            start = (n_out - n_in) // 2
            index.append(slice(start, start + n_in))
        out = out[tuple(index)]
    return out


def fftconvolve(in1, in2, mode="full", axes=None, *, workers=None):
    """Convolve two N-dimensional arrays through the FFT: scipy.signal.fftconvolve.

    Parameters
    ----------
    in1, in2 : array_like
        The operands, of one rank. Integers and bool are computed in float64 (and returned so).
    mode : {'full', 'valid', 'same'}
        As `convolve`.
    axes : int or sequence of int, optional
        The axes to convolve along (default: every axis). Along the others the operands are
        broadcast: equal, or 1 in one of them.
    workers : int, optional
        Threads for this call, as `convolve`.

    Returns
    -------
    numpy.ndarray
        float32 / complex64 for single-precision inputs, else float64 / complex128.

    Notes
    -----
    fftconv transforms in tiles (overlap-save) where that is cheaper than one transform, as
    oaconvolve does, and puts NaN and Inf where the direct sum puts them rather than everywhere.
    """
    return _fft_along(in1, in2, mode, axes, "fftconvolve", workers)


def oaconvolve(in1, in2, mode="full", axes=None, *, workers=None):
    """Convolve two N-dimensional arrays by overlap-add: scipy.signal.oaconvolve.

    The same result as `fftconvolve`: fftconv chooses between one transform and tiles by cost,
    whichever function is called.
    """
    return _fft_along(in1, in2, mode, axes, "oaconvolve", workers)


def choose_conv_method(in1, in2, mode="full", measure=False):
    """'direct' or 'fft': the method convolve(in1, in2, mode, method='auto') runs.

    As scipy.signal.choose_conv_method. With measure=True, both methods are timed on these arrays
    and the faster returned as (method, {'direct': seconds, 'fft': seconds}).
    """
    a, b = _np.asarray(in1), _np.asarray(in2)
    if measure:
        times = {}
        for method in ("fft", "direct"):
            start = _time.perf_counter()
            convolve(a, b, mode=mode, method=method)
            times[method] = _time.perf_counter() - start
        return ("fft" if times["fft"] < times["direct"] else "direct"), times
    compute, _ = _a.compute_dtype(a, b)
    if a.size == 0 or b.size == 0 or a.ndim == 0:
        return "direct"
    if not (_np.all(_np.isfinite(a)) and _np.all(_np.isfinite(b))):
        return "direct"  # what 'auto' runs on non-finite data
    return _a.METHOD_NAMES[_fftconv.choose_method(list(a.shape), list(b.shape), _a.mode(mode), compute.name, None)]


def correlation_lags(in1_len, in2_len, mode="full"):
    """The lag of each output of a 1D correlate(in1, in2, mode): scipy.signal.correlation_lags.

    Output k of 'full' is the lag k - (in2_len - 1); 'same' keeps in1_len of them, centred as
    scipy's 'same' is; 'valid' the shifts where one lies wholly inside the other.
    """
    if mode == "full":
        return _np.arange(-in2_len + 1, in1_len)
    if mode == "same":
        full = _np.arange(-in2_len + 1, in1_len)
        start = full.size // 2 - in1_len // 2
        return full[start : start + in1_len]
    if mode == "valid":
        if in1_len >= in2_len:
            return _np.arange(0, in1_len - in2_len + 1)
        return _np.arange(in1_len - in2_len, 1)
    raise ValueError(f"mode must be 'full', 'same' or 'valid', not {mode!r}")


def fft_error_bound(shape1, shape2, mode="full", dtype="float64", axes=None):
    """A bound on the FFT method's error, as a fraction of max|in1| * max|in2| * K (K the element
    count of the smaller operand): |fft - exact| <= bound * max|in1| * max|in2| * K."""
    return _fftconv.fft_error_bound(
        [int(n) for n in shape1], [int(n) for n in shape2], _a.mode(mode), _np.dtype(dtype).name, _a.axes(axes)
    )


def estimate_seconds(shape1, shape2, mode="full", dtype="float64", method="fft", axes=None):
    """fftconv's estimate of one call's seconds on this machine, by method 'direct' or 'fft'."""
    if method not in ("direct", "fft"):
        raise ValueError(f"method must be 'direct' or 'fft', not {method!r}")
    return _fftconv.estimate_seconds(
        [int(n) for n in shape1],
        [int(n) for n in shape2],
        _a.mode(mode),
        _np.dtype(dtype).name,
        _a.METHODS[method],
        _a.axes(axes),
    )
