"""Properties of the module itself rather than of one function's values: dtypes kept by every
family of functions; inputs read where they lie and results handed over without a copy (seen
through tracemalloc, which numpy reports its allocations to); the GIL released while the work
runs; no leaked references or memory over many calls; errors and their types; workers=; and the
Convolver class against scipy, its out=, its checks and its use from two threads."""

import gc
import os
import sys
import threading
import time
import tracemalloc

import numpy as np
import pytest
import scipy.ndimage as ndi
import scipy.signal

import fftconv

# ------------------------------------------------------------------------------------- dtypes

FLOAT_AND_COMPLEX = [np.float32, np.float64, np.complex64, np.complex128]


def dtype_id(d):
    return np.dtype(d).name


def sample(rng, shape, dtype):
    x = rng.uniform(-1, 1, shape)
    if np.dtype(dtype).kind == "c":
        x = x + 1j * rng.uniform(-1, 1, shape)
    return x.astype(dtype)


@pytest.mark.parametrize("dtype", FLOAT_AND_COMPLEX, ids=dtype_id)
def test_signal_and_ndimage_functions_keep_the_dtype(dtype):
    rng = np.random.default_rng(1)
    x, k = sample(rng, (20, 22), dtype), sample(rng, (3, 4), dtype)
    for f in (fftconv.convolve, fftconv.correlate, fftconv.fftconvolve, fftconv.oaconvolve):
        for mode in ("full", "same", "valid"):
            assert f(x, k, mode).dtype == dtype, (f.__name__, mode)
    for method in ("direct", "fft"):
        assert fftconv.convolve(x, k, method=method).dtype == dtype
        assert fftconv.correlate_nd(x, k, method=method).dtype == dtype
        assert fftconv.convolve_nd(x, k, method=method).dtype == dtype
        assert fftconv.gaussian_filter(x, 1.5, method=method).dtype == dtype
    c = fftconv.Convolver(x.shape, k, "same")
    assert c.dtype == dtype and c.apply(x).dtype == dtype


@pytest.mark.parametrize("dtype", [np.int8, np.uint8, np.int16, np.int32, np.int64], ids=dtype_id)
def test_integer_dtypes_as_scipy_returns_them(dtype):
    rng = np.random.default_rng(2)
    x = rng.integers(0, 5, (20, 22)).astype(dtype)
    k = x[:3, :3]
    assert fftconv.convolve(x, k).dtype == scipy.signal.convolve(x, k).dtype == dtype
    assert fftconv.fftconvolve(x, k).dtype == scipy.signal.fftconvolve(x, k).dtype == np.float64
    assert fftconv.correlate_nd(x, k).dtype == ndi.correlate(x, k).dtype == dtype
    assert fftconv.convolve_nd(x, np.ones((3, 3))).dtype == dtype
    assert fftconv.gaussian_filter(x, 1).dtype == ndi.gaussian_filter(x, 1).dtype == dtype
    # a Convolver takes integers into its float64
    c = fftconv.Convolver(x.shape, np.ones((3, 3)), "same")
    assert c.dtype == np.float64 and c.apply(x).dtype == np.float64


@pytest.mark.parametrize(
    "dtype,expected",
    [(np.float32, np.float32), (np.float64, np.float64), (np.uint8, np.float32), (np.uint16, np.float32),
     (np.int16, np.float32), (np.float16, np.float32), (np.bool_, np.float32)],
    ids=lambda d: np.dtype(d).name,
)
def test_image_functions_keep_float_and_give_float32_for_the_rest(dtype, expected):
    rng = np.random.default_rng(3)
    for shape in [(20, 22), (20, 22, 3)]:
        im = rng.uniform(0, 5, shape).astype(dtype)
        results = {
            "filter2d": fftconv.filter2d(im, np.ones((3, 3))),
            "sep_filter2d": fftconv.sep_filter2d(im, np.ones(3), np.ones(3)),
            "gaussian_blur": fftconv.gaussian_blur(im, 1.0),
            "sobel": fftconv.sobel(im, 1, 0),
            "lowpass": fftconv.lowpass(im, 0.3),
            "highpass": fftconv.highpass(im, 0.3),
            "log_spectrum": fftconv.log_spectrum(im),
            "match_template": fftconv.match_template(im, im[2:5, 3:7], "ccorr"),
        }
        for name, r in results.items():
            assert r.dtype == expected, name
            if name != "match_template":
                assert r.shape == im.shape, name
        assert results["match_template"].shape == (18, 19)


