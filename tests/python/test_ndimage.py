"""The scipy.ndimage drop-ins of `import fftconv` against scipy.ndimage on the same arrays:
correlate_nd, convolve_nd and gaussian_filter at ranks 1 to 3; every border mode (and its grid-
spelling), odd, even, unit and oversized kernels, every method; the dtypes ndimage returns (float32,
float64, complex, integers truncated as ndimage truncates them); output= as an array (written in
place, the same object returned) and as a dtype, output overlapping the input; strided and
Fortran-ordered inputs; errors and their messages."""

import itertools

import numpy as np
import pytest
import scipy.ndimage as ndi

import fftconv

MODES = ["reflect", "mirror", "nearest", "wrap", "constant", "grid-mirror", "grid-constant", "grid-wrap"]
METHODS = ["direct", "fft", "auto"]
OPS = {"correlate": (fftconv.correlate_nd, ndi.correlate), "convolve": (fftconv.convolve_nd, ndi.convolve)}

# Largest accepted error relative to sum|w| * max|x| (the largest a filter output can be).
TOLERANCE = {np.float64: 1e-12, np.complex128: 1e-12, np.float32: 1e-5, np.complex64: 1e-5}

# (input shape, kernel shape) per rank: a unit kernel, odd, even, mixed, and larger than the
# input along one or every axis.
SHAPES = {
    1: [((17,), (1,)), ((17,), (3,)), ((17,), (4,)), ((16,), (7,)), ((5,), (9,)), ((3,), (8,))],
    2: [((9, 12), (1, 1)), ((9, 12), (3, 3)), ((9, 12), (4, 4)), ((10, 7), (2, 5)), ((6, 5), (9, 3)), ((4, 5), (7, 8))],
    3: [((5, 6, 7), (1, 1, 1)), ((5, 6, 7), (3, 3, 3)), ((5, 6, 7), (2, 4, 2)), ((4, 6, 5), (2, 5, 3)),
        ((3, 4, 5), (6, 3, 7))],
}


def random_array(rng, shape, dtype=np.float64, low=-1.0, high=1.0):
    x = rng.uniform(low, high, shape)
    if np.issubdtype(dtype, np.complexfloating):
        x = x + 1j * rng.uniform(low, high, shape)
    return x.astype(dtype)


def assert_filter_close(got, want, x, w, dtype):
    assert got.shape == want.shape
    scale = max(float(np.abs(w).sum()) * float(np.max(np.abs(x), initial=0)), 1e-300)
    err = float(np.max(np.abs(got.astype(np.complex128) - want), initial=0))
    assert err <= TOLERANCE[dtype] * scale, f"error {err:.3g} against sum|w|*max|x| = {scale:.3g}"


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("op", list(OPS))
@pytest.mark.parametrize("rank", [1, 2, 3])
def test_real_filters_equal_ndimage_in_every_mode_and_method(rank, op, dtype):
    rng = np.random.default_rng(100 * rank + len(op) + np.dtype(dtype).itemsize)
    ours, theirs = OPS[op]
    for xs, ws in SHAPES[rank]:
        x, w = random_array(rng, xs, dtype), random_array(rng, ws, dtype)
        for mode in MODES:
            # ndimage computes float32 in float64 and stores float32: compare to it on float64 data
            want = theirs(x.astype(np.float64), w.astype(np.float64), mode=mode, cval=0.7)
            for method in METHODS:
                got = ours(x, w, mode=mode, cval=0.7, method=method)
                assert got.dtype == dtype, (xs, ws, mode, method)
                assert_filter_close(got, want, x, w, dtype)


def test_constant_mode_reads_cval_and_grid_spellings_mean_the_same():
    rng = np.random.default_rng(1)
    x, w = random_array(rng, (8, 9)), random_array(rng, (3, 4))
    for method in METHODS:
        a = fftconv.correlate_nd(x, w, mode="constant", cval=0.0, method=method)
        b = fftconv.correlate_nd(x, w, mode="constant", cval=2.5, method=method)
        # the border's weight times cval: an interior pixel does not change, an edge one does
        np.testing.assert_allclose(a[3:6, 3:6], b[3:6, 3:6], rtol=0, atol=1e-13)
        assert np.max(np.abs(a - b)) > 0.1
        np.testing.assert_allclose(b, ndi.correlate(x, w, mode="constant", cval=2.5), rtol=0, atol=1e-13)
        for plain, grid in [("constant", "grid-constant"), ("wrap", "grid-wrap"), ("reflect", "grid-mirror")]:
            np.testing.assert_array_equal(
                fftconv.convolve_nd(x, w, mode=plain, cval=1.5, method=method),
                fftconv.convolve_nd(x, w, mode=grid, cval=1.5, method=method),
            )


