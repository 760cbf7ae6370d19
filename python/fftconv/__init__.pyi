# Type stubs for fftconv (see the package's docstrings for what each function does).
from typing import Literal, NamedTuple, Sequence, overload

import numpy as np
import numpy.typing as npt

from . import nn as nn

_Mode = Literal["full", "same", "valid"]
_Method = Literal["auto", "direct", "fft"]
_Axes = int | Sequence[int] | None
_NdBorder = Literal["reflect", "mirror", "nearest", "wrap", "constant", "grid-mirror", "grid-wrap", "grid-constant"]
_CvBorder = Literal["constant", "replicate", "reflect", "reflect101", "reflect_101", "wrap"] | int
_Shape = Literal["ideal", "gaussian", "butterworth"]
_Output = np.ndarray | npt.DTypeLike | None

def convolve(
    in1: npt.ArrayLike, in2: npt.ArrayLike, mode: _Mode = ..., method: _Method = ..., *, workers: int | None = ...
) -> np.ndarray: ...
def correlate(
    in1: npt.ArrayLike, in2: npt.ArrayLike, mode: _Mode = ..., method: _Method = ..., *, workers: int | None = ...
) -> np.ndarray: ...
def fftconvolve(
    in1: npt.ArrayLike, in2: npt.ArrayLike, mode: _Mode = ..., axes: _Axes = ..., *, workers: int | None = ...
) -> np.ndarray: ...
def oaconvolve(
    in1: npt.ArrayLike, in2: npt.ArrayLike, mode: _Mode = ..., axes: _Axes = ..., *, workers: int | None = ...
) -> np.ndarray: ...
@overload
def choose_conv_method(
    in1: npt.ArrayLike, in2: npt.ArrayLike, mode: _Mode = ..., measure: Literal[False] = ...
) -> Literal["direct", "fft"]: ...
@overload
def choose_conv_method(
    in1: npt.ArrayLike, in2: npt.ArrayLike, mode: _Mode = ..., *, measure: Literal[True]
) -> tuple[Literal["direct", "fft"], dict[str, float]]: ...
def correlation_lags(in1_len: int, in2_len: int, mode: _Mode = ...) -> np.ndarray: ...
def correlate_nd(
    input: npt.ArrayLike,
    weights: npt.ArrayLike,
    output: _Output = ...,
    mode: _NdBorder = ...,
    cval: complex = ...,
    origin: int = ...,
    *,
    method: _Method = ...,
    workers: int | None = ...,
) -> np.ndarray: ...
def convolve_nd(
    input: npt.ArrayLike,
    weights: npt.ArrayLike,
    output: _Output = ...,
    mode: _NdBorder = ...,
    cval: complex = ...,
    origin: int = ...,
    *,
    method: _Method = ...,
    workers: int | None = ...,
) -> np.ndarray: ...
def gaussian_filter(
    input: npt.ArrayLike,
    sigma: float | Sequence[float],
    order: int = ...,
    output: _Output = ...,
    mode: _NdBorder = ...,
    cval: float = ...,
    truncate: float = ...,
    *,
    method: _Method = ...,
    workers: int | None = ...,
) -> np.ndarray: ...
def filter2d(
    src: npt.ArrayLike,
    kernel: npt.ArrayLike,
    border: _CvBorder = ...,
    *,
    method: _Method = ...,
    dst: np.ndarray | None = ...,
    workers: int | None = ...,
) -> np.ndarray: ...
def sep_filter2d(
    src: npt.ArrayLike,
    kernel_x: npt.ArrayLike,
    kernel_y: npt.ArrayLike,
    border: _CvBorder = ...,
    *,
    method: _Method = ...,
    dst: np.ndarray | None = ...,
    workers: int | None = ...,
) -> np.ndarray: ...
def gaussian_blur(
    src: npt.ArrayLike,
    sigma: float,
    border: _CvBorder = ...,
    truncate: float = ...,
    *,
    method: _Method = ...,
    dst: np.ndarray | None = ...,
    workers: int | None = ...,
) -> np.ndarray: ...
def sobel(
    src: npt.ArrayLike,
    dx: int,
    dy: int,
    ksize: int = ...,
    border: _CvBorder = ...,
    *,
    method: _Method = ...,
    dst: np.ndarray | None = ...,
    workers: int | None = ...,
) -> np.ndarray: ...
def lowpass(
    image: npt.ArrayLike,
    cutoff: float,
    shape: _Shape = ...,
    order: int = ...,
    border: _CvBorder = ...,
    *,
    method: _Method = ...,
    workers: int | None = ...,
) -> np.ndarray: ...
def highpass(
    image: npt.ArrayLike,
    cutoff: float,
    shape: _Shape = ...,
    order: int = ...,
    border: _CvBorder = ...,
    *,
    method: _Method = ...,
    workers: int | None = ...,
) -> np.ndarray: ...
def log_spectrum(image: npt.ArrayLike, *, workers: int | None = ...) -> np.ndarray: ...
def match_template(
    image: npt.ArrayLike,
    templ: npt.ArrayLike,
    method: int | str,
    *,
    conv_method: _Method = ...,
    workers: int | None = ...,
) -> np.ndarray: ...
def find_peaks(
    scores: npt.ArrayLike, count: int = ..., min_distance: int = ..., lowest: bool = ...
) -> list[tuple[int, int, float]]: ...