# --------------------------------------------------------------------------- no copies


@pytest.fixture(scope="module")
def big():
    """4096 x 4096 float64: 128 MiB."""
    rows = np.sin(np.arange(4096.0) * 0.37)
    cols = np.cos(np.arange(4096.0) * 0.11)
    return np.add.outer(rows, cols)


def traced_peak(fn):
    """fn()'s result and the peak of the memory traced (numpy's allocations among it) while it ran."""
    gc.collect()
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        result = fn()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return result, peak


def test_tracemalloc_sees_an_input_sized_copy(big):
    # the measurement itself: a copy of the input is seen
    view = big[::2, ::2]
    copy, peak = traced_peak(lambda: np.ascontiguousarray(view))
    assert peak >= view.nbytes
    del copy


@pytest.mark.parametrize("which", ["contiguous", "every other row and column", "fortran order", "reversed, strided"])
def test_convolve_reads_the_input_in_place_and_hands_over_its_own_result(big, which):
    view = {
        "contiguous": big,
        "every other row and column": big[::2, ::2],
        "fortran order": big.T,
        "reversed, strided": big[::-1, ::-3],
    }[which]
    k = np.array([[1.0, 2.0, 1.0], [0.0, 1.0, 0.0], [-1.0, 0.5, 0.25]])
    result, peak = traced_peak(lambda: fftconv.convolve(view, k, mode="same"))
    assert result.shape == view.shape and result.dtype == np.float64
    # neither a copy of the input nor a numpy-allocated output: a few bytes of Python objects
    assert peak < 0.05 * min(view.size * 8, result.nbytes), f"{peak} bytes traced"
    assert not np.shares_memory(result, view)
    assert not result.flags.owndata and result.base is not None  # the library's buffer, kept by a capsule
    assert type(result.base).__name__ == "PyCapsule"
    # and the values are right: a corner against scipy on a copy of it
    corner = np.ascontiguousarray(view[:40, :50])
    want = scipy.signal.convolve(corner, k, mode="same", method="direct")
    np.testing.assert_allclose(result[1:39, 1:49], want[1:39, 1:49], rtol=0, atol=1e-12)


def test_filters_and_convolver_read_strided_views_without_a_copy(big):
    view = big[::2, ::2]
    k = np.array([[0.0, 1.0, 0.0], [1.0, -4.0, 1.0], [0.0, 1.0, 0.0]])
    corner = np.ascontiguousarray(view[:40, :50])
    c = fftconv.Convolver(view.shape, k, "same")
    out = np.empty(view.shape)
    calls = {
        "correlate_nd": (lambda: fftconv.correlate_nd(view, k, mode="wrap"), None),
        "filter2d": (lambda: fftconv.filter2d(view, k, "reflect101"), None),
        "Convolver.apply": (lambda: c.apply(view), None),
        "Convolver.apply(out=)": (lambda: c.apply(view, out=out), out),
    }
    for name, (fn, expected_object) in calls.items():
        result, peak = traced_peak(fn)
        assert peak < 0.05 * view.size * 8, f"{name}: {peak} bytes traced"
        assert result.shape == view.shape and not np.shares_memory(result, view), name
        if expected_object is not None:
            assert result is expected_object
        want = {
            "correlate_nd": ndi.correlate(corner, k, mode="wrap"),
            "filter2d": ndi.correlate(corner, k, mode="mirror"),
        }.get(name, scipy.signal.convolve(corner, k, mode="same"))
        np.testing.assert_allclose(result[1:39, 1:49], want[1:39, 1:49], rtol=0, atol=1e-12, err_msg=name)


# ------------------------------------------------------------------------------ GIL release


