"""The OpenCV drop-ins of `import fftconv` against cv2 on the same images (random ones, and the
sample photos: a grey camera man and a colour cat): filter2d, sep_filter2d, gaussian_blur, sobel
and match_template with every border and method cv2 takes, float32, float64, uint8 and 3-channel
images, dst= written in place; find_peaks; the frequency-domain lowpass, highpass and log_spectrum
against numpy's FFT."""

import itertools
from pathlib import Path

import numpy as np
import pytest
import scipy.signal

cv2 = pytest.importorskip("cv2")

import fftconv  # noqa: E402

SAMPLES = Path(__file__).resolve().parents[2] / "samples"

# Every border cv2.filter2D takes (it refuses BORDER_WRAP), by fftconv's name and cv2's value.
BORDERS = {
    "constant": cv2.BORDER_CONSTANT,
    "replicate": cv2.BORDER_REPLICATE,
    "reflect": cv2.BORDER_REFLECT,
    "reflect101": cv2.BORDER_REFLECT_101,
}
# Largest accepted error relative to sum|k| * max|img|.
TOLERANCE = {np.float32: 1e-5, np.float64: 1e-12}
DTYPES = [np.float32, np.float64]


def dtype_id(d):
    return np.dtype(d).name


@pytest.fixture(scope="module")
def camera():
    img = cv2.imread(str(SAMPLES / "camera.png"), cv2.IMREAD_GRAYSCALE)
    assert img is not None and img.ndim == 2 and img.dtype == np.uint8
    return img


@pytest.fixture(scope="module")
def chelsea():
    img = cv2.imread(str(SAMPLES / "chelsea.png"), cv2.IMREAD_COLOR)
    assert img is not None and img.ndim == 3 and img.shape[2] == 3
    return img


def images(camera, chelsea, dtype):
    """A random image, a crop of the camera man and one of the colour cat, as `dtype`."""
    rng = np.random.default_rng(np.dtype(dtype).itemsize)
    return {
        "random": rng.uniform(-1, 1, (37, 50)).astype(dtype),
        "camera": camera[::3, ::3].astype(dtype),
        "chelsea": chelsea[40:160, 100:260].astype(dtype),
    }


def assert_close(got, want, scale, dtype):
    assert got.shape == want.shape
    err = float(np.max(np.abs(got.astype(np.float64) - want)))
    assert err <= TOLERANCE[dtype] * scale, f"error {err:.3g} against {scale:.3g}"


# ----------------------------------------------------------------------------------- filter2d

KERNEL_SIZES = [(1, 1), (2, 2), (3, 3), (4, 5), (5, 5), (7, 6), (11, 11), (12, 12), (15, 15), (31, 31), (3, 31),
                (30, 1)]


@pytest.mark.parametrize("dtype", DTYPES, ids=dtype_id)
@pytest.mark.parametrize("which", ["random", "camera", "chelsea"])
def test_filter2d_equals_cv2_for_every_border_and_kernel_size(camera, chelsea, which, dtype):
    img = images(camera, chelsea, dtype)[which]
    rng = np.random.default_rng(len(which))
    for ks in KERNEL_SIZES:
        k = rng.uniform(-1, 1, ks).astype(dtype)
        scale = float(np.abs(k).sum() * np.abs(img).max())
        for name, value in BORDERS.items():
            want = cv2.filter2D(img, -1, k, borderType=value)
            assert want.dtype == dtype
            for method in ["direct", "fft"]:
                got = fftconv.filter2d(img, k, name, method=method)
                assert got.dtype == dtype and got.shape == img.shape
                assert_close(got, want, scale, dtype)
            # the border by cv2's constant, and 'auto': the same result
            got = fftconv.filter2d(img, k, value)
            assert_close(got, want, scale, dtype)
            np.testing.assert_array_equal(got, fftconv.filter2d(img, k, name))