def test_a_unit_kernel_is_a_scaling_and_an_even_kernel_is_anchored_as_ndimage():
    x = np.arange(10.0)
    for mode in ["reflect", "constant"]:
        np.testing.assert_array_equal(fftconv.correlate_nd(x, [3.0], mode=mode), 3 * x)
    # correlate anchors an even kernel at size // 2, convolve one lower (after the flip)
    w = np.array([1.0, 0.0])  # correlate: out[i] = x[i - 1]
    np.testing.assert_array_equal(fftconv.correlate_nd(x, w, mode="nearest")[1:], x[:-1])
    np.testing.assert_array_equal(fftconv.convolve_nd(x, w, mode="nearest"), ndi.convolve(x, w, mode="nearest"))
    np.testing.assert_array_equal(fftconv.correlate_nd(x, w, mode="nearest"), ndi.correlate(x, w, mode="nearest"))


COMPLEX_CASES = [
    # (input dtype, weights dtype)
    (np.complex128, np.float64),
    (np.complex64, np.float64),
    (np.complex64, np.float32),
    (np.float64, np.complex128),
    (np.float32, np.complex64),
    (np.float32, np.complex128),
    (np.complex128, np.complex128),
    (np.complex64, np.complex64),
    (np.int32, np.complex128),
]


@pytest.mark.parametrize("op", list(OPS))
@pytest.mark.parametrize("in_dtype,w_dtype", COMPLEX_CASES, ids=lambda d: np.dtype(d).name)
def test_complex_filters_equal_ndimage_with_its_result_dtype(in_dtype, w_dtype, op):
    rng = np.random.default_rng(5)
    ours, theirs = OPS[op]
    if np.dtype(in_dtype).kind == "i":
        x = rng.integers(-9, 10, (11, 14)).astype(in_dtype)
    else:
        x = random_array(rng, (11, 14), in_dtype)
    w = random_array(rng, (3, 4), w_dtype)
    cval = 0.5 + 0.25j if np.iscomplexobj(x) else 0.5
    single = np.dtype(in_dtype) in (np.float32, np.complex64)
    for mode, method in itertools.product(["reflect", "constant", "wrap", "mirror"], METHODS):
        want = theirs(x, w, mode=mode, cval=cval)
        got = ours(x, w, mode=mode, cval=cval, method=method)
        assert got.dtype == want.dtype, (mode, method)
        assert_filter_close(got, want, x, w, np.complex64 if single else np.complex128)


def test_correlate_conjugates_complex_weights_as_ndimage():
    x = np.zeros(7)
    x[3] = 1.0
    w = np.array([1j, 2.0, 0.0])
    got = fftconv.correlate_nd(x, w, mode="constant")
    np.testing.assert_allclose(got, ndi.correlate(x, w, mode="constant"), atol=1e-15)
    # out[i] = sum_j conj(w[j]) x[i + j - 1]: the impulse at 3 is read by j = 0 at i = 4
    np.testing.assert_allclose(got, [0, 0, 0, 2, -1j, 0, 0], atol=1e-15)


INT_WEIGHTS = {
    "integers": lambda rng: rng.integers(-3, 4, (3, 4)),
    "quarters": lambda rng: np.full((4, 4), 0.25),
    "dyadic": lambda rng: rng.integers(-8, 9, (5, 3)) / 8.0,
    "unit": lambda rng: np.full((1, 1), 2.0),
}