class Convolver:
    def __init__(
        self,
        shape: Sequence[int],
        kernel: npt.ArrayLike,
        mode: _Mode = ...,
        axes: _Axes = ...,
        *,
        method: _Method = ...,
        correlate: bool = ...,
        border: _NdBorder | None = ...,
        cval: complex = ...,
        effort: Literal["estimate", "measure", "patient"] = ...,
        workers: int | None = ...,
        dtype: npt.DTypeLike | None = ...,
    ) -> None: ...
    def apply(self, x: npt.ArrayLike, out: np.ndarray | None = ...) -> np.ndarray: ...
    def __call__(self, x: npt.ArrayLike, out: np.ndarray | None = ...) -> np.ndarray: ...
    @property
    def shape(self) -> tuple[int, ...]: ...
    @property
    def kernel_shape(self) -> tuple[int, ...]: ...
    @property
    def output_shape(self) -> tuple[int, ...]: ...
    @property
    def mode(self) -> _Mode: ...
    @property
    def method(self) -> Literal["direct", "fft"]: ...
    @property
    def dtype(self) -> np.dtype: ...

def fft_error_bound(
    shape1: Sequence[int], shape2: Sequence[int], mode: _Mode = ..., dtype: npt.DTypeLike = ..., axes: _Axes = ...
) -> float: ...
def estimate_seconds(
    shape1: Sequence[int],
    shape2: Sequence[int],
    mode: _Mode = ...,
    dtype: npt.DTypeLike = ...,
    method: Literal["direct", "fft"] = ...,
    axes: _Axes = ...,
) -> float: ...
def set_threads(n: int) -> None: ...
def threads() -> int: ...
def set_memory_limit(nbytes: int) -> None: ...
def memory_limit() -> int: ...
def set_planner_effort(effort: Literal["estimate", "measure", "patient"]) -> None: ...
def planner_effort() -> Literal["estimate", "measure", "patient"]: ...
def load_wisdom(path: str) -> bool: ...
def save_wisdom(path: str) -> None: ...

class Delay(NamedTuple):
    lag: int
    samples: float
    score: float

def find_delay(
    x: npt.ArrayLike,
    y: npt.ArrayLike,
    max_lag: int | None = ...,
    method: Literal["xcorr", "normalized", "phat"] = ...,
) -> Delay: ...
def find_snippet(
    recording: npt.ArrayLike, snippet: npt.ArrayLike, count: int = ..., min_distance: int = ...
) -> list[tuple[int, float]]: ...

class StreamConvolver:
    def __init__(
        self, responses: npt.ArrayLike, partition: int = ..., max_partition: int = ..., zero_latency: bool = ...
    ) -> None: ...
    def process(self, block: npt.ArrayLike, out: np.ndarray | None = ...) -> np.ndarray: ...
    def flush(self) -> np.ndarray: ...
    def reset(self) -> None: ...
    @property
    def latency(self) -> int: ...
    @property
    def partition(self) -> int: ...
    @property
    def samples(self) -> int: ...