def test_filter2d_border_spellings_and_default(camera):
    img = camera[:100, :120].astype(np.float32)
    k = np.random.default_rng(1).uniform(-1, 1, (5, 4)).astype(np.float32)
    # no borderType: cv2's BORDER_DEFAULT (REFLECT_101), fftconv's default
    want = cv2.filter2D(img, -1, k)
    assert_close(fftconv.filter2d(img, k), want, float(np.abs(k).sum() * img.max()), np.float32)
    for spelling in ["reflect101", "reflect_101", "BORDER_REFLECT_101", "Reflect101", cv2.BORDER_DEFAULT,
                     cv2.BORDER_REFLECT101, np.int64(cv2.BORDER_REFLECT_101)]:
        np.testing.assert_array_equal(fftconv.filter2d(img, k, spelling), fftconv.filter2d(img, k, "reflect101"))
    for bad in ["mirror", 7, -1, True, 2.0, None]:
        with pytest.raises(ValueError, match="border"):
            fftconv.filter2d(img, k, bad)


def test_filter2d_of_uint8_returns_float32_as_cv2_with_cv_32f(camera, chelsea):
    rng = np.random.default_rng(2)
    for img, ks in [(camera, (5, 5)), (camera, (13, 13)), (chelsea[:150, :200], (4, 3))]:
        k = rng.uniform(-1, 1, ks).astype(np.float32)
        scale = float(np.abs(k).sum() * 255)
        for name, value in BORDERS.items():
            got = fftconv.filter2d(img, k, name)
            assert got.dtype == np.float32 and got.shape == img.shape
            assert_close(got, cv2.filter2D(img.astype(np.float32), cv2.CV_32F, k, borderType=value), scale, np.float32)
            assert_close(got, cv2.filter2D(img, cv2.CV_32F, k, borderType=value), scale, np.float32)


def test_filter2d_dst_is_written_in_place_and_returned(camera, chelsea):
    rng = np.random.default_rng(3)
    k = rng.uniform(-1, 1, (5, 6)).astype(np.float32)
    for src in [camera[:200, :220].astype(np.float32), chelsea[:100, :130].astype(np.float32)]:
        want = cv2.filter2D(src, -1, k, borderType=cv2.BORDER_REPLICATE)
        scale = float(np.abs(k).sum() * np.abs(src).max())
        for method in ["direct", "fft"]:
            dst = np.full_like(src, np.nan)
            assert fftconv.filter2d(src, k, "replicate", method=method, dst=dst) is dst
            assert_close(dst, want, scale, np.float32)
            # dst=src: in place, as cv2 allows
            inplace = src.copy()
            assert fftconv.filter2d(inplace, k, "replicate", method=method, dst=inplace) is inplace
            assert_close(inplace, want, scale, np.float32)
            # a strided dst
            big = np.full((src.shape[0], 2 * src.shape[1]) + src.shape[2:], np.nan, np.float32)
            view = big[:, ::2]
            assert fftconv.filter2d(src, k, "replicate", method=method, dst=view) is view
            assert_close(view, want, scale, np.float32)
            assert np.all(np.isnan(big[:, 1::2]))  # nothing written between
    # uint8 src: dst is float32
    dst = np.empty(camera.shape, np.float32)
    assert fftconv.filter2d(camera, k, dst=dst) is dst
    assert_close(dst, cv2.filter2D(camera, cv2.CV_32F, k), float(np.abs(k).sum() * 255), np.float32)
    for bad in [np.empty((3, 3), np.float32), np.empty(camera.shape, np.float64), camera.copy(), [[0.0]]]:
        with pytest.raises(ValueError, match="dst"):
            fftconv.filter2d(camera, k, dst=bad)


def test_filter2d_reads_strided_and_transposed_images(camera):
    k = np.random.default_rng(4).uniform(-1, 1, (5, 5)).astype(np.float32)
    big = camera.astype(np.float32)
    scale = float(np.abs(k).sum() * 255)
    for view in [big[::2, ::3], big.T, np.asfortranarray(big), big[::-1, 10:300]]:
        for method in ["direct", "fft"]:
            assert_close(fftconv.filter2d(view, k, method=method), cv2.filter2D(np.ascontiguousarray(view), -1, k),
                         scale, np.float32)


