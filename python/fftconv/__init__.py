"""fftconv: convolution and correlation of numpy arrays of any rank, directly or through the FFT.

The functions take scipy.signal's names, arguments and semantics and return what scipy returns
(the same shape, the same dtype, the same values within rounding):

    convolve, correlate        scipy.signal.convolve / correlate (method 'auto', 'direct', 'fft')
    fftconvolve, oaconvolve    scipy.signal.fftconvolve / oaconvolve (axes=)
    choose_conv_method         scipy.signal.choose_conv_method, by fftconv's own cost model
    correlation_lags           scipy.signal.correlation_lags

and fftconv's own: fft_error_bound, estimate_seconds, set_threads, threads, set_memory_limit,
memory_limit.

Element types: float32, float64, complex64 and complex128 are computed in their own precision
(float32 in, float32 out, as scipy does). Integers and bool are computed in float64; convolve
and correlate then round the result back to the inputs' integer type, as scipy does, and refuse
inputs whose sums could pass 2**53, where float64 stops holding every integer. Arrays are read
where they lie, any strides, without a copy; the work runs with the GIL released.

Errors: ValueError for arguments fftconv cannot take, MemoryError for a request larger than the
memory limit (named in bytes before anything is allocated), OSError for a failing file or FFTW.
"""

import time as _time

import numpy as _np

from . import _fftconv

__all__ = [
    "convolve",
    "correlate",
    "fftconvolve",
    "oaconvolve",
    "choose_conv_method",
    "correlation_lags",
    "fft_error_bound",
    "estimate_seconds",
    "set_threads",
    "threads",
    "set_memory_limit",
    "memory_limit",
]

# The positions of fftconv's Mode (full, same, valid) and Method (automatic, direct, fft) enums.
_MODES = {"full": 0, "same": 1, "valid": 2}
_METHODS = {"auto": 0, "direct": 1, "fft": 2}
_METHOD_NAMES = {1: "direct", 2: "fft"}


def _mode(mode):
    if mode not in _MODES:
        raise ValueError(f"mode must be 'full', 'same' or 'valid', not {mode!r}")
    return _MODES[mode]


def _method(method):
    if method not in _METHODS:
        raise ValueError(f"method must be 'auto', 'direct' or 'fft', not {method!r}")
    return _METHODS[method]


def _axes(axes):
    """None (every axis) or a list of ints, as scipy takes them (one int, or a sequence)."""
    if axes is None:
        return None
    if _np.ndim(axes) == 0:
        axes = [axes]
    out = []
    for a in axes:
        if not isinstance(a, (int, _np.integer)) or isinstance(a, bool):
            raise ValueError(f"axes must be integers, not {a!r}")
        out.append(int(a))
    return out


def _compute_dtype(a, b):
    """The dtype fftconv computes in for these operands, and the dtype the caller gets back.

    numpy's promotion of the two, then: float16 computed in float32; integers and bool in float64;
    long double and its complex refused (fftconv computes in at most double precision, and would
    drop digits silently otherwise)."""
    common = _np.result_type(a.dtype, b.dtype)
    if common.kind in "biu":
        return _np.dtype(_np.float64), common
    if common.kind == "f":
        if common.itemsize <= 4:
            return _np.dtype(_np.float32), common if common.itemsize == 4 else _np.dtype(_np.float32)
        if common.itemsize == 8:
            return common, common
    if common.kind == "c" and common.itemsize in (8, 16):
        return common, common
    raise ValueError(
        f"fftconv computes in float32, float64, complex64 or complex128; the inputs are {a.dtype} and "
        f"{b.dtype} (convert them first, e.g. with .astype(numpy.float64))"
    )


def _prepared(x, dtype):
    """x as `dtype`: no copy when it already is, with its strides, unless a stride is not a whole
    number of elements (a view of packed records), which the core cannot address."""
    x = x.astype(dtype, copy=False)
    if any(s % x.itemsize for s in x.strides):
        x = _np.ascontiguousarray(x)
    return x


def _integer_result(out, result):
    """A float64 result of integer operands, rounded back to their integer type (scipy's rule)."""
    if result.kind == "b":
        return out != 0
    return _np.around(out.real if _np.iscomplexobj(out) else out).astype(result)


def _check_exact(a, b, name):
    """Integer operands: every partial sum must be an integer float64 holds exactly. Returns the
    largest |value| the result can hold."""
    if a.size == 0 or b.size == 0:
        return 0.0
    bound = float(_np.max(_np.abs(a), initial=0)) * float(_np.max(_np.abs(b), initial=0)) * min(a.size, b.size)
    if bound >= 2.0**53:
        raise ValueError(
            f"{name}: integer inputs whose sums may reach {bound:.3g} (past 2**53, where float64 stops holding "
            "every integer); fftconv computes integers in float64: convert them to float64 first to accept "
            "the rounding"
        )
    return bound


