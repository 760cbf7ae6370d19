"""The scipy.signal drop-ins of `import fftconv` against scipy.signal on the same arrays: convolve,
correlate, fftconvolve, oaconvolve, choose_conv_method, correlation_lags; every element type,
mode, method and axes; awkward shapes (1, primes, kernels larger than the input, even kernels);
dtypes kept as scipy keeps them; strided views read in place; errors and their types."""

import itertools

import numpy as np
import pytest
import scipy.signal

import fftconv

# Largest accepted error, relative to the largest |value| of scipy's result (computed in double).
TOLERANCE = {np.float32: 2e-5, np.complex64: 2e-5, np.float64: 1e-12, np.complex128: 1e-12}
DTYPES = list(TOLERANCE)


def random_array(rng, shape, dtype):
    x = rng.uniform(-1, 1, shape)
    if np.issubdtype(dtype, np.complexfloating):
        x = x + 1j * rng.uniform(-1, 1, shape)
    return x.astype(dtype)


def wide(x):
    return x.astype(np.complex128 if np.iscomplexobj(x) else np.float64)


def assert_close(got, want, dtype):
    assert got.shape == want.shape
    scale = max(float(np.max(np.abs(want), initial=0)), 1e-300)
    err = float(np.max(np.abs(wide(got) - want), initial=0))
    assert err <= TOLERANCE[dtype] * scale, f"error {err:.3g} against max |value| {scale:.3g}"


# Shapes per rank: (in1, in2) pairs with sizes of 1, primes, even kernels and kernels larger than
# the input along some axis.
SHAPES = {
    1: [((1,), (1,)), ((13,), (4,)), ((5,), (11,)), ((64,), (7,)), ((257,), (31,))],
    2: [((1, 1), (1, 1)), ((7, 13), (3, 4)), ((5, 6), (9, 2)), ((31, 17), (6, 6)), ((64, 48), (11, 12))],
    3: [((5, 7, 3), (2, 3, 3)), ((9, 4, 6), (3, 5, 2)), ((1, 8, 5), (1, 3, 3))],
}


def valid_ok(s1, s2):
    return all(a >= b for a, b in zip(s1, s2)) or all(a <= b for a, b in zip(s1, s2))


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("rank", [1, 2, 3])
@pytest.mark.parametrize("op", ["convolve", "correlate"])
def test_convolve_and_correlate_equal_scipy(op, rank, dtype):
    rng = np.random.default_rng(rank * 10 + DTYPES.index(dtype))
    ours, theirs = getattr(fftconv, op), getattr(scipy.signal, op)
    for s1, s2 in SHAPES[rank]:
        a, b = random_array(rng, s1, dtype), random_array(rng, s2, dtype)
        for mode, method in itertools.product(["full", "same", "valid"], ["auto", "direct", "fft"]):
            if mode == "valid" and not valid_ok(s1, s2):
                with pytest.raises(ValueError):
                    ours(a, b, mode=mode, method=method)
                continue
            got = ours(a, b, mode=mode, method=method)
            assert got.dtype == a.dtype, (mode, method)  # float32 stays float32, as in scipy
            assert_close(got, theirs(wide(a), wide(b), mode=mode, method="direct"), dtype)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("fn", ["fftconvolve", "oaconvolve"])
def test_fftconvolve_and_oaconvolve_with_axes_equal_scipy(fn, dtype):
    rng = np.random.default_rng(7 + DTYPES.index(dtype))
    ours, theirs = getattr(fftconv, fn), getattr(scipy.signal, fn)
    cases = [
        ((6, 40), (6, 9), [1]),  # a batch of rows, each with its own kernel
        ((6, 40), (1, 9), [1]),  # one kernel broadcast over the rows
        ((6, 40), (1, 9), -1),  # an int axis, counted from the end
        ((4, 5, 30), (4, 1, 7), [2]),
        ((8, 9, 10), (3, 1, 4), [0, 2]),
        ((12, 10), (5, 3), None),
        ((12, 10), (5, 3), [0, 1]),
    ]
    for s1, s2, axes in cases:
        a, b = random_array(rng, s1, dtype), random_array(rng, s2, dtype)
        for mode in ["full", "same", "valid"]:
            try:
                want = theirs(wide(a), wide(b), mode=mode, axes=axes)
            except ValueError:
                with pytest.raises(ValueError):
                    ours(a, b, mode=mode, axes=axes)
                continue
            got = ours(a, b, mode=mode, axes=axes)
            assert got.dtype == a.dtype
            assert_close(got, want, dtype)