def test_image_errors():
    img = np.ones((20, 20), np.float32)
    with pytest.raises(ValueError, match="2D"):
        fftconv.filter2d(np.ones((2, 3, 4, 5)), np.ones((3, 3)))
    with pytest.raises(ValueError, match="2D"):
        fftconv.filter2d(np.ones(5), np.ones((3, 3)))
    with pytest.raises(ValueError, match="complex"):
        fftconv.filter2d(img.astype(complex), np.ones((3, 3)))
    with pytest.raises(ValueError, match="kernel"):
        fftconv.filter2d(img, np.ones(3))
    with pytest.raises(ValueError, match="ksize"):
        fftconv.sobel(img, 1, 0, 2)
    with pytest.raises(ValueError, match="ksize"):
        fftconv.sobel(img, 1, 0, 33)
    with pytest.raises(ValueError, match="Scharr"):
        fftconv.sobel(img, 1, 1, -1)
    with pytest.raises(ValueError, match="sigma"):
        fftconv.gaussian_blur(img, 0)
    with pytest.raises(ValueError, match="cutoff"):
        fftconv.lowpass(img, 0)
    with pytest.raises(ValueError, match="shape.*'box'"):
        fftconv.highpass(img, 0.3, "box")
    with pytest.raises(ValueError, match="template must fit"):
        fftconv.match_template(img, np.ones((25, 5), np.float32), cv2.TM_SQDIFF)
    with pytest.raises(ValueError, match="channels"):
        fftconv.match_template(np.ones((20, 20, 3)), np.ones((5, 5)), cv2.TM_SQDIFF)
    for bad in ["TM_FOO", 6, -1, 1.0]:
        with pytest.raises(ValueError, match="method"):
            fftconv.match_template(img, img[:3, :3], bad)


# ------------------------------------------------------------------- sep_filter2d, gaussian_blur, sobel


@pytest.mark.parametrize("dtype", DTYPES, ids=dtype_id)
def test_sep_filter2d_equals_cv2(camera, chelsea, dtype):
    rng = np.random.default_rng(5)
    for img in images(camera, chelsea, dtype).values():
        for nx, ny in [(5, 3), (1, 7), (4, 6), (21, 21), (31, 2)]:
            kx, ky = rng.uniform(-1, 1, nx).astype(dtype), rng.uniform(-1, 1, ny).astype(dtype)
            scale = float(np.abs(kx).sum() * np.abs(ky).sum() * np.abs(img).max())
            for name, value in BORDERS.items():
                want = cv2.sepFilter2D(img, -1, kx, ky, borderType=value)
                for method, border in [("direct", name), ("fft", value), ("auto", name)]:
                    got = fftconv.sep_filter2d(img, kx, ky, border, method=method)
                    assert got.dtype == dtype
                    assert_close(got, want, scale, dtype)
    # and into dst
    img = images(camera, chelsea, dtype)["chelsea"]
    dst = np.empty_like(img)
    assert fftconv.sep_filter2d(img, [1, 2, 1], [1, 0, -1], dst=dst) is dst
    want = cv2.sepFilter2D(img, -1, np.array([1, 2, 1], dtype), np.array([1, 0, -1], dtype))
    assert_close(dst, want, 4.0 * 2 * 255, dtype)


@pytest.mark.parametrize("dtype", DTYPES, ids=dtype_id)
def test_gaussian_blur_equals_cv2(camera, chelsea, dtype):
    for img in images(camera, chelsea, dtype).values():
        scale = float(np.abs(img).max())
        for sigma in [0.8, 2, 5]:
            r = int(4 * sigma + 0.5)
            for name, value in BORDERS.items():
                want = cv2.GaussianBlur(img, (2 * r + 1, 2 * r + 1), sigma, borderType=value)
                for method in ["direct", "fft", "auto"]:
                    got = fftconv.gaussian_blur(img, sigma, name, method=method)
                    assert got.dtype == dtype and got.shape == img.shape
                    assert_close(got, want, scale, dtype)


