// Arrays of any rank for the tool: .npy files (any rank and dtype) and multi-page TIFF stacks read
// as one volume (pages along the first axis). Opened from their headers, so the work is sized
// before any data is read; read into fftconv arrays; written as .npy (lossless, any rank) or,
// for ranks 2 and 3, as an image or a TIFF stack.
#pragma once

#include <complex>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "budget.hpp"
#include "cli.hpp"
#include "fftconv/array.hpp"
#include "image_io.hpp"
#include "jobs.hpp"
#include "npy.hpp"

namespace app {

/// An array input, opened and its header read, no data read yet.
struct VolumeFile {
    std::string name;  // as given ("-": standard input)
    std::string path;  // where it is read from
    bool npy = false;  // a .npy file; else an image file whose pages are the first axis
    npy::Header header;
    ImageFile image;
    fftconv::Extents shape;
    std::size_t file_bytes = 4;  // bytes per element in the file
    bool complex = false;        // complex data (.npy only)
    bool wide = false;           // values that need double precision: float64, complex128, 32- and 64-bit integers
};

/// Whether `name` is an .npy file (by its first bytes; "-" is read first, so standard input counts).
bool is_npy_input(const std::string& name);

/// Opens `name` as an array: an .npy file as it is; an image file as a rank-2 array (one page)
/// or, with several pages, a rank-3 volume of them (gray pages of one size; `gray` turns colour
/// pages gray).  @throws ProcessError  a file that is neither, or pages that do not stack.
VolumeFile open_volume(const std::string& name, bool gray);

/// The array's values in T (float, double or complex): .npy data converted as numpy's astype;
/// image pages as the tool reads images (float, gray with `gray`).
/// @throws ProcessError  as the readers; complex data read as real.
template <fftconv::Scalar T>
fftconv::Array<T> read_volume(const VolumeFile& file, bool gray);

/// Writes `a` to `path` ("-": standard output, in `options.format`): .npy as it is (any rank,
/// dtype from T); an image format for rank 2, or a TIFF stack for rank 3, through write_picture
/// (float kept float where the format allows, else scaled as the options say). Returns what
/// was written, for the tool's "wrote" line.
/// @throws UsageError  a rank or element type the format cannot hold (complex into an image,
///                     rank 4 into a TIFF); ProcessError  a failed write.
template <fftconv::Scalar T>
Written write_volume(const std::string& path, const fftconv::Array<T>& a, const WriteOptions& options);

/// The element type an array computes in: complex for complex data, double for data that needs
/// it (float64, 32- and 64-bit integers) or when asked, float otherwise.
fftconv::ElementType array_type(const VolumeFile& file, bool double_asked);

/// The bytes of one element of `type`.
double element_bytes(fftconv::ElementType type);

/// "(64, 128, 128) float32 .npy": an array input as the tool prints it (a shape as numpy prints
/// it, outermost first; images are width x height everywhere else).
std::string describe(const VolumeFile& file);

/// "(64, 128, 128)": a shape as numpy prints it.
std::string shape_text(const fftconv::Extents& shape);

/// What an array job is estimated to need before its data is read: its element type, output
/// shape and cost.
struct ArrayPlan {
    fftconv::ElementType type;
    fftconv::Extents out;
    Cost cost;
};

/// Runs an image-in, array-out subcommand on arrays (conv, blur, compare's input): for each job,
/// open the input, plan it from its header (`plan(file)` -> ArrayPlan), check the limits, read
/// it in the planned type, `compute(array, file)` (a generic callable: Array<T> in, Array<T>
/// out), and write the result as .npy, an image or a TIFF stack; one "wrote" line per file, one
/// error line per failure. Returns the exit status.
template <class Plan, class Compute>
int run_array_jobs(const Args& args, const std::vector<Job>& jobs, const std::string& command, Plan&& plan,
                   Compute&& compute) {
    const Limits limits = limits_of(args);
    const bool gray = args.has("gray");
    int failures = 0;
    for (const Job& job : jobs) {
        try {
            const VolumeFile file = open_volume(job.input, gray);
            const ArrayPlan p = plan(file);
            check_array_budget(command, job.input, describe(file), static_cast<double>(file.shape.size()), p.cost,
                               limits);
            const Written w = fftconv::visit_element_type(p.type, [&](auto tag) {
                using T = decltype(tag);
                const fftconv::Array<T> result = compute(read_volume<T>(file, gray), file);
                WriteOptions o;
                o.raw = args.has("raw");
                o.float_input = true;  // arrays are data: float into float formats, unscaled
                o.scaling_asked = args.has("scale");
                o.low = 0;
                o.high = 1;
                o.white = 1;
                o.scaling = scaling_of(args, Scaling::automatic);
                o.format = job.format;
                return write_volume<T>(job.output, result, o);
            });
            std::fprintf(info_stream(), "wrote %s (shape %s, %s)\n",
                         job.output == "-" ? "standard output" : job.output.c_str(), shape_text(p.out).c_str(),
                         w.mapping.c_str());
            for (const std::string& warning : w.warnings)
                std::fprintf(stderr, "fftconv %s: warning: %s: %s\n", command.c_str(), job.output.c_str(),
                             warning.c_str());
        } catch (const UsageError&) {
            throw;
        } catch (const std::exception& e) {
            ++failures;
            std::fprintf(stderr, "%s\n",
                         error_line(command, (jobs.size() > 1 ? job.input + ": " : "") + e.what()).c_str());
        }
    }
    flush_stdout();
    return failures ? 1 : 0;
}

}  // namespace app
