#include "fftconv/types.hpp"

namespace fftconv {

const char* to_string(Mode mode) {
    switch (mode) {
        case Mode::full: return "full";
        case Mode::same: return "same";
        case Mode::valid: return "valid";
    }
    return "(invalid Mode)";
}

const char* to_string(Method method) {
    switch (method) {
        case Method::automatic: return "automatic";
        case Method::direct: return "direct";
        case Method::fft: return "fft";
    }
    return "(invalid Method)";
}

const char* to_string(ElementType type) {
    switch (type) {
        case ElementType::float32: return "float32";
        case ElementType::float64: return "float64";
        case ElementType::complex64: return "complex64";
        case ElementType::complex128: return "complex128";
    }
    return "(invalid ElementType)";
}

std::string to_string(Shape shape) {
    return std::to_string(shape.rows) + "x" + std::to_string(shape.cols);
}

const char* to_string(Border border) {
    switch (border) {
        case Border::constant: return "constant";
        case Border::replicate: return "replicate";
        case Border::reflect: return "reflect";
        case Border::reflect101: return "reflect101";
        case Border::wrap: return "wrap";
    }
    return "?";
}

}  // namespace fftconv