def test_gaussian_blur_default_border_is_reflect_and_truncate_sets_the_size(camera):
    img = camera[:150, :170].astype(np.float64)
    sigma = 1.7
    r = int(4 * sigma + 0.5)
    want = cv2.GaussianBlur(img, (2 * r + 1, 2 * r + 1), sigma, borderType=cv2.BORDER_REFLECT)
    assert_close(fftconv.gaussian_blur(img, sigma), want, 255.0, np.float64)
    # not cv2's default border (REFLECT_101): the edges differ
    other = cv2.GaussianBlur(img, (2 * r + 1, 2 * r + 1), sigma)
    assert np.max(np.abs(fftconv.gaussian_blur(img, sigma) - other)) > 1e-3
    r2 = int(2.5 * sigma + 0.5)
    want = cv2.GaussianBlur(img, (2 * r2 + 1, 2 * r2 + 1), sigma, borderType=cv2.BORDER_REFLECT_101)
    assert_close(fftconv.gaussian_blur(img, sigma, "reflect101", truncate=2.5), want, 255.0, np.float64)
    # uint8 in, float32 out
    got = fftconv.gaussian_blur(camera[:100, :100], 2.0, cv2.BORDER_REPLICATE)
    assert got.dtype == np.float32
    want = cv2.GaussianBlur(camera[:100, :100].astype(np.float32), (17, 17), 2.0, borderType=cv2.BORDER_REPLICATE)
    assert_close(got, want, 255.0, np.float32)


@pytest.mark.parametrize("dtype", DTYPES, ids=dtype_id)
def test_sobel_equals_cv2(camera, chelsea, dtype):
    ddepth = cv2.CV_32F if dtype == np.float32 else cv2.CV_64F
    cases = [((dx, dy), ksize) for (dx, dy), ksize in itertools.product([(1, 0), (0, 1), (1, 1), (2, 0)], [1, 3, 5, 7])]
    cases += [((1, 0), -1), ((0, 1), -1)]
    for img in images(camera, chelsea, dtype).values():
        for (dx, dy), ksize in cases:
            kx, ky = cv2.getDerivKernels(dx, dy, ksize)
            scale = float(np.abs(kx).sum() * np.abs(ky).sum() * np.abs(img).max())
            for name, value in BORDERS.items():
                want = cv2.Sobel(img, ddepth, dx, dy, ksize=ksize, borderType=value)
                for method, border in [("direct", name), ("fft", value)]:
                    got = fftconv.sobel(img, dx, dy, ksize, border, method=method)
                    assert got.dtype == dtype
                    assert_close(got, want, scale, dtype)


def test_sobel_of_uint8_and_into_dst(camera, chelsea):
    for img in [camera[:128, :140], chelsea[:90, :100]]:
        got = fftconv.sobel(img, 1, 0, 3)
        assert got.dtype == np.float32 and got.shape == img.shape
        assert_close(got, cv2.Sobel(img, cv2.CV_32F, 1, 0, ksize=3), 8 * 255.0, np.float32)
        dst = np.empty(img.shape, np.float32)
        assert fftconv.sobel(img, 0, 1, -1, "replicate", dst=dst) is dst
        want = cv2.Sobel(img, cv2.CV_32F, 0, 1, ksize=-1, borderType=cv2.BORDER_REPLICATE)
        assert_close(dst, want, 32 * 255.0, np.float32)
    # the sign: positive where intensity grows rightwards / downwards
    ramp = np.tile(np.arange(10.0), (8, 1))
    assert np.all(fftconv.sobel(ramp, 1, 0, 3)[:, 1:-1] > 0)
    assert np.all(fftconv.sobel(ramp.T.copy(), 0, 1, 3)[1:-1] > 0)


# ------------------------------------------------------------------------------- match_template

METHOD_NAMES = ["TM_SQDIFF", "TM_SQDIFF_NORMED", "TM_CCORR", "TM_CCORR_NORMED", "TM_CCOEFF", "TM_CCOEFF_NORMED"]