class Counter:
    """A Python thread counting as fast as it can: it runs only while it holds the GIL."""

    def __init__(self):
        self.count = 0
        self.stop = False
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self.stop:
            self.count += 1

    def __enter__(self):
        self.thread.start()
        time.sleep(0.05)
        return self

    def __exit__(self, *exc):
        self.stop = True
        self.thread.join()


def counting_share(fn):
    """(seconds fn() took, the counter's rate while fn ran as a fraction of its rate alone)."""
    with Counter() as c:
        n0, t0 = c.count, time.perf_counter()
        time.sleep(0.1)  # the main thread asleep: the counter alone
        free_rate = (c.count - n0) / (time.perf_counter() - t0)
        n0, t0 = c.count, time.perf_counter()
        fn()
        elapsed = time.perf_counter() - t0
        rate = (c.count - n0) / elapsed
    return elapsed, rate / free_rate


def sized(make, n, target=0.15, limit=8):
    """make(n), its size scaled up until one call takes `target` seconds (the time grows as n**2)."""
    for _ in range(limit):
        fn = make(n)
        t0 = time.perf_counter()
        fn()  # also plans and fills caches before the measured call
        elapsed = time.perf_counter() - t0
        if elapsed >= target:
            break
        n = int(n * min(2.0, max(1.2, 1.1 * (target / max(elapsed, 1e-3)) ** 0.5)))
    return fn


def test_the_gil_measurement_sees_a_call_that_holds_the_gil():
    # sum() over a range runs in C without releasing the GIL: the counter stalls
    fn = sized(lambda n: (lambda: sum(range(n))), 2_000_000)
    elapsed, share = counting_share(fn)
    assert elapsed >= 0.08
    assert share < 0.15, f"the counter ran at {share:.0%} of its free rate during a GIL-holding call"


def _convolve_call(n):
    rng = np.random.default_rng(4)
    x, k = rng.uniform(size=(n, n)), rng.uniform(size=(31, 31))
    return lambda: fftconv.convolve(x, k, mode="same", method="direct")


def _convolver_call(n):
    rng = np.random.default_rng(5)
    x = rng.uniform(size=(n, n))
    c = fftconv.Convolver(x.shape, rng.uniform(size=(31, 31)), "same", method="direct")
    return lambda: c.apply(x)


def _convolver_out_call(n):
    rng = np.random.default_rng(5)
    x = rng.uniform(size=(n, n))
    c = fftconv.Convolver(x.shape, rng.uniform(size=(31, 31)), "same", method="direct")
    out = np.empty(c.output_shape)
    return lambda: c.apply(x, out=out)


def _filter2d_call(n):
    rng = np.random.default_rng(6)
    img, k = rng.uniform(size=(n, n)).astype(np.float32), rng.uniform(size=(31, 31)).astype(np.float32)
    return lambda: fftconv.filter2d(img, k, method="direct")


def _filter2d_colour_dst_call(n):
    rng = np.random.default_rng(6)
    img, k = rng.uniform(size=(n, n, 3)).astype(np.float32), rng.uniform(size=(31, 31)).astype(np.float32)
    dst = np.empty_like(img)
    return lambda: fftconv.filter2d(img, k, method="direct", dst=dst)


def _match_template_call(n):
    rng = np.random.default_rng(7)
    img = rng.uniform(size=(n, n)).astype(np.float32)
    t = img[10:50, 20:60].copy()
    return lambda: fftconv.match_template(img, t, "ccoeff_normed", conv_method="direct")


def _correlate_nd_call(n):
    rng = np.random.default_rng(8)
    x, k = rng.uniform(size=(n, n)), rng.uniform(size=(31, 31))
    return lambda: fftconv.correlate_nd(x, k, method="direct")


def _gaussian_blur_call(n):
    img = np.random.default_rng(9).uniform(size=(n, n)).astype(np.float32)
    return lambda: fftconv.gaussian_blur(img, 40.0, method="direct")


def _lowpass_call(n):
    img = np.random.default_rng(10).uniform(size=(n, n))
    return lambda: fftconv.lowpass(img, 0.2)


