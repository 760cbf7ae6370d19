// fuzz_npy: the fftconv tool's .npy layer (apps/npy.cpp) on arbitrary file contents. The input's
// bytes become a file; app::npy::is_npy must agree with its first six bytes, and
// app::npy::read_header must either throw app::ProcessError or return a header that keeps its
// promises (a known version, at most 64 dimensions, none negative, data_bytes the shape's product
// times the item size, ending exactly at the end of the file). From such a header the data must
// read without an exception (only complex data read as real is refused, and must be), as
// complex<double> and double that agree with each other, and must survive write and a second
// read bit for bit. Anything else, a crash, a sanitizer report or a hang is a finding.
//
// The seed corpus (tests/fuzz/corpus/fuzz_npy) holds files numpy wrote (float64; float32
// big-endian in Fortran order; complex64 of rank 0; complex128 big-endian; bool; float16 with
// Inf, NaN and a subnormal; an empty int64 array; uint16 of rank 4; versions 2.0 and 3.0), a
// header written by hand (double quotes, spaces, no padding), and files refused (a structured and
// an object dtype, a truncated file, unbalanced brackets): 76 to 285 bytes each.
#include <unistd.h>

#include <cmath>
#include <complex>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>
#include <span>
#include <string>
#include <system_error>
#include <vector>

#include "../../apps/cli.hpp"
#include "../../apps/npy.hpp"

namespace {

namespace npy = app::npy;

// A scratch directory for the file each input becomes and the file written back; removed at exit.
struct Scratch {
    std::string dir;
    std::string input;
    std::string output;
    ~Scratch() {
        std::error_code ec;
        if (!dir.empty()) std::filesystem::remove_all(dir, ec);
    }
};
Scratch scratch;

[[noreturn]] void fail(const std::string& what) {
    std::fprintf(stderr, "fuzz_npy: %s (the input is the crash file libFuzzer writes)\n", what.c_str());
    std::fflush(stderr);
    std::abort();
}

void check_header(const npy::Header& h, std::size_t file_size) {
    if (h.version < 1 || h.version > 3) fail("read_header returned version " + std::to_string(h.version));
    if (h.shape.size() > npy::max_rank) fail("read_header returned " + std::to_string(h.shape.size()) + " dimensions");
    for (const std::int64_t d : h.shape)
        if (d < 0) fail("read_header returned the shape " + npy::shape_text(h.shape));
    if (h.elements() * npy::item_size(h.dtype) != h.data_bytes)
        fail("read_header's data_bytes " + std::to_string(h.data_bytes) + " is not the size of the shape " +
             npy::shape_text(h.shape) + " of " + std::string(npy::dtype_name(h.dtype)));
    if (h.data_offset + h.data_bytes != file_size || h.data_offset < 10)
        fail("read_header's data (" + std::to_string(h.data_offset) + " + " + std::to_string(h.data_bytes) +
             " bytes) is not the end of the " + std::to_string(file_size) + "-byte file");
}

template <class T>
bool same_bits(const std::vector<T>& a, const std::vector<T>& b) {
    return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(T)) == 0);
}

// Written and read back, the values and shape are the same, bit for bit.
template <class T>
void check_round_trip(const npy::Header& h, const std::vector<T>& values) {
    npy::write(scratch.output, h.shape, values.data());
    const npy::Header again = npy::read_header(scratch.output);
    if (again.shape != h.shape || again.dtype != npy::dtype_of<T>() || again.fortran_order || again.data_offset % 64)
        fail("write then read_header gave shape " + npy::shape_text(again.shape) + " of " +
             std::string(npy::dtype_name(again.dtype)) + " at offset " + std::to_string(again.data_offset) + ", not " +
             npy::shape_text(h.shape));
    if (!same_bits(npy::read_data<T>(scratch.output, again), values))
        fail("write then read_data changed the values of shape " + npy::shape_text(h.shape));
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    const char* tmp = std::getenv("TMPDIR");
    std::string pattern = std::string(tmp && *tmp ? tmp : "/tmp") + "/fftconv-fuzz-npy-XXXXXX";
    if (!::mkdtemp(pattern.data())) {
        std::perror("fuzz_npy: mkdtemp");
        std::exit(1);
    }
    scratch.dir = pattern;
    scratch.input = pattern + "/input.npy";
    scratch.output = pattern + "/output.npy";
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    {
        std::ofstream out(scratch.input, std::ios::binary | std::ios::trunc);
        out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
        if (!out) fail("cannot write " + scratch.input);
    }
    const bool magic = size >= 6 && std::memcmp(data, "\x93NUMPY", 6) == 0;
    if (npy::is_npy(scratch.input) != magic || npy::is_npy(std::span<const unsigned char>(data, size)) != magic)
        fail("is_npy disagrees with the file's first six bytes");

    npy::Header h;
    try {
        h = npy::read_header(scratch.input);
    } catch (const app::ProcessError& e) {
        if (std::string(e.what()).find('\n') != std::string::npos)
            fail(std::string("a message of several lines: ") + e.what());
        return 0;
    } catch (const std::exception& e) {
        fail(std::string("read_header threw an exception it does not document: ") + e.what());
    }
    if (!magic) fail("read_header accepted a file without the magic");
    check_header(h, size);

    try {
        const std::vector<std::complex<double>> c = npy::read_data<std::complex<double>>(scratch.input, h);
        if (c.size() != h.elements()) fail("read_data returned " + std::to_string(c.size()) + " elements");
        if (npy::is_complex(h.dtype)) {
            check_round_trip(h, c);
        } else {
            const std::vector<float> f = npy::read_data<float>(scratch.input, h);
            if (f.size() != c.size()) fail("read_data<float> returned " + std::to_string(f.size()) + " elements");
            // The same conversion into double and into complex<double>'s real part.
            const std::vector<double> d = npy::read_data<double>(scratch.input, h);
            std::vector<double> real(c.size());
            for (std::size_t i = 0; i < c.size(); ++i) {
                real[i] = c[i].real();
                if (c[i].imag() != 0 || std::signbit(c[i].imag())) fail("real data read with an imaginary part");
            }
            if (!same_bits(d, real)) fail("read_data<double> and read_data<complex<double>> disagree");
            check_round_trip(h, d);
        }
    } catch (const std::exception& e) {
        fail(std::string("reading the data of a header read_header accepted threw: ") + e.what());
    }
    // Complex data read as real would lose the imaginary part: refused.
    if (npy::is_complex(h.dtype)) {
        bool refused_float = false, refused_double = false;
        try {
            (void)npy::read_data<float>(scratch.input, h);
        } catch (const app::ProcessError&) {
            refused_float = true;
        }
        try {
            (void)npy::read_data<double>(scratch.input, h);
        } catch (const app::ProcessError&) {
            refused_double = true;
        }
        if (!refused_float || !refused_double) fail("complex data read as real without an error");
    }
    return 0;
}