def match_reference(image, templ, method):
    """cv2.matchTemplate's formulas in float64: the correlation by scipy.signal's FFT, the window sums
    by cumulative sums, summed over the channels."""
    img = image.astype(np.float64)
    t = templ.astype(np.float64)
    if img.ndim == 2:
        img, t = img[:, :, None], t[:, :, None]
    h, w = t.shape[:2]
    n = h * w

    def window_sums(a):
        c = np.zeros((a.shape[0] + 1, a.shape[1] + 1))
        c[1:, 1:] = a.cumsum(0).cumsum(1)
        return c[h:, w:] - c[:-h, w:] - c[h:, :-w] + c[:-h, :-w]

    ccorr = wsq = 0.0
    tsq = 0.0
    for ch in range(img.shape[2]):
        a, b = img[:, :, ch], t[:, :, ch]
        if method in (4, 5):
            b = b - b.mean()  # sum (I - mean I)(T - mean T) = sum I (T - mean T)
            wsq = wsq + window_sums(a * a) - window_sums(a) ** 2 / n
        else:
            wsq = wsq + window_sums(a * a)
        ccorr = ccorr + scipy.signal.correlate(a, b, mode="valid", method="fft")
        tsq += float(np.sum(b * b))
    num = wsq - 2 * ccorr + tsq if method in (0, 1) else ccorr
    if method in (0, 2, 4):
        return num
    # the normed methods, clamped as cv2 clamps them: a ratio up to 1.125 becomes +-1, one past it
    # 1 for sqdiff (a ratio up to 2 is possible) and 0 for the correlations (a flat window)
    t = np.sqrt(np.maximum(wsq, 0) * tsq)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = num / t
    past = 1.0 if method == 1 else 0.0
    return np.where(np.abs(num) < t, ratio, np.where(np.abs(num) < 1.125 * t, np.sign(num), past))


@pytest.fixture(scope="module")
def match_cases(camera, chelsea):
    """(image, template) pairs: templates cut out of the photos, so the best match is unique."""
    gray = camera[100:260, 150:330]
    colour = chelsea[60:200, 120:300]
    return {"gray": (gray, gray[60:91, 90:130].copy()), "colour": (colour, colour[50:75, 40:70].copy())}


@pytest.mark.parametrize("dtype", [np.uint8, np.float32, np.float64], ids=dtype_id)
@pytest.mark.parametrize("which", ["gray", "colour"])
def test_match_template_equals_cv2_and_finds_its_location(match_cases, which, dtype):
    image, templ = (a.astype(dtype) for a in match_cases[which])
    expect_dtype = np.float64 if dtype == np.float64 else np.float32
    # cv2 takes uint8 and float32; compare float64 inputs with its float32 result
    cv_image, cv_templ = (a if dtype != np.float64 else a.astype(np.float32) for a in (image, templ))
    for m in range(6):
        want = cv2.matchTemplate(cv_image, cv_templ, m)
        ref = match_reference(image, templ, m)
        _, _, min_loc, max_loc = cv2.minMaxLoc(want)
        cv_best = (min_loc if m < 2 else max_loc)[::-1]  # (row, col)
        for conv_method in ["direct", "fft", "auto"]:
            got = fftconv.match_template(image, templ, m, conv_method=conv_method)
            assert got.dtype == expect_dtype and got.shape == want.shape == ref.shape
            # against the float64 reference: tight; against cv2 (float32 sums): looser
            scale = float(np.max(np.abs(ref)))
            ref_tol = 2e-6 if expect_dtype == np.float32 else 1e-10
            assert np.max(np.abs(got - ref)) <= ref_tol * scale, (m, conv_method)
            assert np.max(np.abs(got - want)) <= 1e-3 * scale, (m, conv_method)
            best = np.unravel_index(np.argmin(got) if m < 2 else np.argmax(got), got.shape)
            assert tuple(int(i) for i in best) == cv_best, (m, conv_method)
            row, col, score = fftconv.find_peaks(got, 1, lowest=m < 2)[0]
            assert (row, col) == cv_best
            assert score == pytest.approx(float(got[row, col]))


def test_match_template_method_by_int_and_by_name(match_cases):
    image, templ = (a.astype(np.float32) for a in match_cases["gray"])
    for m, name in enumerate(METHOD_NAMES):
        want = fftconv.match_template(image, templ, m)
        for spelling in [name, name.lower(), name[3:].lower(), getattr(cv2, name), np.int32(m)]:
            np.testing.assert_array_equal(fftconv.match_template(image, templ, spelling), want)
    ccoeff = fftconv.match_template(image, templ, "TM_CCOEFF_NORMED")
    assert ccoeff.max() == pytest.approx(1.0, abs=1e-5)


