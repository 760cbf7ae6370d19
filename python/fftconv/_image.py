"""OpenCV's image functions on numpy images: filter2d, sep_filter2d, gaussian_blur, sobel, the
frequency-domain lowpass, highpass and log_spectrum, match_template with cv2's method names, and
find_peaks. Images are 2D (rows, cols) or 3D (rows, cols, channels), each channel filtered on its
own as OpenCV does; float32 stays float32, float64 float64, and integer images are computed in
float32 and returned as float32 (cv2's ddepth=cv2.CV_32F: no rounding back, no saturation)."""

import numpy as _np

from . import _arrays as _a
from . import _fftconv

# cv2.TM_* values and names, in fftconv's MatchMethod order.
_MATCH_METHODS = ["sqdiff", "sqdiff_normed", "ccorr", "ccorr_normed", "ccoeff", "ccoeff_normed"]
_FILTER_SHAPES = {"ideal": 0, "gaussian": 1, "butterworth": 2}


def _image_dtype(a, name):
    if a.dtype.kind == "f" and a.dtype.itemsize in (4, 8):
        return a.dtype
    if a.dtype.kind in "biu" or (a.dtype.kind == "f" and a.dtype.itemsize < 4):
        return _np.dtype(_np.float32)
    raise ValueError(f"{name}: images are real numbers (uint8, uint16, float32, float64, ...), not {a.dtype}")


def _image(src, name):
    a = _np.asarray(src)
    if a.ndim not in (2, 3) or 0 in a.shape:
        raise ValueError(
            f"{name} must be a non-empty 2D (rows, cols) or 3D (rows, cols, channels) array, not shape {a.shape}"
        )
    return _a.prepared(a, _image_dtype(a, name))


def _planes(a):
    return [a] if a.ndim == 2 else [a[:, :, c] for c in range(a.shape[2])]


def _per_channel(a, dst, one):
    """one(channel, out_channel or None) for each channel of `a`; the channels' results in `dst`
    (checked and written in place), or in a new array of a's shape."""
    if dst is not None:
        if not isinstance(dst, _np.ndarray) or dst.shape != a.shape or dst.dtype != a.dtype:
            got = f"{dst.dtype} {dst.shape}" if isinstance(dst, _np.ndarray) else repr(type(dst))
            raise ValueError(f"dst must be a {a.dtype} array of shape {a.shape}, not {got}")
        if _np.shares_memory(dst, a):  # in place, as cv2 allows: the result is made apart first
            dst[...] = _per_channel(a, None, one)
            return dst
    elif a.ndim == 2:
        return one(a, None)
    else:
        dst = _np.empty(a.shape, a.dtype)
    for plane, out in zip(_planes(a), _planes(dst)):
        one(plane, out)
    return dst


def _fresh_per_channel(a, one):
    """one(channel) for each channel, for the filters without an output argument."""
    if a.ndim == 2:
        return one(a)
    results = [one(p) for p in _planes(a)]
    return _np.stack(results, axis=2)


def filter2d(src, kernel, border="reflect101", *, method="auto", dst=None, workers=None):
    """Same-size correlation with the kernel's centre as anchor: cv2.filter2D(src, -1 or CV_32F,
    kernel, borderType=border).

    Parameters
    ----------
    src : numpy.ndarray
        (rows, cols) or (rows, cols, channels); each channel filtered with the same kernel.
    kernel : array_like
        2D, any size, odd or even (anchored at (rows // 2, cols // 2), as cv2's default).
    border : str or int
        'reflect101' (cv2.BORDER_DEFAULT), 'reflect', 'replicate', 'constant' (0 outside), 'wrap',
        or the cv2.BORDER_* value.
    method : {'auto', 'direct', 'fft'}
        Both read the same border, so they agree at the edges too.
    dst : numpy.ndarray, optional
        Written in place: src's shape and computed dtype (dst=src works, as in cv2).
    workers : int, optional
        Threads for this call (-1: every core).
    """
    a = _image(src, "src")
    k = _a.prepared(_np.asarray(kernel), a.dtype)
    b, how, n = _a.cv_border(border), _a.method(method), _a.workers(workers)
    return _per_channel(a, dst, lambda p, o: _fftconv.filter2d(p, k, b, how, o, n))