def test_fftconvolve_same_crops_broadcast_axes_as_scipy():
    # in1 has 1 along a broadcast axis where in2 has 3: scipy crops that axis to in1's 1.
    rng = np.random.default_rng(3)
    a, b = rng.uniform(-1, 1, (1, 50)), rng.uniform(-1, 1, (3, 9))
    got = fftconv.fftconvolve(a, b, mode="same", axes=[1])
    want = scipy.signal.fftconvolve(a, b, mode="same", axes=[1])
    assert got.shape == want.shape == (1, 50)
    assert_close(got, want, np.float64)


def test_integer_and_bool_inputs_keep_scipys_dtypes():
    a, b = np.arange(12, dtype=np.int32).reshape(3, 4), np.array([[1, -2], [3, 4]], dtype=np.int16)
    for method in ["auto", "direct", "fft"]:
        got = fftconv.convolve(a, b, method=method)
        want = scipy.signal.convolve(a, b, method=method)
        assert got.dtype == want.dtype == np.int32
        np.testing.assert_array_equal(got, want)
        got = fftconv.correlate(a, b, mode="same", method=method)
        np.testing.assert_array_equal(got, scipy.signal.correlate(a, b, mode="same", method=method))
    # fftconvolve returns float64 for integers, as scipy does
    got = fftconv.fftconvolve(a, b)
    assert got.dtype == scipy.signal.fftconvolve(a, b).dtype == np.float64
    np.testing.assert_allclose(got, scipy.signal.fftconvolve(a, b), atol=1e-9)
    # mixed precision promotes as numpy does
    assert fftconv.convolve(np.ones(5, np.float32), np.ones(3, np.float64)).dtype == np.float64
    assert fftconv.convolve(np.ones(5, np.float32), np.ones(3, np.complex64)).dtype == np.complex64
    assert fftconv.convolve(np.ones(5, np.float16), np.ones(3, np.float16)).dtype == np.float32


def test_integer_sums_past_2_53_are_refused_not_rounded():
    big = np.array([2**40, 3], dtype=np.int64)
    with pytest.raises(ValueError, match=r"2\*\*53"):
        fftconv.convolve(big, np.array([2**13, 1], dtype=np.int64))
    # below it, exact: 'auto' takes the direct sum where the FFT's rounding could reach half a unit
    rng = np.random.default_rng(2)
    large = rng.integers(-(2**20), 2**20, 5000, dtype=np.int64)
    kernel = rng.integers(-(2**20), 2**20, 700, dtype=np.int64)
    np.testing.assert_array_equal(fftconv.convolve(large, kernel), np.convolve(large, kernel))


def test_long_double_is_refused_with_its_dtype_named():
    with pytest.raises(ValueError, match="longdouble|float128"):
        fftconv.convolve(np.ones(4, np.longdouble), np.ones(2))


def test_strided_views_are_read_where_they_lie():
    rng = np.random.default_rng(11)
    base = rng.uniform(-1, 1, (40, 60))
    k = rng.uniform(-1, 1, (5, 4))
    views = {
        "every other column": base[:, ::2],
        "reversed rows": base[::-1],
        "transposed (F order)": base.T,
        "a window": base[3:30, 7:50],
        "fortran copy": np.asfortranarray(base),
    }
    for name, v in views.items():
        for method in ["direct", "fft"]:
            got = fftconv.convolve(v, k, mode="same", method=method)
            want = scipy.signal.convolve(np.ascontiguousarray(v), k, mode="same", method="direct")
            assert_close(got, want, np.float64)
    # a field of a record array: strides that are not a whole number of float64s still work
    rec = np.zeros(30, dtype=[("x", np.float64), ("flag", np.int8)])
    rec["x"] = np.arange(30)
    np.testing.assert_allclose(fftconv.convolve(rec["x"], [1.0, 1.0]), np.convolve(np.arange(30.0), [1, 1]))


def test_scalars_and_empty_operands_as_scipy():
    assert fftconv.convolve(np.float64(3), np.float64(4)) == 12
    assert fftconv.correlate(np.complex128(1 + 2j), np.complex128(1j)) == scipy.signal.correlate(
        np.complex128(1 + 2j), np.complex128(1j)
    )
    assert fftconv.fftconvolve(np.zeros(0), np.ones(3)).size == 0
    assert fftconv.convolve(np.zeros(0), np.ones(3)).size == 0
    # 0-d arrays (not numpy scalars) and empty arrays of a computed dtype, past the fast path.
    assert fftconv.convolve(np.array(2.0), np.array(3.0)) == scipy.signal.convolve(np.array(2.0), np.array(3.0))
    assert fftconv.correlate(np.array(2.0, np.float32), np.array(3.0, np.float32)) == 6