def test_match_template_with_the_image_inside_the_template_as_cv2():
    rng = np.random.default_rng(6)
    a, b = rng.uniform(size=(10, 12)).astype(np.float32), rng.uniform(size=(20, 30)).astype(np.float32)
    for m in range(6):
        want = cv2.matchTemplate(a, b, m)
        got = fftconv.match_template(a, b, m)
        assert got.shape == want.shape == (11, 19)
        np.testing.assert_allclose(got, want, rtol=0, atol=5e-5 * float(np.max(np.abs(want))))


def test_find_peaks_order_distance_and_minima():
    s = np.array([[0, 5, 0, 0], [0, 0, 0, 7], [9, 0, 0, 0.5], [0, 8.5, 0, 0]])
    assert fftconv.find_peaks(s, 3) == [(2, 0, 9.0), (3, 1, 8.5), (1, 3, 7.0)]
    # (3, 1) is within 1 row and 1 column of (2, 0): skipped
    assert fftconv.find_peaks(s, 3, min_distance=1) == [(2, 0, 9.0), (1, 3, 7.0), (0, 1, 5.0)]
    assert fftconv.find_peaks(-s, 2, lowest=True) == [(2, 0, -9.0), (3, 1, -8.5)]
    assert fftconv.find_peaks(s, 0) == []
    assert len(fftconv.find_peaks(s, 100)) == 16
    nan = s.copy()
    nan[2, 0] = np.nan
    assert fftconv.find_peaks(nan, 1) == [(3, 1, 8.5)]
    with pytest.raises(ValueError, match="count"):
        fftconv.find_peaks(s, -1)


# ----------------------------------------------------------------------- lowpass, highpass, spectrum


def periodic_reference(img, cutoff, shape, order, high):
    """The 'wrap' border's plain periodic filter through numpy's FFT: H of rho, the frequency as a
    fraction of Nyquist on each axis."""
    rows, cols = img.shape

    def fractions(n):
        k = np.arange(n)
        k = np.where(k <= n // 2, k, k - n)
        return k / (n / 2) if n > 1 else np.zeros(1)

    rho2 = fractions(rows)[:, None] ** 2 + fractions(cols)[None, :] ** 2
    if shape == "ideal":
        h = (rho2 <= cutoff**2).astype(float)
    elif shape == "gaussian":
        h = np.exp(-rho2 / (2 * cutoff**2))
    else:
        h = 1 / (1 + (rho2 / cutoff**2) ** order)
    if high:
        h = 1 - h
    return np.fft.ifft2(np.fft.fft2(img) * h).real


@pytest.mark.parametrize("shape", ["ideal", "gaussian", "butterworth"])
def test_lowpass_and_highpass_with_wrap_equal_the_periodic_filter(camera, shape):
    img = camera[:96, :130].astype(np.float64)
    for cutoff, order, high in itertools.product([0.1371, 0.4], [1, 3], [False, True]):
        f = fftconv.highpass if high else fftconv.lowpass
        want = periodic_reference(img, cutoff, shape, order, high)
        for method in ["fft", "auto"]:
            got = f(img, cutoff, shape, order, border="wrap", method=method)
            np.testing.assert_allclose(got, want, rtol=0, atol=1e-9 * 255)
    # the direct reference path on a small image
    small = camera[:20, :24].astype(np.float64)
    np.testing.assert_allclose(fftconv.lowpass(small, 0.3, shape, border="wrap", method="direct"),
                               periodic_reference(small, 0.3, shape, 2, False), rtol=0, atol=1e-9 * 255)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.uint8], ids=dtype_id)