# The starting sizes take about 0.2 s on a 2-core machine; `sized` scales them up on faster ones.
GIL_CALLS = {
    "convolve": (_convolve_call, 1200),
    "Convolver.apply": (_convolver_call, 1200),
    "Convolver.apply(out=)": (_convolver_out_call, 1200),
    "filter2d": (_filter2d_call, 1600),
    "filter2d(3 channels, dst=)": (_filter2d_colour_dst_call, 1000),
    "match_template": (_match_template_call, 850),
    "correlate_nd": (_correlate_nd_call, 1200),
    "gaussian_blur": (_gaussian_blur_call, 2048),
    "lowpass": (_lowpass_call, 1800),
}


@pytest.mark.parametrize("name", list(GIL_CALLS))
def test_the_gil_is_released_while_the_work_runs(name):
    make, n = GIL_CALLS[name]
    fn = sized(make, n)
    elapsed, share = counting_share(fn)
    assert elapsed >= 0.08, f"the call took only {elapsed:.3f} s; the measurement needs a longer one"
    # held, the counter would stall (see the control test); released, it runs on
    assert share > 0.2, f"the counter ran at {share:.0%} of its free rate during {name} ({elapsed:.2f} s)"


# ---------------------------------------------------------------------- references and leaks


def rss_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _leak_cases():
    rng = np.random.default_rng(11)
    x, k = rng.uniform(size=(64, 64)), rng.uniform(size=(3, 3))
    img = rng.uniform(size=(64, 64)).astype(np.float32)
    templ = img[5:13, 7:17].copy()
    k32 = k.astype(np.float32)
    conv = fftconv.Convolver(x.shape, k, "same")
    out = np.empty(conv.output_shape)
    arrays = [x, k, img, templ, k32, out]
    cases = {
        "convolve": lambda: fftconv.convolve(x, k, mode="same"),
        "convolve fft": lambda: fftconv.convolve(x, k, method="fft"),
        "Convolver.apply": lambda: conv.apply(x),
        "Convolver.apply(out=)": lambda: conv.apply(x, out=out),
        "filter2d": lambda: fftconv.filter2d(img, k32),
        "match_template": lambda: fftconv.match_template(img, templ, "ccoeff_normed"),
        "correlate_nd": lambda: fftconv.correlate_nd(x, k),
    }
    return arrays, cases


@pytest.mark.parametrize("name", list(_leak_cases()[1]))
def test_ten_thousand_calls_leak_neither_references_nor_memory(name):
    arrays, cases = _leak_cases()
    fn = cases[name]
    for _ in range(100):
        fn()
    gc.collect()
    refs = [sys.getrefcount(a) for a in arrays]
    before = rss_bytes()
    for _ in range(10_000):
        fn()
    gc.collect()
    grown = rss_bytes() - before
    assert [sys.getrefcount(a) for a in arrays] == refs
    # every result is 32 KiB: a leaked one per call would be 320 MiB
    assert grown < 4 * 2**20, f"RSS grew by {grown / 2**20:.1f} MiB over 10,000 calls"


# ----------------------------------------------------------------------------------- errors


def test_mismatched_ranks_are_a_value_error_naming_the_sizes():
    with pytest.raises(ValueError, match=r"3x3.*\b3\b.*rank|rank.*3x3"):
        fftconv.convolve(np.ones((3, 3)), np.ones(3))
    with pytest.raises(ValueError, match=r"3x3x2.*3x3"):
        fftconv.correlate(np.ones((3, 3, 2)), np.ones((3, 3)))
    with pytest.raises(ValueError, match=r"5x5.*rank"):
        fftconv.Convolver((5, 5), np.ones(3))
    with pytest.raises(ValueError, match=r"5x6.*5x5"):
        fftconv.Convolver((5, 5), np.ones((3, 3))).apply(np.ones((5, 6)))
    with pytest.raises(ValueError, match="dimensions"):
        fftconv.fftconvolve(np.ones((3, 3)), np.ones(3))