def sep_filter2d(src, kernel_x, kernel_y, border="reflect101", *, method="auto", dst=None, workers=None):
    """filter2d with the separable kernel kernel_y ⊗ kernel_x: cv2.sepFilter2D(src, ddepth,
    kernel_x, kernel_y, borderType=border). Parameters as `filter2d`."""
    a = _image(src, "src")
    kx = _np.ascontiguousarray(_np.asarray(kernel_x, dtype=a.dtype).ravel())
    ky = _np.ascontiguousarray(_np.asarray(kernel_y, dtype=a.dtype).ravel())
    b, how, n = _a.cv_border(border), _a.method(method), _a.workers(workers)
    return _per_channel(a, dst, lambda p, o: _fftconv.sep_filter2d(p, kx, ky, b, how, o, n))


def gaussian_blur(src, sigma, border="reflect", truncate=4.0, *, method="auto", dst=None, workers=None):
    """Gaussian blur: cv2.GaussianBlur(src, (2r+1, 2r+1), sigma, borderType=border) with
    r = int(truncate * sigma + 0.5), which is also scipy.ndimage.gaussian_filter(src, sigma,
    mode='reflect') per channel with the default border. The default border is scipy's 'reflect'
    (the C++ library's and the tool's); pass 'reflect101' for cv2's BORDER_DEFAULT. Other
    parameters as `filter2d`."""
    a = _image(src, "src")
    b, how, n = _a.cv_border(border), _a.method(method), _a.workers(workers)
    return _per_channel(a, dst, lambda p, o: _fftconv.gaussian_blur(p, float(sigma), b, how, float(truncate), o, n))


def sobel(src, dx, dy, ksize=3, border="reflect101", *, method="auto", dst=None, workers=None):
    """The dx-th x and dy-th y derivative: cv2.Sobel(src, CV_32F or CV_64F, dx, dy, ksize,
    borderType=border). ksize 1, 3, ..., 31, or -1 for the 3x3 Scharr operator. Positive where
    intensity grows to the right (x) or downwards (y). Other parameters as `filter2d`."""
    a = _image(src, "src")
    b, how, n = _a.cv_border(border), _a.method(method), _a.workers(workers)
    return _per_channel(a, dst, lambda p, o: _fftconv.sobel(p, int(dx), int(dy), int(ksize), b, how, o, n))


def _frequency_filter(image, cutoff, shape, order, border, method, workers, high):
    a = _image(image, "image")
    if shape not in _FILTER_SHAPES:
        raise ValueError(f"shape must be 'ideal', 'gaussian' or 'butterworth', not {shape!r}")
    s, b, how, n = _FILTER_SHAPES[shape], _a.cv_border(border), _a.method(method), _a.workers(workers)
    return _fresh_per_channel(
        a, lambda p: _fftconv.frequency_filter(p, float(cutoff), s, int(order), b, how, high, n)
    )


def lowpass(image, cutoff, shape="ideal", order=2, border="reflect", *, method="auto", workers=None):
    """Low-pass filtering in the frequency domain: real FFT, product with H, inverse FFT.

    With u, v each axis's frequency as a fraction of its Nyquist frequency and rho = sqrt(u² + v²):
    'ideal' H = 1 where rho <= cutoff, else 0; 'gaussian' H = exp(-rho² / (2 cutoff²));
    'butterworth' H = 1 / (1 + (rho / cutoff)^(2 order)). Unless border is 'wrap' (the plain
    periodic filter), the image is extended by half its size with `border` first, so that one
    edge does not bleed into the opposite one, and the result cropped back. method='direct'
    computes the same circular convolution with the filter's spatial kernel (O(N²), a reference).
    """
    return _frequency_filter(image, cutoff, shape, order, border, method, workers, False)