def test_highpass_is_the_image_minus_lowpass(camera, chelsea, dtype):
    out_dtype = np.float64 if dtype == np.float64 else np.float32
    tol = 2e-5 if out_dtype == np.float32 else 1e-12
    for img in [camera[:128, :160].astype(dtype), chelsea[:100, :90].astype(dtype)]:
        for shape, border in itertools.product(["ideal", "gaussian", "butterworth"],
                                               ["reflect", "wrap", "constant", "reflect101", "replicate"]):
            lo = fftconv.lowpass(img, 0.2, shape, border=border)
            hi = fftconv.highpass(img, 0.2, shape, border=border)
            assert lo.dtype == hi.dtype == out_dtype
            assert lo.shape == hi.shape == img.shape
            np.testing.assert_allclose(hi.astype(np.float64) + lo, img, rtol=0, atol=tol * 255, err_msg=shape + border)
    # the direct path on a small image agrees with the FFT path
    small = camera[:24, :20].astype(np.float32)
    for border in ["reflect", "constant"]:
        np.testing.assert_allclose(fftconv.lowpass(small, 0.25, "gaussian", border=border, method="direct"),
                                   fftconv.lowpass(small, 0.25, "gaussian", border=border, method="fft"),
                                   rtol=0, atol=1e-4 * 255)


def test_lowpass_of_a_constant_is_that_constant_and_channels_are_filtered_apart(chelsea):
    c = np.full((40, 50), 3.25)
    for shape, border in itertools.product(["ideal", "gaussian", "butterworth"], ["reflect", "wrap", "replicate"]):
        for cutoff in [0.05, 0.5]:
            np.testing.assert_allclose(fftconv.lowpass(c, cutoff, shape, border=border), 3.25, rtol=0, atol=1e-12)
            np.testing.assert_allclose(fftconv.highpass(c, cutoff, shape, border=border), 0, rtol=0, atol=1e-12)
    img = chelsea[:80, :90].astype(np.float32)
    for f in (fftconv.lowpass, fftconv.highpass):
        got = f(img, 0.15, "butterworth", 3)
        assert got.shape == img.shape and got.dtype == np.float32
        for ch in range(3):
            np.testing.assert_array_equal(got[:, :, ch], f(np.ascontiguousarray(img[:, :, ch]), 0.15, "butterworth", 3))
    # an ideal lowpass removes what lies above the cutoff: the result is smoother than the image
    gray = chelsea[:80, :90, 1].astype(np.float64)
    lo = fftconv.lowpass(gray, 0.2, border="wrap")
    spectrum = np.abs(np.fft.fft2(lo))
    ry, rx = np.meshgrid(np.abs(np.fft.fftfreq(80) * 2), np.abs(np.fft.fftfreq(90) * 2), indexing="ij")
    assert np.max(spectrum[np.hypot(ry, rx) > 0.21]) < 1e-8 * np.max(spectrum)


def spectrum_reference(img):
    f = np.fft.fftshift(np.log1p(np.abs(np.fft.fft2(img.astype(np.float64)))))
    centre = (img.shape[0] // 2, img.shape[1] // 2)
    away = f.copy()
    away[centre] = -np.inf
    return np.clip((f - f.min()) / (away.max() - f.min()), 0, 1)


def test_log_spectrum(camera, chelsea):
    rng = np.random.default_rng(7)
    for img in [rng.uniform(0, 1, (31, 40)) + 10, camera.astype(np.float32), camera[:64, :81]]:
        got = fftconv.log_spectrum(img)
        assert got.shape == img.shape
        assert got.dtype == (np.float64 if img.dtype == np.float64 else np.float32)
        assert got.min() >= 0 and got.max() <= 1
        assert got.min() == 0 and got.max() == 1
        centre = (img.shape[0] // 2, img.shape[1] // 2)
        assert got[centre] == got.max() == 1  # the large mean: the zero frequency, at the centre
        tol = 1e-10 if img.dtype == np.float64 else 1e-4
        np.testing.assert_allclose(got, spectrum_reference(img), rtol=0, atol=tol)
    colour = chelsea[:60, :70]
    got = fftconv.log_spectrum(colour)
    assert got.shape == colour.shape and got.dtype == np.float32
    for ch in range(3):
        np.testing.assert_allclose(got[:, :, ch], spectrum_reference(colour[:, :, ch]), rtol=0, atol=1e-4)
