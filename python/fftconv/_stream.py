"""1D signals: a stream convolved block by block (StreamConvolver), the delay between two
recordings (find_delay) and where a snippet occurs (find_snippet)."""

import collections as _collections

import numpy as _np

from . import _fftconv

Delay = _collections.namedtuple("Delay", ["lag", "samples", "score"])
Delay.__doc__ = """find_delay's answer: `lag` in whole samples (y(n) ≈ x(n − lag), positive when y lags x),
`samples` refined to a fraction of a sample, `score` the method's score at `lag`."""

_DELAY_METHODS = {"xcorr": 0, "normalized": 1, "phat": 2}


def _signals(a, b, names):
    x, y = _np.asarray(a), _np.asarray(b)
    dtype = _np.float32 if x.dtype == y.dtype == _np.float32 else _np.float64
    for v, name in zip((x, y), names):
        if v.ndim != 1:
            raise ValueError(f"{name} must be 1D, not shape {v.shape}")
        if v.dtype.kind not in "biuf":
            raise ValueError(f"{name}: signals are real numbers, not {v.dtype}")
    return _np.ascontiguousarray(x, dtype), _np.ascontiguousarray(y, dtype)


def find_delay(x, y, max_lag=None, method="xcorr"):
    """The delay of `y` against `x`, as MATLAB's finddelay(x, y): x = [1, 2, 3],
    y = [0, 0, 1, 2, 3] gives 2.

    Parameters
    ----------
    x, y : array_like
        1D real signals, of any lengths.
    max_lag : int, optional
        Only lags within ±max_lag (default: every lag of the full correlation).
    method : {'xcorr', 'normalized', 'phat'}
        'xcorr' the cross-correlation; 'normalized' the same divided by sqrt(Σx² Σy²) (a score in
        [-1, 1]); 'phat' GCC-PHAT (every frequency weighted alike: one sharp peak for reverberant
        or coloured signals). The lag of the largest |score| wins, the smallest |lag| among equals.

    Returns
    -------
    Delay
        (lag, samples, score): samples refined between lags by band-limited interpolation.
    """
    if method not in _DELAY_METHODS:
        raise ValueError(f"method must be 'xcorr', 'normalized' or 'phat', not {method!r}")
    a, b = _signals(x, y, ("x", "y"))
    lag, samples, score = _fftconv.find_delay(a, b, -1 if max_lag is None else int(max_lag), _DELAY_METHODS[method])
    return Delay(lag, samples, score)


def find_snippet(recording, snippet, count=1, min_distance=0):
    """Where `snippet` occurs in `recording`: up to `count` (position, score) pairs, best first,
    scored by normalised correlation (1: an exact copy up to gain and offset), none within
    `min_distance` samples of a better one."""
    a, b = _signals(recording, snippet, ("recording", "snippet"))
    if int(count) < 0:
        raise ValueError(f"count must be 0 or more, not {count}")
    return _fftconv.find_snippet(a, b, int(count), int(min_distance))


class StreamConvolver:
    """Convolution of a stream with fixed impulse responses, block by block, in bounded memory.

    Parameters
    ----------
    responses : array_like
        1D (one input, one output) or 3D shaped (inputs, outputs, taps): responses[i, o] takes
        input i to output o (a 2 x 2 array of them is "true stereo"). float32 or float64 (others
        are computed in float64).
    partition : int
        Samples per partition; 0: the cheapest per sample by fftconv's cost model.
    max_partition : int
        Above `partition`: partitions growing 4x per stage up to this size, for long responses at
        a small partition (a 5 s response in blocks of 128 runs hundreds of times faster than
        real time). 0: uniform partitions.
    zero_latency : bool
        The first partition as a direct sum on each sample: latency 0.

    `process(block)` returns as many samples per output as the block holds; those outputs, in
    order, then `flush()`, are `latency` zeros followed by the full convolution.
    """

    def __init__(self, responses, partition=0, max_partition=0, zero_latency=False):
        h = _np.asarray(responses)
        if h.dtype.kind not in "biuf":
            raise ValueError(f"responses are real numbers, not {h.dtype}")
        self._mono = h.ndim == 1
        if self._mono:
            h = h.reshape(1, 1, -1)
        elif h.ndim != 3:
            raise ValueError(f"responses must be 1D or shaped (inputs, outputs, taps), not {h.shape}")
        self._dtype = _np.dtype(_np.float32 if h.dtype == _np.float32 else _np.float64)
        h = _np.ascontiguousarray(h, self._dtype)
        self._core = _fftconv.StreamConvolver(h, int(partition), int(max_partition), bool(zero_latency))

    def process(self, block, out=None):
        """The next samples: 1D for a mono convolver, else shaped (inputs, frames); the outputs
        of as many samples, into `out` when given (shaped (outputs, frames), or 1D for mono)."""
        x = _np.asarray(block)
        if not _np.can_cast(x.dtype, self._dtype, "safe"):
            raise ValueError(f"the block has dtype {x.dtype}; this StreamConvolver computes in {self._dtype}")
        x = _np.asarray(x, self._dtype)
        two_d = x.reshape(1, -1) if self._mono and x.ndim == 1 else x
        if out is None:
            out = _np.empty((self._core.outputs, two_d.shape[-1] if two_d.ndim == 2 else 0), self._dtype)
            result = out[0] if self._mono and x.ndim == 1 else out
        else:
            result = out
        target = out.reshape(1, -1) if out.ndim == 1 else out
        self._core.process(two_d, target)
        return result

    def flush(self):
        """Ends the stream: the latency + taps − 1 samples per output still owed; then a new stream."""
        tail = self._core.flush()
        return tail[0] if self._mono else tail

    def reset(self):
        """Forgets the stream so far."""
        self._core.reset()

    @property
    def latency(self):
        return self._core.latency

    @property
    def partition(self):
        return self._core.partition

    @property
    def samples(self):
        return self._core.samples