def _convolve(in1, in2, mode, method, axes, correlate, name):
    a, b = _np.asarray(in1), _np.asarray(in2)
    if a.ndim == b.ndim == 0:  # scipy: the product of two scalars
        return a * (_np.conj(b) if correlate else b)
    compute, result = _compute_dtype(a, b)
    m, how = _mode(mode), _method(method)
    if result.kind in "biu":
        largest = _check_exact(a, b, name)
        # 'auto' on integers keeps them exact: the direct sum where the FFT's rounding could reach
        # half a unit (scipy's choose_conv_method does the same); 'fft' asked for is run as asked.
        if how == _METHODS["auto"] and a.size and b.size and a.ndim == b.ndim:
            error = _fftconv.fft_error_bound(list(a.shape), list(b.shape), m, "float64", None) * largest
            if error >= 0.5:
                how = _METHODS["direct"]
    if a.size == 0 or b.size == 0:
        if a.ndim != b.ndim:
            raise ValueError(f"{name}: in1 has {a.ndim} dimensions and in2 {b.ndim}; they must be equal")
        return _np.array([], dtype=result)
    out = _fftconv.convolve(_prepared(a, compute), _prepared(b, compute), m, how, axes, correlate)
    if result.kind in "biu":
        return _integer_result(out, result)
    return out if out.dtype == result else out.astype(result)


def convolve(in1, in2, mode="full", method="auto"):
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
    return _convolve(in1, in2, mode, method, None, False, "convolve")


def correlate(in1, in2, mode="full", method="auto"):
    """Cross-correlate two N-dimensional arrays: scipy.signal.correlate.

    correlate(in1, in2) is convolve(in1, in2 reversed along every axis and conjugated). In 'valid'
    mode with in2 the larger, the result comes out reversed against correlate(in2, in1), as
    scipy's does. Parameters, result and errors as `convolve`.
    """
    return _convolve(in1, in2, mode, method, None, True, "correlate")


def _fft_along(in1, in2, mode, axes, name):
    a, b = _np.asarray(in1), _np.asarray(in2)
    if a.ndim == b.ndim == 0:
        return a * b
    if a.ndim != b.ndim:
        raise ValueError(f"{name}: in1 has {a.ndim} dimensions and in2 {b.ndim}; they must be equal")
    if a.size == 0 or b.size == 0:
        return _np.array([])
    compute, _ = _compute_dtype(a, b)
    ax = _axes(axes)
    out = _fftconv.convolve(_prepared(a, compute), _prepared(b, compute), _mode(mode), _METHODS["fft"], ax, False)
    if mode == "same" and ax is not None:
        # scipy crops every axis to in1's extent, the broadcast ones too (where fftconv keeps the
        # larger): the centred part, as along the convolved axes.
        index = []
        for n_out, n_in in zip(out.shape, a.shape):
            start = (n_out - n_in) // 2
            index.append(slice(start, start + n_in))
        out = out[tuple(index)]
    return out


def fftconvolve(in1, in2, mode="full", axes=None):
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

    Returns
    -------
    numpy.ndarray
        float32 / complex64 for single-precision inputs, else float64 / complex128.

    Notes
    -----
    fftconv transforms in tiles (overlap-save) where that is cheaper than one transform, as
    oaconvolve does, and puts NaN and Inf where the direct sum puts them rather than everywhere.
    """
    return _fft_along(in1, in2, mode, axes, "fftconvolve")


def oaconvolve(in1, in2, mode="full", axes=None):
    """Convolve two N-dimensional arrays by overlap-add: scipy.signal.oaconvolve.

    The same result as `fftconvolve`: fftconv chooses between one transform and tiles by cost,
    whichever function is called.
    """
    return _fft_along(in1, in2, mode, axes, "oaconvolve")


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
    compute, _ = _compute_dtype(a, b)
    if a.size == 0 or b.size == 0 or a.ndim == 0:
        return "direct"
    if not (_np.all(_np.isfinite(a)) and _np.all(_np.isfinite(b))):
        return "direct"  # what 'auto' runs on non-finite data
    return _METHOD_NAMES[_fftconv.choose_method(list(a.shape), list(b.shape), _mode(mode), compute.name, None)]


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
        [int(n) for n in shape1], [int(n) for n in shape2], _mode(mode), _np.dtype(dtype).name, _axes(axes)
    )


def estimate_seconds(shape1, shape2, mode="full", dtype="float64", method="fft", axes=None):
    """fftconv's estimate of one call's seconds on this machine, by method 'direct' or 'fft'."""
    if method not in ("direct", "fft"):
        raise ValueError(f"method must be 'direct' or 'fft', not {method!r}")
    return _fftconv.estimate_seconds(
        [int(n) for n in shape1],
        [int(n) for n in shape2],
        _mode(mode),
        _np.dtype(dtype).name,
        _METHODS[method],
        _axes(axes),
    )


def set_threads(n):
    """Threads one call may use (1, the default, keeps each call on the caller's thread; 0: every
    core). Results do not depend on it beyond rounding."""
    _fftconv.set_threads(int(n))


def threads():
    """The count set_threads chose."""
    return _fftconv.threads()


def set_memory_limit(nbytes):
    """The most memory one call may need, in bytes (0, the default: this machine's memory). A call
    that would need more raises MemoryError naming the bytes, before anything is allocated."""
    _fftconv.set_memory_limit(int(nbytes))


def memory_limit():
    """The limit in force, in bytes: set_memory_limit's, or this machine's memory."""
    return _fftconv.memory_limit()