def test_a_request_past_the_memory_limit_is_a_memory_error_naming_the_bytes():
    try:
        fftconv.set_memory_limit(1 << 20)
        assert fftconv.memory_limit() == 1 << 20
        calls = [
            lambda: fftconv.convolve(np.ones((600, 600)), np.ones((9, 9)), method="direct"),
            lambda: fftconv.convolve(np.ones((600, 600)), np.ones((9, 9)), method="fft"),
            lambda: fftconv.correlate_nd(np.ones((600, 600)), np.ones((9, 9))),
            lambda: fftconv.filter2d(np.ones((600, 600)), np.ones((9, 9))),
            lambda: fftconv.gaussian_filter(np.ones((600, 600)), 2.0),
        ]
        for call in calls:
            with pytest.raises(MemoryError, match=r"\d+(\.\d+)? ?[KMG]?B.*memory limit"):
                call()
        np.testing.assert_allclose(fftconv.convolve(np.ones(100), np.ones(9)), np.convolve(np.ones(100), np.ones(9)))
    finally:
        fftconv.set_memory_limit(0)
    assert fftconv.memory_limit() > 1 << 20
    assert fftconv.convolve(np.ones((600, 600)), np.ones((9, 9))).shape == (608, 608)


def test_wisdom_files(tmp_path):
    assert fftconv.load_wisdom(tmp_path / "missing.wisdom") is False
    garbage = tmp_path / "garbage.wisdom"
    garbage.write_bytes(b"this is not FFTW wisdom \x00\xff" * 10)
    empty = tmp_path / "empty.wisdom"
    empty.write_bytes(b"")
    # a file that cannot be read or parsed: OSError (the package's "failing file"), with the path
    for bad in [garbage, empty, tmp_path]:
        with pytest.raises(OSError, match="wisdom"):
            fftconv.load_wisdom(bad)
    with pytest.raises(OSError):
        fftconv.save_wisdom(tmp_path / "no such folder" / "w.wisdom")
    # a measured plan leaves wisdom; save and load it back
    fftconv.Convolver((60, 70), np.ones((5, 5)), "same", method="fft", effort="measure").apply(np.ones((60, 70)))
    path = tmp_path / "fftconv.wisdom"
    assert fftconv.save_wisdom(str(path)) is None
    assert path.read_text().startswith("(fftw-")
    assert fftconv.load_wisdom(path) is True
    assert fftconv.load_wisdom(str(path)) is True


# ---------------------------------------------------------------------------------- workers


def test_workers_give_the_same_results():
    rng = np.random.default_rng(12)
    x, k = rng.uniform(-1, 1, (300, 260)), rng.uniform(-1, 1, (21, 19))
    img, k32 = x.astype(np.float32), k.astype(np.float32)
    before = fftconv.threads()
    for method in ["direct", "fft"]:
        calls = {
            "convolve": lambda w: fftconv.convolve(x, k, method=method, workers=w),
            "correlate_nd": lambda w: fftconv.correlate_nd(x, k, method=method, workers=w),
            "gaussian_filter": lambda w: fftconv.gaussian_filter(x, 3.0, method=method, workers=w),
            "filter2d": lambda w: fftconv.filter2d(img, k32, method=method, workers=w),
            "match_template": lambda w: fftconv.match_template(img, img[10:40, 20:45], 5, conv_method=method,
                                                               workers=w),
            "Convolver": lambda w: fftconv.Convolver(x.shape, k, "same", method=method, workers=w).apply(x),
        }
        for name, call in calls.items():
            one = call(1)
            for w in [2, -1, None]:
                other = call(w)
                if method == "direct":
                    np.testing.assert_array_equal(other, one, err_msg=f"{name} workers={w}")
                else:
                    scale = float(np.max(np.abs(one)))
                    tol = 1e-5 if one.dtype == np.float32 else 1e-12
                    np.testing.assert_allclose(other, one, rtol=0, atol=tol * scale, err_msg=f"{name} workers={w}")
            assert fftconv.threads() == before
    np.testing.assert_allclose(fftconv.convolve(x, k, workers=2), scipy.signal.convolve(x, k), rtol=0, atol=1e-11)
    for f in [lambda: fftconv.convolve(x, k, workers=0), lambda: fftconv.filter2d(img, k32, workers=0),
              lambda: fftconv.Convolver(x.shape, k, workers=0), lambda: fftconv.convolve(x, k, workers=1.5)]:
        with pytest.raises(ValueError, match="workers"):
            f()
    assert fftconv.threads() == before


