"""fftconv: convolution and correlation of numpy arrays of any rank, directly or through the FFT.

The functions take the names, arguments and semantics of the library a user already knows, and
return what it returns (the same shape, the same dtype, the same values within rounding):

scipy.signal
    convolve, correlate        (method 'auto', 'direct', 'fft')
    fftconvolve, oaconvolve    (axes=)
    choose_conv_method         by fftconv's own cost model
    correlation_lags
scipy.ndimage (same-size filters with a border, any rank)
    correlate_nd, convolve_nd  ndimage.correlate / convolve (mode='reflect', 'mirror', 'nearest',
                               'wrap', 'constant'; cval=)
    gaussian_filter
OpenCV (2D images, each channel of a (rows, cols, channels) image filtered on its own)
    filter2d, sep_filter2d, gaussian_blur, sobel    cv2.filter2D, sepFilter2D, GaussianBlur, Sobel
    match_template, find_peaks                      cv2.matchTemplate (cv2.TM_* methods)
    lowpass, highpass, log_spectrum                 frequency-domain filters
Planned once, applied many times
    Convolver(shape, kernel, mode, axes).apply(x, out=None)
1D signals
    StreamConvolver(responses).process(block), .flush()   a stream, block by block
    find_delay (MATLAB's finddelay; xcorr or GCC-PHAT), find_snippet
torch.nn.functional (the submodule fftconv.nn)
    conv1d/2d/3d, conv_transpose1d/2d/3d, max_pool1d/2d/3d, avg_pool1d/2d/3d, output sizes
fftconv's own
    fft_error_bound, estimate_seconds, set_threads, threads, set_memory_limit, memory_limit,
    set_planner_effort, planner_effort, load_wisdom, save_wisdom

Element types: float32, float64, complex64 and complex128 are computed in their own precision
(float32 in, float32 out, as scipy does). Integers and bool are computed in float64 (images in
float32); the scipy functions then round or cast the result back to the input's integer type as
scipy does. Arrays are read where they lie, any strides, without a copy; results are handed over
without a copy; the work runs with the GIL released. Every call takes workers= (threads for that
call, as scipy.fft's; -1: every core).

Errors: ValueError for arguments fftconv cannot take, MemoryError for a request larger than the
memory limit (named in bytes before anything is allocated), OSError for a failing file or FFTW.
"""

from ._convolver import Convolver
from ._image import (
    filter2d,
    find_peaks,
    gaussian_blur,
    highpass,
    log_spectrum,
    lowpass,
    match_template,
    sep_filter2d,
    sobel,
)
from ._ndimage import convolve_nd, correlate_nd, gaussian_filter
from ._settings import (
    load_wisdom,
    memory_limit,
    planner_effort,
    save_wisdom,
    set_memory_limit,
    set_planner_effort,
    set_threads,
    threads,
)
from . import nn
from ._stream import Delay, StreamConvolver, find_delay, find_snippet
from ._signal import (
    choose_conv_method,
    convolve,
    correlate,
    correlation_lags,
    estimate_seconds,
    fft_error_bound,
    fftconvolve,
    oaconvolve,
)

__all__ = [
    "convolve",
    "correlate",
    "fftconvolve",
    "oaconvolve",
    "choose_conv_method",
    "correlation_lags",
    "correlate_nd",
    "convolve_nd",
    "gaussian_filter",
    "filter2d",
    "sep_filter2d",
    "gaussian_blur",
    "sobel",
    "lowpass",
    "highpass",
    "log_spectrum",
    "match_template",
    "find_peaks",
    "Convolver",
    "StreamConvolver",
    "find_delay",
    "find_snippet",
    "Delay",
    "fft_error_bound",
    "estimate_seconds",
    "set_threads",
    "threads",
    "set_memory_limit",
    "memory_limit",
    "set_planner_effort",
    "planner_effort",
    "load_wisdom",
    "save_wisdom",
    "nn",
]
