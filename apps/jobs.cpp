#include "jobs.hpp"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <opencv2/core.hpp>
#include <set>
#include <thread>

#include "npy.hpp"

namespace fs = std::filesystem;

namespace app {

std::vector<OptionSpec> output_options() {
    std::vector<OptionSpec> o = {
        {"raw", "",
         "write float samples unscaled (output must be .tif, .tiff, .exr, .pfm or .npy, which is always float)"},
        {"scale", "S",
         "8/16-bit outputs: keep (the input's range, clipped), signed (0 at mid-gray), stretch (0..max), "
         "or auto (by the data); the default suits the command. A float input written to .tif/.exr/.pfm "
         "stays float unless --scale is given"},
        {"gray", "", "convert colour input to gray first (0.299 R + 0.587 G + 0.114 B, as cv::cvtColor)"},
        {"page", "N", "process only page N (1 = the first) of a multi-page TIFF; default: every page"},
        {"outdir", "DIR",
         "process several inputs: IN... --outdir DIR writes DIR/<input name> (DIR is created if missing); a file "
         "that fails is reported and the others are still processed (exit status 1)"},
        {"ext", "EXT", "with --outdir or OUT '-': the outputs' format (default: each input's own; PNG for '-')"},
        threads_option(),
    };
    for (const OptionSpec& l : limit_options()) o.push_back(l);
    return o;
}

std::vector<Job> jobs_of(const Args& args, std::size_t extra, const std::string& synopsis,
                         std::vector<std::string>& extra_args) {
    const auto& p = args.positional();
    std::vector<Job> jobs;
    const auto dotted = [](const std::string& ext) {
        return lower_extension("x" + (ext.starts_with(".") ? ext : "." + ext));
    };
    if (args.has("outdir")) {
        if (p.size() < 1 + extra) throw UsageError("expected " + synopsis + " with --outdir: at least one input");
        const fs::path dir = args.text("outdir");
        extra_args.assign(p.end() - static_cast<std::ptrdiff_t>(extra), p.end());
        std::set<std::string> seen;
        for (std::size_t i = 0; i + extra < p.size(); ++i) {
            if (p[i] == "-") throw UsageError("standard input ('-') needs an OUT of its own, not --outdir");
            fs::path name = fs::path(p[i]).filename();
            if (args.has("ext")) name.replace_extension(dotted(args.text("ext")));
            const std::string out = (dir / name).string();
            if (!seen.insert(out).second) throw UsageError("two inputs would both be written to '" + out + "'");
            jobs.push_back({p[i], out, ""});
        }
        std::error_code ec;
        if (fs::exists(dir, ec) && !fs::is_directory(dir, ec))
            throw UsageError("--outdir '" + dir.string() + "' exists and is not a directory");
        if (!fs::exists(dir, ec) && !fs::create_directories(dir, ec))
            throw UsageError("--outdir '" + dir.string() + "' cannot be created (" + ec.message() + ")");
    } else {
        args.expect_positional(2 + extra, 2 + extra, synopsis);
        if (args.has("ext") && p.back() != "-") throw UsageError("--ext goes with --outdir or OUT '-'");
        extra_args.assign(p.begin() + 1, p.end() - 1);
        jobs.push_back({p.front(), p.back(), ""});
    }
    std::vector<std::string> inputs;
    for (const Job& j : jobs) inputs.push_back(j.input);
    inputs.insert(inputs.end(), extra_args.begin(), extra_args.end());
    if (std::count(inputs.begin(), inputs.end(), "-") > 1)
        throw UsageError("standard input ('-') can be read only once");
    for (Job& j : jobs) {
        if (j.output == "-") {
            const std::string own = j.input == "-" ? "" : lower_extension(j.input);
            j.format = args.has("ext") ? dotted(args.text("ext")) : own.empty() ? ".png" : own;
        } else {
            j.format = lower_extension(j.output);
        }
        check_output(j.output, inputs, args.has("raw"), j.output == "-" ? j.format : "");
        if (args.has("scale") && float_only_format(j.format))
            throw UsageError("--scale maps results to 8 or 16 bits, and '" + j.format +
                             "' files hold float samples only (written unscaled)");
    }
    return jobs;
}

Planes map_planes(const Planes& planes, int threads,
                  const std::function<fftconv::Image<float>(const fftconv::Image<float>&)>& f) {
    Planes out(planes.size());
    std::atomic<std::size_t> next{0};
    std::exception_ptr failure;
    std::mutex m;
    const auto work = [&] {
        for (std::size_t k; (k = next++) < planes.size();) {
            try {
                out[k] = f(planes[k]);
            } catch (...) {
                std::scoped_lock lock(m);
                if (!failure) failure = std::current_exception();
            }
        }
    };
    std::vector<std::thread> pool;
    for (int t = 1; t < std::min<int>(threads, static_cast<int>(planes.size())); ++t) pool.emplace_back(work);
    work();
    for (auto& t : pool) t.join();
    if (failure) std::rethrow_exception(failure);
    return out;
}

namespace {

// What a local filter gives for one strip: `rows` result rows from `first_row` on, row r of
// result channel k at channels[k] + r * cols. Called from several threads at once (distinct rows).
using StripSink = std::function<void(int first_row, int rows, int cols, const std::vector<const float*>& channels)>;

// A local filter's results for a decoded integer image, strip by strip: each strip's rows (and
// `reach` rows of context on each side, clipped at the image's edges) converted to float and
// filtered, and the strip's own output rows handed to `sink`. Context rows are real image rows,
// so the kept outputs equal the whole image's; the filter's border applies where a strip meets
// the image's edge, as it would. The whole input is never held in float, only one strip per
// thread. The results are the colour channels, or one gray channel.
//
// `overwrites`: the sink writes each strip's results over the same rows of `m`. A strip reads
// its neighbours' rows as context, and they may be written first (threads take strips in any
// order), so the rows within `reach` of each strip boundary are copied before any strip starts
// (at most a quarter of the image: strips are at least 8 times the context) and read from there.
void filter_in_strips(const cv::Mat& m, bool gray, int reach, int threads,
                      const std::function<fftconv::Image<float>(const fftconv::Image<float>&)>& filter, bool overwrites,
                      const StripSink& sink) {
    const int cn = m.channels(), rows = m.rows, cols = m.cols;
    const int colours = colour_count(cn);
    const bool to_gray = gray && colours == 3;
    const int results = to_gray ? 1 : colours;
    // Outputs per strip: at least 8 times the context, so that recomputed rows stay under a quarter.
    const int step = std::max(64, 8 * reach);
    const int strips = (rows + step - 1) / step;
    // Boundary b (1 <= b < strips) at row b * step keeps rows [b * step - reach, b * step + reach).
    cv::Mat halo;
    if (overwrites && reach > 0 && strips > 1) {
        halo.create((strips - 1) * 2 * reach, cols, m.type());
        for (int b = 1; b < strips; ++b)
            for (int r = b * step - reach; r < std::min(rows, b * step + reach); ++r)
                m.row(r).copyTo(halo.row((b - 1) * 2 * reach + r - (b * step - reach)));
    }
    std::atomic<int> next{0};
    std::exception_ptr failure;
    std::mutex mutex;
    const auto work = [&] {
        cv::Mat line;
        std::vector<fftconv::Image<float>> strip, strip_results(static_cast<std::size_t>(results));
        for (int s; (s = next++) < strips;) {
            try {
                const int r0 = s * step, r1 = std::min(rows, r0 + step);
                const int lo = std::max(0, r0 - reach), hi = std::min(rows, r1 + reach);
                const auto source_row = [&](int r) {
                    if (halo.empty() || (r >= r0 && r < r1)) return m.row(r);
                    const int b = r < r0 ? s : s + 1;  // the boundary the context row lies at
                    return halo.row((b - 1) * 2 * reach + r - (b * step - reach));
                };
                // Kept from the thread's last strip when of the same height (all but the
                // first and last): freeing and reallocating them around the small blocks
                // allocated meanwhile leaves holes that grow the heap.
                if (strip.empty() || strip.front().rows() != hi - lo) {
                    strip.clear();
                    for (int k = 0; k < results; ++k) strip.emplace_back(hi - lo, cols);
                }
                for (int r = lo; r < hi; ++r) {
                    source_row(r).convertTo(line, CV_32F);
                    const float* src = line.ptr<float>();
                    const std::ptrdiff_t at = static_cast<std::ptrdiff_t>(r - lo) * cols;
                    if (to_gray) {  // as gray_of
                        float* dst = strip[0].data() + at;
                        for (int c = 0; c < cols; ++c)
                            dst[c] = gray_value(src[c * cn], src[c * cn + 1], src[c * cn + 2]);
                    } else {
                        for (int k = 0; k < results; ++k) {
                            float* dst = strip[static_cast<std::size_t>(k)].data() + at;
                            for (int c = 0; c < cols; ++c) dst[c] = src[c * cn + k];
                        }
                    }
                }
                std::vector<const float*> kept;
                for (std::size_t k = 0; k < strip_results.size(); ++k) {
                    strip_results[k] = filter(strip[k]);
                    kept.push_back(strip_results[k].data() + static_cast<std::ptrdiff_t>(r0 - lo) * cols);
                }
                sink(r0, r1 - r0, cols, kept);
            } catch (...) {
                std::scoped_lock lock(mutex);
                if (!failure) failure = std::current_exception();
            }
        }
    };
    std::vector<std::thread> pool;
    for (int t = 1; t < std::min(threads, strips); ++t) pool.emplace_back(work);
    work();
    for (auto& t : pool) t.join();
    if (failure) std::rethrow_exception(failure);
}

// The alpha channel of a decoded image with one (2 or 4 channels), as a float plane.
fftconv::Image<float> alpha_plane(const cv::Mat& m) {
    const int cn = m.channels();
    fftconv::Image<float> a(m.rows, m.cols);
    cv::Mat line;
    for (int r = 0; r < m.rows; ++r) {
        m.row(r).convertTo(line, CV_32F);
        const float* src = line.ptr<float>();
        for (int c = 0; c < m.cols; ++c) a(r, c) = src[c * cn + cn - 1];
    }
    return a;
}

// One page of a local filter (Work::reach) on a decoded integer image, in strips. Into one
// 8/16-bit page when the write maps to integers and the page is the file's only one: in one pass
// when the mapping is known before the results (keep), else in two passes (the first counts the
// results, the second maps them) when computing the results twice costs less than holding them
// (`filter_seconds` against the fresh pages they would take); otherwise into result planes.
// An 8/16-bit page of the input's own depth and channels (no alpha, no gray conversion) is
// written over `m`, which the caller no longer needs: no second image of fresh pages.
OutputPage strip_page(cv::Mat& m, const Work& work, bool gray, int threads, const std::string& output,
                      const WriteOptions& options, bool only_page, double filter_seconds) {
    const int colours = colour_count(m.channels());
    const int results = gray && colours == 3 ? 1 : colours;
    std::mutex mutex;
    bool overwrites = false;
    OutputPage page;
    const auto count_into = [&](SampleCounts& total) {
        return [&](int, int rows, int cols, const std::vector<const float*>& channels) {
            SampleCounts counts;
            for (const float* c : channels)
                counts.add(c, static_cast<std::size_t>(rows) * static_cast<std::size_t>(cols), options.low,
                           options.high);
            std::scoped_lock lock(mutex);
            total += counts;
        };
    };
    const auto map_with = [&](const SampleMap& map, bool count) -> StripSink {
        overwrites = results == m.channels() && map.depth == m.depth();
        if (overwrites)
            page.mapped = m;
        else
            page.mapped.create(m.rows, m.cols, CV_MAKETYPE(map.depth, results));
        return [&, map, count](int first, int rows, int cols, const std::vector<const float*>& channels) {
            map.map_rows(channels, rows, cols, page.mapped.rowRange(first, first + rows));
            if (count) count_into(page.counts)(first, rows, cols, channels);
        };
    };
    std::optional<SampleMap> map;
    if (only_page) {
        WriteOptions known = options;
        if (known.scaling == Scaling::automatic && work.within_range) known.scaling = Scaling::keep;
        if (known.scaling == Scaling::keep) {
            map = sample_map(output, known, {});  // keep's map does not depend on the counts
            if (map) {
                const StripSink sink = map_with(*map, true);
                filter_in_strips(m, gray, *work.reach, threads, work.filter, overwrites, sink);
            }
        } else if (sample_map(output, options, {})) {
            const double fault_seconds =
                static_cast<double>(m.rows) * m.cols * results * sizeof(float) / (1 << 20) * 4.5e-3;
            if (filter_seconds < fault_seconds) {
                SampleCounts counts;
                filter_in_strips(m, gray, *work.reach, threads, work.filter, false, count_into(counts));
                map = sample_map(output, options, counts);
                const StripSink sink = map_with(*map, false);
                filter_in_strips(m, gray, *work.reach, threads, work.filter, overwrites, sink);
                page.counts = counts;
            }
        }
    }
    if (!map) {
        Planes out;
        for (int k = 0; k < results; ++k) out.emplace_back(m.rows, m.cols);
        const StripSink into_planes = [&](int first, int rows, int cols, const std::vector<const float*>& channels) {
            for (std::size_t k = 0; k < channels.size(); ++k)
                std::copy(channels[k], channels[k] + static_cast<std::ptrdiff_t>(rows) * cols,
                          out[k].data() + static_cast<std::ptrdiff_t>(first) * cols);
        };
        filter_in_strips(m, gray, *work.reach, threads, work.filter, false, into_planes);
        page.planes = std::move(out);
    }
    return page;
}

}  // namespace

Scaling scaling_of(const Args& args, Scaling fallback) {
    return args.choice<Scaling>("scale",
                                {{"auto", Scaling::automatic},
                                 {"keep", Scaling::keep},
                                 {"signed", Scaling::signed_around_zero},
                                 {"stretch", Scaling::stretch}},
                                fallback);
}

Picture with_gray(Picture p, bool gray) {
    if (gray && p.channels() == 3) p.planes = {gray_of(p)};
    return p;
}

namespace {

// The pages of `file` this run processes: every page, or the one --page names.
// @throws UsageError  for a page the file does not have, ProcessError for several pages going
//                     to a format that holds one.
std::vector<std::size_t> pages_to_process(const Args& args, const ImageFile& file, const std::string& output,
                                          const std::string& format) {
    const std::size_t count = file.pages();
    if (args.has("page")) {
        const long page = args.integer("page", 1, 1, 1000000);
        if (static_cast<std::size_t>(page) > count)
            throw ProcessError(display_name(file.name) + " has " + std::to_string(count) + " page" +
                               (count == 1 ? "" : "s") + ", not a page " + std::to_string(page));
        return {static_cast<std::size_t>(page - 1)};
    }
    const bool multi_page_output = format == ".tif" || format == ".tiff";
    if (count > 1 && !multi_page_output)
        throw ProcessError(display_name(file.name) + " has " + std::to_string(count) + " pages and " +
                           (output == "-" ? std::string("standard output") : "'" + output + "'") + " (" + format +
                           ") holds one: write a .tif to keep every page, or pick one with --page N");
    std::vector<std::size_t> all(count);
    for (std::size_t i = 0; i < count; ++i) all[i] = i;
    return all;
}

}  // namespace

Written write_result(const std::string& path, const std::vector<OutputPage>& pages, const WriteOptions& options) {
    const std::string ext = !options.format.empty() ? options.format : path == "-" ? "" : lower_extension(path);
    if (ext != ".npy" || pages.empty()) return write_picture(path, pages, options);
    const OutputPage& first = pages.front();
    const std::size_t colours = first.planes.size();
    const std::size_t channels = colours + (first.alpha ? 1 : 0);
    const std::int64_t rows = first.planes.front().rows(), cols = first.planes.front().cols();
    std::vector<std::int64_t> shape;
    if (pages.size() > 1) shape.push_back(static_cast<std::int64_t>(pages.size()));
    shape.insert(shape.end(), {rows, cols});
    if (channels > 1) shape.push_back(static_cast<std::int64_t>(channels));
    for (const OutputPage& page : pages)
        if (page.planes.size() != colours || page.alpha.has_value() != first.alpha.has_value() ||
            page.planes.front().shape() != first.planes.front().shape())
            throw ProcessError("cannot write " + (path == "-" ? std::string("standard output") : "'" + path + "'") +
                               ": the pages differ in size or channels (" + size_text(first.planes.front().shape()) +
                               " and " + size_text(page.planes.front().shape()) +
                               "), and one .npy array holds pages of one shape; --page N writes one");
    // Interleaved, as numpy holds an image; the planes come in the file's order (B, G, R), and
    // an array's colour is R, G, B as the file formats store it. Alpha as in a float file: 0..1.
    std::vector<float> data;
    data.reserve(pages.size() * static_cast<std::size_t>(rows * cols) * channels);
    std::size_t nonfinite = 0;
    for (const OutputPage& page : pages)
        for (std::int64_t r = 0; r < rows; ++r)
            for (std::int64_t c = 0; c < cols; ++c) {
                for (std::size_t k = 0; k < colours; ++k) {
                    const float v = page.planes[colours - 1 - k](r, c);
                    nonfinite += !std::isfinite(v);
                    data.push_back(v);
                }
                if (page.alpha) data.push_back(static_cast<float>((*page.alpha)(r, c) / options.white));
            }
    npy::write<float>(path, shape, data.data());
    Written w{"float32 .npy, values unscaled", {}};
    if (nonfinite)
        w.warnings.push_back(std::to_string(nonfinite) + " non-finite value" + (nonfinite == 1 ? "" : "s") +
                             " written as they are");
    return w;
}

int run_jobs(const Args& args, const std::vector<Job>& jobs, const Work& work) {
    const Scaling scaling = scaling_of(args, work.scaling);
    const Limits limits = limits_of(args);
    const bool gray = args.has("gray");
    const int threads = threads_of(args);
    const bool progress = jobs.size() > 1 && isatty(STDERR_FILENO);
    // Several files: one per thread; one file: its channels share the threads.
    const int file_threads = std::min<int>(threads, static_cast<int>(jobs.size()));
    const int plane_threads = jobs.size() == 1 ? threads : 1;
    std::atomic<std::size_t> next{0}, done{0};
    std::atomic<int> failures{0};
    const std::string& command = args.spec().name;
    const auto worker = [&] {
        for (std::size_t i; (i = next++) < jobs.size();) {
            const Job& job = jobs[i];
            std::string line;
            std::vector<std::string> warnings;
            bool ok = true;
            try {
                const ImageFile file = open_image(job.input);
                const std::vector<std::size_t> pages = pages_to_process(args, file, job.output, job.format);
                // Per page, the filter's own seconds by the cost model (the pipeline's left out),
                // for the strips' choice of passes; unknown without a header.
                std::vector<double> filter_seconds(pages.size(), INFINITY);
                if (file.header) {
                    std::vector<PageHeader> headers;
                    Cost total;
                    for (std::size_t i = 0; i < pages.size(); ++i) {
                        PageHeader h = file.header->pages[pages[i]];
                        if (gray && h.channels >= 3) h.channels = h.channels == 4 ? 2 : 1;
                        headers.push_back(h);
                        const Cost c = work.cost(h);
                        filter_seconds[i] = c.seconds - pipeline_seconds(h, static_cast<double>(h.pixels()));
                        total.bytes = std::max(total.bytes, c.bytes);
                        total.seconds += c.seconds;
                        total.what = c.what;
                    }
                    check_budget(command, job.input, headers, total, limits);
                }
                std::vector<OutputPage> results;
                WriteOptions options{args.has("raw"), false,   args.has("scale"), INFINITY, -INFINITY, 255,
                                     false,           scaling, job.format};
                std::string size;
                bool narrowed = false;  // 64-bit float or 32-bit integer samples, computed in float
                for (std::size_t i = 0; i < pages.size(); ++i) {
                    const std::size_t page = pages[i];
                    Decoded decoded = decode_page(file, page);

                    const fftconv::Shape in_shape{decoded.mat.rows, decoded.mat.cols};
                    const bool strips = work.reach && !decoded.picture.is_float();
                    Picture in = strips ? std::move(decoded.picture) : with_gray(to_picture(std::move(decoded)), gray);
                    options.float_input = in.is_float();
                    options.low = std::min(options.low, in.low);
                    options.high = std::max(options.high, in.high);
                    options.white = in.white;
                    options.sixteen_bit = in.depth == CV_16U;
                    OutputPage out;
                    if (strips) {
                        out = strip_page(decoded.mat, work, gray, plane_threads, job.output, options, pages.size() == 1,
                                         filter_seconds[i]);
                        if (work.keeps_alpha && colour_count(decoded.mat.channels()) != decoded.mat.channels())
                            in.alpha = alpha_plane(decoded.mat);
                    } else {
                        out.planes = work.process(in, plane_threads);
                    }
                    narrowed = narrowed || in.depth == CV_64F || in.depth == CV_32S;
                    const fftconv::Shape out_shape = out.mapped.empty()
                                                         ? out.planes.front().shape()
                                                         : fftconv::Shape{out.mapped.rows, out.mapped.cols};
                    if (in.alpha && work.keeps_alpha && out_shape == in_shape) out.alpha = in.alpha;
                    size = size_text(out_shape);
                    results.push_back(std::move(out));
                }
                const Written w = write_result(job.output, results, options);
                warnings = w.warnings;
                if (narrowed)
                    warnings.push_back(
                        "the input's 64-bit float or 32-bit integer samples were computed in 32-bit "
                        "float (about 7 significant digits)");
                const std::string shown = job.output == "-" ? "standard output" : job.output;
                line = "wrote " + shown + " (" +
                       (results.size() > 1 ? std::to_string(results.size()) + " pages of " : "") + size +
                       (results.front().alpha ? " with alpha" : "") + ", " + w.mapping + ")";
            } catch (const std::exception& e) {
                ok = false;
                // In a batch, say which file failed unless the message already does.
                const auto* cv_error = dynamic_cast<const cv::Exception*>(&e);
                const std::string what = dynamic_cast<const std::bad_alloc*>(&e) ? std::string("out of memory")
                                         : cv_error                              ? "OpenCV: " + cv_error->err
                                                                                 : std::string(e.what());
                const bool named = what.find(job.input) != std::string::npos ||
                                   (job.input == "-" && what.find("standard input") != std::string::npos);
                line = error_line(command, (jobs.size() > 1 && !named ? job.input + ": " : "") + what);
            }
            std::scoped_lock lock(console_mutex());
            if (progress) std::fprintf(stderr, "\r\033[K");
            std::fprintf(ok ? info_stream() : stderr, "%s\n", line.c_str());
            for (const std::string& w : warnings)
                std::fprintf(stderr, "fftconv %s: warning: %s: %s\n", command.c_str(),
                             job.output == "-" ? "standard output" : job.output.c_str(), w.c_str());
            flush_stdout();
            if (!ok) ++failures;
            if (progress) std::fprintf(stderr, "[%zu/%zu] %s", ++done, jobs.size(), job.input.c_str());
        }
    };
    std::vector<std::thread> pool;
    for (int t = 1; t < file_threads; ++t) pool.emplace_back(worker);
    worker();
    for (auto& t : pool) t.join();
    if (progress) std::fprintf(stderr, "\r\033[K");
    return failures > 0 ? 1 : 0;
}

Work per_plane(Scaling scaling, bool keeps_alpha, std::function<Cost(const PageHeader&)> cost,
               std::function<fftconv::Image<float>(const fftconv::Image<float>&)> filter, std::optional<int> reach) {
    Work w;
    w.scaling = scaling;
    w.keeps_alpha = keeps_alpha;
    w.cost = std::move(cost);
    w.process = [filter](const Picture& in, int threads) { return map_planes(in.planes, threads, filter); };
    w.reach = reach;
    w.filter = std::move(filter);
    return w;
}

}  // namespace app