# -------------------------------------------------------------------------------- Convolver


@pytest.mark.parametrize("correlate", [False, True], ids=["convolve", "correlate"])
@pytest.mark.parametrize("mode", ["full", "same", "valid"])
def test_convolver_equals_scipy(mode, correlate):
    rng = np.random.default_rng(13)
    want_fn = scipy.signal.correlate if correlate else scipy.signal.convolve
    for xs, ks in [((64, 80), (7, 6)), ((33,), (5,)), ((9, 10, 11), (3, 2, 4)), ((40, 30), (1, 1))]:
        x, k = rng.uniform(-1, 1, xs), rng.uniform(-1, 1, ks)
        want = want_fn(x, k, mode=mode, method="direct")
        for method in ["auto", "direct", "fft"]:
            c = fftconv.Convolver(x.shape, k, mode, method=method, correlate=correlate)
            assert c.output_shape == want.shape
            for _ in range(2):  # applied again: the same
                np.testing.assert_allclose(c.apply(x), want, rtol=0, atol=1e-12 * np.abs(k).sum())
            np.testing.assert_allclose(c(x), want, rtol=0, atol=1e-12 * np.abs(k).sum())
        # another input with the same Convolver
        y = rng.uniform(-1, 1, xs)
        np.testing.assert_allclose(c.apply(y), want_fn(y, k, mode=mode), rtol=0, atol=1e-12 * np.abs(k).sum())


def test_convolver_axes_borders_and_complex():
    rng = np.random.default_rng(14)
    xb, kb = rng.uniform(-1, 1, (6, 50)), rng.uniform(-1, 1, (1, 9))
    for mode in ["full", "same", "valid"]:
        for axes in [1, [1], -1]:
            c = fftconv.Convolver(xb.shape, kb, mode, axes=axes)
            want = scipy.signal.fftconvolve(xb, kb, mode=mode, axes=1)
            assert c.output_shape == want.shape
            np.testing.assert_allclose(c.apply(xb), want, rtol=0, atol=1e-12)
    x, k = rng.uniform(-1, 1, (30, 41)), rng.uniform(-1, 1, (5, 4))
    for border in ["reflect", "mirror", "nearest", "wrap", "constant", "grid-wrap"]:
        for correlate, want_fn in [(False, ndi.convolve), (True, ndi.correlate)]:
            for method in ["direct", "fft"]:
                c = fftconv.Convolver(x.shape, k, "same", border=border, cval=0.3, correlate=correlate, method=method)
                np.testing.assert_allclose(c.apply(x), want_fn(x, k, mode=border, cval=0.3), rtol=0, atol=1e-12)
    with pytest.raises(ValueError, match="same"):
        fftconv.Convolver(x.shape, k, "full", border="wrap")
    with pytest.raises(ValueError, match="mode"):
        fftconv.Convolver(x.shape, k, "same", border="sideways")
    for dtype, tol in [(np.complex64, 2e-5), (np.complex128, 1e-12)]:
        xc, kc = sample(rng, (30, 41), dtype), sample(rng, (5, 4), dtype)
        for correlate, want_fn in [(False, scipy.signal.convolve), (True, scipy.signal.correlate)]:
            c = fftconv.Convolver(xc.shape, kc, "same", correlate=correlate)
            assert c.dtype == dtype
            got = c.apply(xc)
            assert got.dtype == dtype
            want = want_fn(xc.astype(np.complex128), kc.astype(np.complex128), mode="same")
            np.testing.assert_allclose(got, want, rtol=0, atol=tol * np.abs(want).max())
        # a real input into a complex Convolver
        got = fftconv.Convolver(x.shape, kc, "same").apply(x.astype(np.float32))
        assert got.dtype == dtype
        want = scipy.signal.convolve(x.astype(np.float32).astype(np.complex128), kc.astype(np.complex128), mode="same")
        np.testing.assert_allclose(got, want, rtol=0, atol=tol * np.abs(want).max())