@pytest.mark.parametrize("dtype", [np.int16, np.int32, np.int64, np.uint8, np.uint16], ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("weights", list(INT_WEIGHTS))
def test_integer_inputs_are_truncated_back_exactly_as_ndimage(dtype, weights):
    # Weights whose products and sums float64 holds exactly: ndimage's result is then exact
    # before its truncation, and fftconv's direct sum must equal it bit for bit.
    rng = np.random.default_rng(8)
    # values kept inside the type's range (casting one outside it is undefined in C and in numpy)
    x = rng.integers(0, 8 if dtype == np.uint8 else 100, (20, 23)).astype(dtype)
    w = INT_WEIGHTS[weights](rng)
    if np.dtype(dtype).kind == "u":
        w = np.abs(w)
    for op, mode in itertools.product(OPS, ["reflect", "constant", "wrap", "nearest", "mirror"]):
        ours, theirs = OPS[op]
        want = theirs(x, w, mode=mode, cval=3)
        for method in ["direct", "auto"]:  # 'auto' takes the direct sum at this size
            got = ours(x, w, mode=mode, cval=3, method=method)
            assert got.dtype == want.dtype == dtype
            np.testing.assert_array_equal(got, want, err_msg=f"{op} {mode} {method}")


def test_integer_inputs_with_the_fft_method_equal_ndimage():
    rng = np.random.default_rng(8)
    x = rng.integers(0, 100, (20, 23)).astype(np.int32)
    w = rng.integers(-3, 4, (3, 4))
    np.testing.assert_array_equal(fftconv.correlate_nd(x, w, method="fft"), ndi.correlate(x, w))


def test_integer_inputs_where_auto_picks_the_fft_equal_ndimage():
    rng = np.random.default_rng(9)
    x = rng.integers(0, 1000, (300, 300)).astype(np.int32)
    w = rng.integers(-3, 4, (25, 25))
    choose = getattr(getattr(fftconv, "_fftconv", None), "choose_filter_method", None)
    if choose is not None and choose(list(x.shape), w.astype(np.float64)) != 2:
        pytest.skip("'auto' takes the direct sum here on this machine; the case does not apply")
    np.testing.assert_array_equal(fftconv.correlate_nd(x, w), ndi.correlate(x, w))


def test_output_array_is_written_in_place_and_returned():
    rng = np.random.default_rng(3)
    x, w = random_array(rng, (15, 16)), random_array(rng, (3, 5))
    for op, method in itertools.product(OPS, METHODS):
        ours, theirs = OPS[op]
        want = theirs(x, w, mode="mirror")
        for out in [np.full(x.shape, np.nan), np.full(x.shape, np.nan, order="F"), np.full((30, 48), np.nan)[::2, ::3]]:
            got = ours(x, w, output=out, mode="mirror", method=method)
            assert got is out
            np.testing.assert_allclose(out, want, rtol=0, atol=1e-13)
        # an output of another dtype: cast as ndimage casts (float32; int32 truncated)
        for dtype in [np.float32, np.int32]:
            out, ref = np.zeros(x.shape, dtype), np.zeros(x.shape, dtype)
            assert ours(10 * x, w, output=out, mode="mirror", method=method) is out
            theirs(10 * x, w, output=ref, mode="mirror")
            if dtype == np.int32:
                np.testing.assert_array_equal(out, ref)
            else:
                np.testing.assert_allclose(out, ref, rtol=1e-6, atol=1e-5)


def test_output_as_a_dtype_gives_that_dtype():
    rng = np.random.default_rng(4)
    x, w = 50 * random_array(rng, (12, 13)), random_array(rng, (3, 3))
    for output in [np.float32, "int16", np.float64, np.dtype(np.int32)]:
        for op in OPS:
            ours, theirs = OPS[op]
            got, want = ours(x, w, output=output), theirs(x, w, output=output)
            assert got.dtype == want.dtype == np.dtype(output)
            if got.dtype.kind == "i":
                np.testing.assert_array_equal(got, want)
            else:
                np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-4)


