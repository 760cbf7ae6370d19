"""The Convolver class: one convolution planned for an input shape and a kernel, applied to many
inputs."""

import numpy as _np

from . import _arrays as _a
from . import _fftconv

_EFFORTS = {"estimate": 0, "measure": 1, "patient": 2}


class Convolver:
    """A convolution (or correlation) with a fixed kernel, input shape and mode.

    Building it does the one-time work: it checks the shapes, picks the method, makes the FFT
    plans (at `effort`) and transforms the kernel; `apply` then costs one forward and one inverse
    FFT, or the direct sum. ``Convolver(x.shape, k, mode).apply(x)`` equals
    ``convolve(x, k, mode)`` (``correlate`` with correlate=True) up to rounding.

    Parameters
    ----------
    shape : tuple of int
        The shape of every input.
    kernel : array_like
        Of the inputs' rank.
    mode : {'full', 'same', 'valid'}
        As scipy.signal.convolve.
    axes : int or sequence of int, optional
        The axes convolved along (default every axis); the kernel is 1 along the others.
    method : {'auto', 'direct', 'fft'}
        'auto' picks by fftconv's cost model, the kernel's transform counted as paid.
    correlate : bool
        Apply correlate(x, kernel) instead of convolve(x, kernel).
    border : str, optional
        An ndimage mode ('reflect', 'mirror', 'nearest', 'wrap', 'constant'): a same-size filter
        as convolve_nd (correlate_nd with correlate=True) computes it. Needs mode='same' and
        every axis.
    cval : scalar
        The value outside the input for border='constant'.
    effort : {'estimate', 'measure', 'patient'}
        FFTW's planner effort: measure and patient pay off when apply runs many times.
    workers : int, optional
        Threads for every apply (-1: every core; None: set_threads' count when built).
    dtype : dtype, optional
        The dtype of inputs and results: float32, float64, complex64 or complex128 (default: the
        kernel's; integer kernels float64).

    Notes
    -----
    apply(x, out=out) writes into a kept array: no allocation. One Convolver applied from two
    threads at once takes the calls in turn; build one per thread to run them together (they
    share FFT plans).
    """

    def __init__(self, shape, kernel, mode="full", axes=None, *, method="auto", correlate=False, border=None,
                 cval=0.0, effort="estimate", workers=None, dtype=None):
        k = _np.asarray(kernel)
        if dtype is None:
            dtype, _ = _a.compute_dtype(k, k)
        dtype = _np.dtype(dtype)
        if dtype not in (_np.float32, _np.float64, _np.complex64, _np.complex128):
            raise ValueError(f"dtype must be float32, float64, complex64 or complex128, not {dtype}")
        if not _np.can_cast(k.dtype, dtype, "same_kind"):
            raise ValueError(f"a {k.dtype} kernel cannot be applied in {dtype}")
        if effort not in _EFFORTS:
            raise ValueError(f"effort must be 'estimate', 'measure' or 'patient', not {effort!r}")
        self._mode = mode
        self._core = _fftconv.Convolver(
            [int(n) for n in shape],
            _a.prepared(k, dtype),
            _a.mode(mode),
            _a.method(method),
            _a.axes(axes),
            bool(correlate),
            None if border is None else _a.ndimage_border(border),
            complex(cval),
            _EFFORTS[effort],
            _a.workers(workers),
        )
        self._dtype = dtype

    def apply(self, x, out=None):
        """The convolution of x (shape `shape`) with the kernel; into `out` when given (shape
        `output_shape`, dtype `dtype`, any strides, not overlapping x), which is returned.

        x of another dtype is converted when that loses nothing (integers, float32 into float64);
        otherwise ValueError (convert it first)."""
        a = _np.asarray(x)
        if a.dtype != self._dtype:
            if not _np.can_cast(a.dtype, self._dtype, "safe"):
                raise ValueError(
                    f"x has dtype {a.dtype}; this Convolver computes in {self._dtype} and would lose precision "
                    f"(convert x first, or build the Convolver with dtype={a.dtype})"
                )
        a = _a.prepared(a, self._dtype)
        if out is not None and not isinstance(out, _np.ndarray):
            raise ValueError(f"out must be a numpy array, not {type(out)!r}")
        return self._core.apply(a, out)

    __call__ = apply

    @property
    def shape(self):
        """The input shape."""
        return tuple(self._core.input_shape)

    @property
    def kernel_shape(self):
        return tuple(self._core.kernel_shape)

    @property
    def output_shape(self):
        return tuple(self._core.output_shape)

    @property
    def mode(self):
        return self._mode

    @property
    def method(self):
        """'direct' or 'fft': what apply runs."""
        return _a.METHOD_NAMES[self._core.method]

    @property
    def dtype(self):
        return self._dtype

    def __repr__(self):
        return (
            f"fftconv.Convolver(shape={self.shape}, kernel_shape={self.kernel_shape}, mode={self._mode!r}, "
            f"method={self.method!r}, dtype={self._dtype})"
        )
