// fftconv: convolution and cross-correlation of arrays of any rank, direct or through the FFT,
// with scipy.signal's semantics. This header is the whole public API at a glance:
//
//   types.hpp      Scalar (float, double, complex<float>, complex<double>: any other element type
//                  is one compile error saying so), Mode, Method, Border, PlannerEffort,
//                  ElementType, Shape, Error (InvalidArgument, OutOfMemory, BackendError)
//   image.hpp      Image<T> (owning, 64-byte aligned, row-major), ImageView<T> (strided, non-owning)
//   array.hpp      Extents, Array<T> and View<T>: the same at any rank; Axes
//   convolve.hpp   convolve, correlate (1D spans, 2D views, N-D views with axes), choose_method,
//                  estimate_seconds, fft_error_bound
//   convolver.hpp  Convolver<T>: plan once for a kernel and an input shape, apply many times
//   filters.hpp    extend_border, filter2d, sep_filter2d, gaussian_blur, sobel,
//                  lowpass / highpass (FilterShape), transfer_function, log_spectrum
//   match.hpp      MatchMethod, match_template, find_peaks
//   nn.hpp         convolution layers as PyTorch's (nn::conv, conv_transpose, max_pool,
//                  avg_pool, separable forms, output sizes and costs)
//   out_of_core.hpp convolve_out_of_core: arrays larger than memory, tile by tile through an
//                  ArrayReader and an ArrayWriter, within a stated memory bound
//   settings.hpp   set_threads, set_planner_effort, load_wisdom / save_wisdom
//
// The library needs FFTW3 alone; <fftconv/opencv.hpp>, the one header that includes OpenCV, is
// not included here.
#pragma once

#include "fftconv/array.hpp"
#include "fftconv/calibration.hpp"
#include "fftconv/convolve.hpp"
#include "fftconv/convolver.hpp"
#include "fftconv/delay.hpp"
#include "fftconv/filters.hpp"
#include "fftconv/image.hpp"
#include "fftconv/match.hpp"
#include "fftconv/nn.hpp"
#include "fftconv/out_of_core.hpp"
#include "fftconv/settings.hpp"
#include "fftconv/stream.hpp"
#include "fftconv/types.hpp"