def test_output_sharing_memory_with_the_input():
    rng = np.random.default_rng(6)
    x, w = random_array(rng, (15, 16)), random_array(rng, (3, 5))
    for op, method in itertools.product(OPS, ["direct", "fft"]):
        ours, theirs = OPS[op]
        want = theirs(x, w, mode="reflect")
        y = x.copy()
        assert ours(y, w, output=y, method=method) is y  # the input itself
        np.testing.assert_allclose(y, want, rtol=0, atol=1e-13)
        # a view one column over from the input in the same buffer
        buf = np.zeros((15, 17))
        buf[:, :16] = x
        inp, out = buf[:, :16], buf[:, 1:]
        assert ours(inp, w, output=out, method=method) is out
        np.testing.assert_allclose(out, want, rtol=0, atol=1e-13)
        # the transposed input as output
        sq = rng.uniform(-1, 1, (9, 9))
        want_sq = theirs(sq, w[:3, :3], mode="wrap")
        sq_out = sq.T
        assert ours(sq, w[:3, :3], output=sq_out, mode="wrap", method=method) is sq_out
        np.testing.assert_allclose(sq_out, want_sq, rtol=0, atol=1e-13)


def test_strided_and_fortran_ordered_inputs_and_weights():
    rng = np.random.default_rng(10)
    base = rng.uniform(-1, 1, (40, 50))
    base3 = rng.uniform(-1, 1, (12, 14, 16))
    w2 = rng.uniform(-1, 1, (6, 10))[::2, ::3]  # strided weights, 3x4
    w3 = np.asfortranarray(rng.uniform(-1, 1, (3, 2, 5)))
    views = [
        (base[::2, ::3], w2),
        (base.T, w2),
        (np.asfortranarray(base), w2),
        (base[::-1, 5:40], w2),
        (base[3:20, ::-2], w2),
        (base3[::2, 1:, ::-3], w3),
        (np.asfortranarray(base3), w3),
        (base3.transpose(2, 0, 1), w3),
    ]
    for (x, w), op, mode, method in itertools.product(views, OPS, ["reflect", "wrap", "constant"], ["direct", "fft"]):
        ours, theirs = OPS[op]
        want = theirs(np.ascontiguousarray(x), np.ascontiguousarray(w), mode=mode, cval=-0.4)
        got = ours(x, w, mode=mode, cval=-0.4, method=method)
        assert_filter_close(got, want, x, w, np.float64)


def test_filter_errors_name_what_is_wrong():
    x, w = np.ones((6, 6)), np.ones((3, 3))
    for f in (fftconv.correlate_nd, fftconv.convolve_nd):
        for origin in (1, -1, (0, 1)):
            with pytest.raises(ValueError, match="origin"):
                f(x, w, origin=origin)
        with pytest.raises(ValueError, match=r"mode.*'sideways'"):
            f(x, w, mode="sideways")
        with pytest.raises(ValueError, match=r"method.*'quick'"):
            f(x, w, method="quick")
        with pytest.raises(ValueError, match="shape"):
            f(x, w, output=np.zeros((5, 6)))
        with pytest.raises(ValueError, match="workers"):
            f(x, w, workers=0)
    # weights of another rank: the exception ndimage raises for it
    with pytest.raises(RuntimeError):
        ndi.correlate(x, np.ones(3))
    with pytest.raises(RuntimeError, match="dimensions"):
        fftconv.correlate_nd(x, np.ones(3))


# ----------------------------------------------------------------------------- gaussian_filter


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=lambda d: np.dtype(d).name)
def test_gaussian_filter_equals_ndimage(dtype):
    rng = np.random.default_rng(20)
    x = random_array(rng, (30, 41), dtype)
    tol = TOLERANCE[dtype] * float(np.max(np.abs(x)))
    for sigma, mode, truncate in itertools.product(
        [1.0, 2.5, (1.5, 0.7), (0, 2.0), (3.0, 0), 0.3, 12.0], MODES, [4.0, 2.0, 1.3]
    ):
        want = ndi.gaussian_filter(x.astype(np.float64), sigma, mode=mode, cval=0.4, truncate=truncate)
        for method in METHODS:
            got = fftconv.gaussian_filter(x, sigma, mode=mode, cval=0.4, truncate=truncate, method=method)
            assert got.dtype == dtype
            err = float(np.max(np.abs(got - want)))
            assert err <= tol, (sigma, mode, truncate, method, err)


