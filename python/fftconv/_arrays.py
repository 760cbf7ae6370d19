"""What every function of the package shares: the names of modes, methods, borders and axes as
scipy and OpenCV spell them, the element type fftconv computes in, and arrays handed to the
compiled core without a copy."""

import os as _os

import numpy as _np

# The positions of fftconv's Mode (full, same, valid), Method (automatic, direct, fft) and Border
# (constant, replicate, reflect, reflect101, wrap) enums.
MODES = {"full": 0, "same": 1, "valid": 2}
METHODS = {"auto": 0, "direct": 1, "fft": 2}
METHOD_NAMES = {1: "direct", 2: "fft"}

# scipy.ndimage's mode names (its grid-* spellings mean the same for filters).
NDIMAGE_BORDERS = {
    "constant": 0,
    "grid-constant": 0,
    "nearest": 1,
    "reflect": 2,
    "grid-mirror": 2,
    "mirror": 3,
    "wrap": 4,
    "grid-wrap": 4,
}
# OpenCV's border names and its cv2.BORDER_* values (BORDER_DEFAULT is BORDER_REFLECT_101).
CV_BORDERS = {"constant": 0, "replicate": 1, "reflect": 2, "reflect101": 3, "reflect_101": 3, "wrap": 4}
# cv2.BORDER_CONSTANT = 0, REPLICATE = 1, REFLECT = 2, WRAP = 3, REFLECT_101 = 4, as fftconv's positions.
CV_BORDER_VALUES = {0: 0, 1: 1, 2: 2, 4: 3, 3: 4}


def mode(name):
    if name not in MODES:
        raise ValueError(f"mode must be 'full', 'same' or 'valid', not {name!r}")
    return MODES[name]


def method(name):
    if name not in METHODS:
        raise ValueError(f"method must be 'auto', 'direct' or 'fft', not {name!r}")
    return METHODS[name]


def ndimage_border(name):
    if name not in NDIMAGE_BORDERS:
        raise ValueError(
            f"mode must be one of 'reflect', 'mirror', 'nearest', 'wrap', 'constant' (or their grid- "
            f"spellings), not {name!r}"
        )
    return NDIMAGE_BORDERS[name]


def cv_border(border):
    """OpenCV's border: a name ('reflect101', ...) or a cv2.BORDER_* value."""
    if isinstance(border, str):
        key = border.lower().removeprefix("border_")
        if key in CV_BORDERS:
            return CV_BORDERS[key]
    elif isinstance(border, (int, _np.integer)) and not isinstance(border, bool) and int(border) in CV_BORDER_VALUES:
        return CV_BORDER_VALUES[int(border)]
    raise ValueError(
        "border must be 'constant', 'replicate', 'reflect', 'reflect101' or 'wrap', or a cv2.BORDER_* value "
        f"(0, 1, 2, 3, 4), not {border!r}"
    )


def axes(value):
    """None (every axis) or a list of ints, as scipy takes them (one int, or a sequence)."""
    if value is None:
        return None
    if _np.ndim(value) == 0:
        value = [value]
    out = []
    for a in value:
        if not isinstance(a, (int, _np.integer)) or isinstance(a, bool):
            raise ValueError(f"axes must be integers, not {a!r}")
        out.append(int(a))
    return out


def workers(value):
    """scipy.fft's workers=: None keeps set_threads' count; a negative count wraps around from
    os.cpu_count() (-1: every core)."""
    if value is None:
        return None
    if not isinstance(value, (int, _np.integer)) or isinstance(value, bool):
        raise ValueError(f"workers must be an integer or None, not {value!r}")
    n = int(value)
    if n < 0:
        n += (_os.cpu_count() or 1) + 1
    if n <= 0:
        raise ValueError(f"workers must not be 0; give a count, or -1 for every core (got {value})")
    return n


def compute_dtype(a, b):
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


def prepared(x, dtype):
    """x as `dtype`: no copy when it already is, with its strides, unless a stride is not a whole
    number of elements (a view of packed records), which the core cannot address."""
    x = _np.asarray(x).astype(dtype, copy=False)
    if any(s % x.itemsize for s in x.strides):
        x = _np.ascontiguousarray(x)
    return x


def integer_result(out, result):
    """A float64 result of integer operands, rounded back to their integer type (scipy.signal's
    rule)."""
    if result.kind == "b":
        return out != 0
    return _np.around(out.real if _np.iscomplexobj(out) else out).astype(result)


def check_exact(a, b, name):
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
