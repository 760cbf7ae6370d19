"""fftconv.StreamConvolver, find_delay and find_snippet through the Python API: the stream
against numpy's offline convolution, MATLAB finddelay's examples, planted snippets."""

import numpy as np
import pytest

import fftconv


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("options", [{}, {"partition": 64}, {"partition": 32, "max_partition": 2048},
                                     {"partition": 64, "zero_latency": True}])
def test_stream_equals_offline_convolution(dtype, options):
    rng = np.random.default_rng(31)
    x = rng.standard_normal(20000).astype(dtype)
    h = rng.standard_normal(1500).astype(dtype)
    s = fftconv.StreamConvolver(h, **options)
    pieces, at = [], 0
    while at < x.size:
        n = int(rng.integers(1, 3000))
        y = s.process(x[at:at + n])
        assert y.dtype == dtype and y.shape == x[at:at + n].shape
        pieces.append(y)
        at += n
    pieces.append(s.flush())
    got = np.concatenate(pieces)
    want = np.convolve(x.astype(np.float64), h.astype(np.float64))
    assert got.size == s.latency + want.size
    assert np.all(got[:s.latency] == 0)
    tolerance = 2e-6 if dtype == np.float32 else 1e-13
    assert np.max(np.abs(got[s.latency:] - want)) <= tolerance * np.abs(h).sum() * np.abs(x).max()
    if options.get("zero_latency"):
        assert s.latency == 0


def test_true_stereo_and_out():
    rng = np.random.default_rng(32)
    x = rng.standard_normal((2, 5000))
    h = rng.standard_normal((2, 2, 300))
    s = fftconv.StreamConvolver(h, partition=64)
    out = np.empty((2, 5000))
    assert s.process(x, out=out) is out
    got = np.concatenate([out, s.flush()], axis=1)[:, s.latency:]
    for o in range(2):
        want = np.convolve(x[0], h[0, o]) + np.convolve(x[1], h[1, o])
        np.testing.assert_allclose(got[o], want, rtol=0, atol=1e-11)


def test_stream_errors():
    s = fftconv.StreamConvolver(np.ones(10, np.float32))
    with pytest.raises(ValueError, match="float64.*float32"):
        s.process(np.ones(4))  # float64 into a float32 stream would lose precision
    with pytest.raises(ValueError, match="shaped"):
        fftconv.StreamConvolver(np.ones((2, 3)))
    with pytest.raises(ValueError, match="empty"):
        fftconv.StreamConvolver(np.ones(0))


@pytest.mark.parametrize("method", ["xcorr", "normalized", "phat"])
def test_find_delay_matlab_examples(method):
    assert fftconv.find_delay([1, 2, 3], [0, 0, 1, 2, 3], method=method).lag == 2
    assert fftconv.find_delay([0, 0, 0, 1, 2, 3, 0, 0], [1, 2, 3, 0], method=method).lag == -3
    assert fftconv.find_delay([0, 0, 1, 2, 3, 0], [0.02, 0.12, 1.08, 2.21, 2.95, -0.09], method=method).lag == 0


def test_find_delay_noisy_and_max_lag():
    rng = np.random.default_rng(33)
    x = rng.standard_normal(48000)
    y = np.concatenate([np.zeros(37), x[:-37]]) + 0.5 * rng.standard_normal(48000)
    d = fftconv.find_delay(x, y, method="phat")
    assert d.lag == 37 and abs(d.samples - 37) < 0.1
    assert abs(fftconv.find_delay(x, y, max_lag=10).lag) <= 10
    with pytest.raises(ValueError, match="method"):
        fftconv.find_delay(x, y, method="gcc")


def test_find_snippet_planted():
    rng = np.random.default_rng(34)
    recording = 0.3 * rng.standard_normal(20000)
    snippet = rng.standard_normal(400)
    for at, gain in [(1000, 1.0), (9000, 0.5), (17000, 2.0)]:
        recording[at:at + 400] += gain * snippet
    found = fftconv.find_snippet(recording, snippet, count=3, min_distance=200)
    assert sorted(p for p, _ in found) == [1000, 9000, 17000]
    assert all(0.8 < score <= 1.0 for _, score in found)