def test_nan_and_inf_land_where_the_direct_sum_puts_them():
    a = np.arange(40, dtype=np.float64)
    a[17] = np.nan
    a[30] = np.inf
    k = np.array([1.0, 2.0, 1.0])
    want = scipy.signal.convolve(a, k, method="direct")
    for method in ["auto", "direct", "fft"]:
        got = fftconv.convolve(a, k, method=method)
        np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
        np.testing.assert_array_equal(np.isinf(got), np.isinf(want))
        finite = np.isfinite(want)
        np.testing.assert_allclose(got[finite], want[finite], rtol=1e-12, atol=1e-12)


def test_errors_name_the_problem_and_have_pythons_types():
    with pytest.raises(ValueError, match="mode"):
        fftconv.convolve([1, 2], [1], mode="middle")
    with pytest.raises(ValueError, match="method"):
        fftconv.convolve([1, 2], [1], method="fast")
    with pytest.raises(ValueError, match="rank|dimension"):
        fftconv.convolve(np.ones((3, 3)), np.ones(3))
    with pytest.raises(ValueError, match="valid"):
        fftconv.convolve(np.ones((5, 2)), np.ones((2, 5)), mode="valid")
    with pytest.raises(ValueError):
        fftconv.fftconvolve(np.ones((4, 5)), np.ones((3, 5)), axes=[1])  # axis 0 neither equal nor 1
    with pytest.raises(ValueError, match="axes"):
        fftconv.fftconvolve(np.ones((4, 5)), np.ones((4, 5)), axes=[2])
    with pytest.raises(ValueError):
        fftconv.convolve(np.ones(3, dtype=object), np.ones(2))


def test_a_request_past_the_memory_limit_is_a_memory_error_naming_the_bytes():
    try:
        fftconv.set_memory_limit(1 << 20)
        assert fftconv.memory_limit() == 1 << 20
        with pytest.raises(MemoryError, match=r"MB.*memory limit|memory limit.*MB"):
            fftconv.fftconvolve(np.ones((600, 600)), np.ones((9, 9)))
        fftconv.convolve(np.ones(100), np.ones(9))  # small calls still run
    finally:
        fftconv.set_memory_limit(0)  # the default: this machine's memory
    assert fftconv.memory_limit() > 1 << 30


@pytest.mark.parametrize("mode", ["full", "same", "valid"])
def test_correlation_lags_equal_scipy(mode):
    for n1, n2 in itertools.product([1, 2, 5, 8, 13], [1, 2, 4, 7, 13, 20]):
        np.testing.assert_array_equal(
            fftconv.correlation_lags(n1, n2, mode), scipy.signal.correlation_lags(n1, n2, mode), err_msg=f"{n1},{n2}"
        )
        # and they index correlate's output
        assert fftconv.correlation_lags(n1, n2, mode).size == fftconv.correlate(np.ones(n1), np.ones(n2), mode).size


def test_choose_conv_method_names_what_auto_runs():
    rng = np.random.default_rng(5)
    small, big = rng.uniform(size=(8, 8)), rng.uniform(size=(512, 512))
    assert fftconv.choose_conv_method(small, np.ones((3, 3))) == "direct"
    assert fftconv.choose_conv_method(big, np.ones((63, 63))) == "fft"
    nan = big.copy()
    nan[0, 0] = np.nan
    assert fftconv.choose_conv_method(nan, np.ones((63, 63))) == "direct"
    method, times = fftconv.choose_conv_method(small, np.ones((3, 3)), measure=True)
    assert method in ("direct", "fft") and set(times) == {"direct", "fft"}
    assert method == min(times, key=times.get)


def test_estimates_and_the_error_bound():
    assert fftconv.estimate_seconds((1024, 1024), (31, 31), "same", "float32", "fft") > 0
    assert fftconv.estimate_seconds((1024, 1024), (31, 31), "same", "float32", "direct") > 0
    with pytest.raises(ValueError, match="method"):
        fftconv.estimate_seconds((10,), (3,), method="auto")
    bound64 = fftconv.fft_error_bound((1000,), (100,), dtype="float64")
    bound32 = fftconv.fft_error_bound((1000,), (100,), dtype=np.float32)
    assert 0 < bound64 < bound32 < 1e-4


def test_threads():
    before = fftconv.threads()
    try:
        fftconv.set_threads(2)
        assert fftconv.threads() == 2
        a = np.random.default_rng(1).uniform(size=(300, 300))
        assert_close(fftconv.convolve(a, np.ones((9, 9))), scipy.signal.convolve(a, np.ones((9, 9))), np.float64)
        with pytest.raises(ValueError):
            fftconv.set_threads(-1)
    finally:
        fftconv.set_threads(before)
