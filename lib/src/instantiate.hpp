// Templates are declared in the public headers and defined in lib/src; each .cpp instantiates
// its definitions once per element type with this list.
#pragma once

#include <complex>

#define FFTCONV_FOR_EACH_SCALAR(X) X(float) X(double) X(std::complex<float>) X(std::complex<double>)