def test_gaussian_filter_ranks_1_and_3_and_sigma_zero():
    rng = np.random.default_rng(21)
    x1, x3 = rng.uniform(-1, 1, 50), rng.uniform(-1, 1, (8, 9, 10))
    for method in METHODS:
        np.testing.assert_allclose(fftconv.gaussian_filter(x1, 2.0, method=method), ndi.gaussian_filter(x1, 2.0),
                                   rtol=0, atol=1e-13)
        for sigma in [1.2, (1.0, 0, 2.0), (0, 0, 0.8)]:
            for mode in ["reflect", "wrap", "constant", "nearest"]:
                np.testing.assert_allclose(
                    fftconv.gaussian_filter(x3, sigma, mode=mode, cval=0.3, method=method),
                    ndi.gaussian_filter(x3, sigma, mode=mode, cval=0.3),
                    rtol=0,
                    atol=1e-13,
                )
    # sigma 0 everywhere leaves the array alone
    np.testing.assert_array_equal(fftconv.gaussian_filter(x3, 0), x3)


@pytest.mark.parametrize("dtype", [np.complex64, np.complex128], ids=lambda d: np.dtype(d).name)
def test_gaussian_filter_of_complex_input_equals_ndimage(dtype):
    rng = np.random.default_rng(22)
    x = random_array(rng, (20, 21), dtype, 0, 200)
    tol = TOLERANCE[dtype] * float(np.max(np.abs(x)))
    for mode, method in itertools.product(["reflect", "mirror", "wrap"], ["direct", "fft"]):
        want = ndi.gaussian_filter(x, 1.5, mode=mode)
        got = fftconv.gaussian_filter(x, 1.5, mode=mode, method=method)
        assert got.dtype == want.dtype == dtype
        assert float(np.max(np.abs(got - want))) <= tol


@pytest.mark.parametrize("dtype", [np.int16, np.int32, np.uint8, np.uint16], ids=lambda d: np.dtype(d).name)
def test_gaussian_filter_of_integers_along_one_axis_equals_ndimage_exactly(dtype):
    rng = np.random.default_rng(23)
    x1 = rng.integers(0, 200, 300).astype(dtype)
    x2 = rng.integers(0, 200, (20, 21)).astype(dtype)
    for method in ["direct", "fft"]:
        got = fftconv.gaussian_filter(x1, 1.5, method=method)
        assert got.dtype == dtype
        np.testing.assert_array_equal(got, ndi.gaussian_filter(x1, 1.5))
        np.testing.assert_array_equal(fftconv.gaussian_filter(x2, (0, 1.5), method=method),
                                      ndi.gaussian_filter(x2, (0, 1.5)))


@pytest.mark.parametrize("dtype", [np.int32, np.uint8], ids=lambda d: np.dtype(d).name)
def test_gaussian_filter_of_integers_along_two_axes_equals_ndimage_exactly(dtype):
    # ndimage truncates to the integer type after each axis' pass; so does fftconv.
    rng = np.random.default_rng(24)
    x = rng.integers(0, 200, (20, 21)).astype(dtype)
    for method in ["direct", "auto"]:
        got = fftconv.gaussian_filter(x, 1.5, method=method)
        assert got.dtype == dtype
        np.testing.assert_array_equal(got, ndi.gaussian_filter(x, 1.5))


def test_gaussian_filter_output_and_errors():
    rng = np.random.default_rng(25)
    x = rng.uniform(-1, 1, (12, 14))
    out = np.full(x.shape, np.nan)
    assert fftconv.gaussian_filter(x, 1.5, output=out) is out
    np.testing.assert_allclose(out, ndi.gaussian_filter(x, 1.5), rtol=0, atol=1e-13)
    got = fftconv.gaussian_filter(x, 1.5, output=np.float32)
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, ndi.gaussian_filter(x, 1.5), rtol=0, atol=1e-6)
    for order in (1, (0, 1), 2):
        with pytest.raises(ValueError, match="order"):
            fftconv.gaussian_filter(x, 1.0, order=order)
    with pytest.raises(ValueError, match=r"mode.*'blurry'"):
        fftconv.gaussian_filter(x, 1.0, mode="blurry")
    with pytest.raises(ValueError, match="mode"):
        fftconv.gaussian_filter(x, 1.0, mode=["reflect", "wrap"])
    with pytest.raises(ValueError, match="sigma"):
        fftconv.gaussian_filter(x, [1.0, 2.0, 3.0])