def highpass(image, cutoff, shape="ideal", order=2, border="reflect", *, method="auto", workers=None):
    """image - lowpass(image, ...): the complementary filter 1 - H. Parameters as `lowpass`."""
    return _frequency_filter(image, cutoff, shape, order, border, method, workers, True)


def log_spectrum(image, *, workers=None):
    """log(1 + |F|) of each channel's 2D DFT for display: zero frequency at the centre (as
    numpy.fft.fftshift places it), stretched from 0 to 1 by the largest value away from zero
    frequency (which is clipped at 1)."""
    a = _image(image, "image")
    n = _a.workers(workers)
    return _fresh_per_channel(a, lambda p: _fftconv.log_spectrum(p, n))


def _match_method(method):
    if isinstance(method, (int, _np.integer)) and not isinstance(method, bool) and 0 <= int(method) < 6:
        return int(method)  # cv2.TM_SQDIFF = 0 ... cv2.TM_CCOEFF_NORMED = 5, in this order
    if isinstance(method, str):
        key = method.lower().removeprefix("tm_")
        if key in _MATCH_METHODS:
            return _MATCH_METHODS.index(key)
    raise ValueError(
        "method must be one of cv2.TM_SQDIFF, TM_SQDIFF_NORMED, TM_CCORR, TM_CCORR_NORMED, TM_CCOEFF, "
        f"TM_CCOEFF_NORMED (0 to 5) or their names ('TM_CCOEFF_NORMED' or 'ccoeff_normed'), not {method!r}"
    )


def match_template(image, templ, method, *, conv_method="auto", workers=None):
    """Scores of `templ` at every position where it lies inside `image`: cv2.matchTemplate.

    Parameters
    ----------
    image, templ : numpy.ndarray
        2D, or 3D with the same channel count (the sums run over the channels, as cv2's do).
    method : int or str
        cv2.TM_SQDIFF, TM_SQDIFF_NORMED, TM_CCORR, TM_CCORR_NORMED, TM_CCOEFF, TM_CCOEFF_NORMED
        (the cv2 constant or its name, 'TM_CCOEFF_NORMED' or 'ccoeff_normed').
    conv_method : {'auto', 'direct', 'fft'}
        How the correlation term is computed (in float64 whatever the image type).

    Returns
    -------
    numpy.ndarray
        (H - h + 1, W - w + 1) scores, float32 (float64 for float64 inputs); the best match is
        the highest score, or the lowest for the sqdiff methods.
    """
    a, t = _image(image, "image"), _image(templ, "templ")
    dtype = _np.promote_types(a.dtype, t.dtype)
    a, t = _a.prepared(a, dtype), _a.prepared(t, dtype)
    if a.ndim != t.ndim or (a.ndim == 3 and a.shape[2] != t.shape[2]):
        raise ValueError(f"image {a.shape} and templ {t.shape} must have the same number of channels")
    return _fftconv.match_template(_planes(a), _planes(t), _match_method(method), _a.method(conv_method),
                                   _a.workers(workers))


def find_peaks(scores, count=1, min_distance=0, lowest=False):
    """Up to `count` best scores as (row, col, score), best first, none within `min_distance`
    pixels (|drow| and |dcol| both <= min_distance) of a better one; `lowest` picks minima (for the
    sqdiff methods). NaN scores are skipped."""
    s = _np.asarray(scores)
    s = _a.prepared(s, s.dtype if s.dtype in (_np.float32, _np.float64) else _np.float64)
    if int(count) < 0:
        raise ValueError(f"count must be 0 or more, not {count}")
    return _fftconv.find_peaks(s, int(count), int(min_distance), bool(lowest))