def test_convolver_out_dtypes_and_properties():
    rng = np.random.default_rng(15)
    x, k = rng.uniform(-1, 1, (64, 80)), rng.uniform(-1, 1, (7, 6))
    c = fftconv.Convolver(x.shape, k, "same", method="fft")
    assert (c.shape, c.kernel_shape, c.output_shape, c.mode, c.method, c.dtype) == (
        (64, 80), (7, 6), (64, 80), "same", "fft", np.float64)
    assert fftconv.Convolver(x.shape, k, "full", method="direct").output_shape == (70, 85)
    assert fftconv.Convolver(x.shape, k, "valid", method="direct").method == "direct"
    assert fftconv.Convolver(x.shape, k, "valid").output_shape == (58, 75)
    assert "Convolver" in repr(c) and "(64, 80)" in repr(c)
    want = scipy.signal.convolve(x, k, mode="same")
    outs = [np.full(c.output_shape, np.nan), np.full((128, 160), np.nan)[::2, ::2],
            np.asfortranarray(np.full((64, 80), np.nan))]
    for out in outs:
        assert c.apply(x, out=out) is out
        np.testing.assert_allclose(out, want, rtol=0, atol=1e-12)
    bad_outs = {
        "shape": np.empty((3, 3)),
        "dtype": np.empty(c.output_shape, np.float32),
        "complex": np.empty(c.output_shape, np.complex128),
        "list": [[0.0] * 80] * 64,
        "empty": np.empty((64, 0)),
    }
    for what, out in bad_outs.items():
        with pytest.raises(ValueError):
            c.apply(x, out=out)
    read_only = np.empty(c.output_shape)
    read_only.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        c.apply(x, out=read_only)
    shared = x.copy()
    with pytest.raises(ValueError, match="memory"):
        c.apply(shared, out=shared)
    # precision: float64 into a float32 Convolver is refused; integers and float32 into float64 work
    c32 = fftconv.Convolver(x.shape, k.astype(np.float32), "same")
    assert c32.dtype == np.float32
    with pytest.raises(ValueError, match="float64.*float32|precision"):
        c32.apply(x)
    with pytest.raises(ValueError, match="precision|complex"):
        c.apply(x.astype(np.complex128))
    xi = rng.integers(-5, 6, x.shape)
    got = c.apply(xi)
    assert got.dtype == np.float64
    np.testing.assert_allclose(got, scipy.signal.convolve(xi.astype(np.float64), k, mode="same"), rtol=0, atol=1e-12)
    got = c.apply(x.astype(np.float32))
    np.testing.assert_allclose(got, scipy.signal.convolve(x.astype(np.float32).astype(np.float64), k, mode="same"),
                               rtol=0, atol=1e-12)
    with pytest.raises(ValueError):
        fftconv.Convolver(x.shape, k, dtype=np.int32)
    with pytest.raises(ValueError, match="effort"):
        fftconv.Convolver(x.shape, k, effort="hard")


def test_one_convolver_applied_from_two_threads_at_once():
    rng = np.random.default_rng(16)
    k = rng.uniform(-1, 1, (9, 8))
    inputs = [rng.uniform(-1, 1, (200, 180)) for _ in range(4)]
    wants = [scipy.signal.convolve(x, k, mode="same") for x in inputs]
    for method in ["fft", "direct"]:
        c = fftconv.Convolver((200, 180), k, "same", method=method)
        failures = []

        def worker(index):
            out = np.empty(c.output_shape)
            for i in range(30):
                j = (index + i) % len(inputs)
                got = c.apply(inputs[j]) if i % 2 else c.apply(inputs[j], out=out)
                if not np.allclose(got, wants[j], rtol=0, atol=1e-11):
                    failures.append((index, i, float(np.max(np.abs(got - wants[j])))))

        threads = [threading.Thread(target=worker, args=(t,)) for t in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert failures == [], method
