// Concurrency: 8 threads call convolve, correlate, match_template, the filters and Convolver::apply
// at once, on mixed shapes, element types and methods, and every result must have exactly the bits
// of the same call made alone. Meanwhile the process-wide plan cache (64 plans per precision)
// plans, shares and evicts, transforms never planned before in the process are planned by several
// threads at once, and one thread saves and loads FFTW wisdom. scripts/test.sh also runs this
// suite under ThreadSanitizer.
#include <doctest/doctest.h>

#include <algorithm>
#include <complex>
#include <cstddef>
#include <cstring>
#include <exception>
#include <filesystem>
#include <functional>
#include <memory>
#include <random>
#include <span>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "fftconv/fftconv.hpp"
#include "fftw.hpp"  // white-box: get_plan, to see the cache evict a plan
#include "reference.hpp"
#include "transform_size.hpp"  // white-box: best_fast_length, to pick transform lengths

using namespace fftconv;
using cf = std::complex<float>;
using cd = std::complex<double>;

namespace {

// The settings now, with planner effort `e`: what a call asking for that effort runs with.
detail::Context effort_context(PlannerEffort e) {
    detail::Context c = detail::Context::current();
    c.effort = e;
    return c;
}

constexpr int worker_count = 8;

// A result's shape and every byte of its elements: equal Bits means a bit-identical result.
using Bits = std::vector<unsigned char>;

template <class T>
Bits bits_of(const T* data, std::ptrdiff_t rows, std::ptrdiff_t cols) {
    const auto bytes = static_cast<std::size_t>(rows * cols) * sizeof(T);
    Bits out(2 * sizeof(std::ptrdiff_t) + bytes);
    std::memcpy(out.data(), &rows, sizeof rows);
    std::memcpy(out.data() + sizeof rows, &cols, sizeof cols);
    if (bytes) std::memcpy(out.data() + 2 * sizeof rows, data, bytes);
    return out;
}
template <class T>
Bits bits(const Image<T>& image) {
    return bits_of(image.data(), image.rows(), image.cols());
}
template <class T>
Bits bits(const std::vector<T>& signal) {
    return bits_of(signal.data(), 1, static_cast<std::ptrdiff_t>(signal.size()));
}
void append(Bits& to, const Bits& more) {
    to.insert(to.end(), more.begin(), more.end());
}

std::string difference(const Bits& got, const Bits& want) {
    if (got.size() != want.size())
        return std::to_string(got.size()) + " bytes against the serial call's " + std::to_string(want.size());
    const auto at = std::mismatch(got.begin(), got.end(), want.begin()).first - got.begin();
    return "first differing byte " + std::to_string(at) + " of " + std::to_string(got.size());
}

// One library call on inputs of its own. `run` only reads what it captured, so any number of
// threads may call it at once.
struct Job {
    std::string name;
    std::function<Bits()> run;
};

template <Scalar T>
std::string label(const std::string& what, Shape a, Shape b, const std::string& rest) {
    return what + "<" + ref::type_name<T>() + "> " + to_string(a) + " by " + to_string(b) + " " + rest;
}

// convolve or correlate; 1xN operands go through the 1D (span) overloads. `transposed` passes
// a's transpose, a view with swapped strides.
template <Scalar T>
Job one_shot(Image<T> a, Image<T> b, Mode mode, Method method, bool corr, bool transposed = false) {
    std::string name =
        label<T>(corr ? "correlate" : "convolve", a.shape(), b.shape(),
                 std::string(to_string(mode)) + " " + to_string(method) + (transposed ? " transposed" : ""));
    return {std::move(name), [a = std::move(a), b = std::move(b), mode, method, corr, transposed] {
                if (a.rows() == 1 && b.rows() == 1 && !transposed) {
                    const std::span<const T> x = a.values(), h = b.values();
                    return bits(corr ? correlate<T>(x, h, mode, method) : convolve<T>(x, h, mode, method));
                }
                const ImageView<const T> x = transposed ? a.view().transposed() : a.view();
                return bits(corr ? correlate<T>(x, b.view(), mode, method) : convolve<T>(x, b.view(), mode, method));
            }};
}

// A Convolver built by the thread that runs the job, applied to each input in turn.
template <Scalar T>
Job convolver_job(Image<T> kernel, std::vector<Image<T>> inputs, Mode mode, Method method, bool corr) {
    std::string name = label<T>("Convolver", inputs.front().shape(), kernel.shape(),
                                std::string(to_string(mode)) + " " + to_string(method) + (corr ? " correlate" : ""));
    return {std::move(name), [kernel = std::move(kernel), inputs = std::move(inputs), mode, method, corr] {
                Convolver<T> plan(inputs.front().shape(), kernel.view(), mode, {.method = method, .correlate = corr});
                Bits all;
                for (const Image<T>& x : inputs) append(all, bits(plan.apply(x.view())));
                return all;
            }};
}

template <Real T>
Job match_job(Image<T> image, Image<T> templ, MatchMethod match, Method method) {
    std::string name = label<T>("match_template", image.shape(), templ.shape(),
                                std::string(to_string(match)) + " " + to_string(method));
    return {std::move(name), [image = std::move(image), templ = std::move(templ), match, method] {
                return bits(match_template<T>(image.view(), templ.view(), match, method));
            }};
}

// The 7-smooth m in [lo, hi], times 8: transform lengths that the FFT path uses as they are,
// for a full-mode call whose full length is one of them (with three factors of 2 no longer
// length is cheaper; checked below against best_fast_length).
std::vector<std::ptrdiff_t> exact_lengths(std::ptrdiff_t lo, std::ptrdiff_t hi) {
    std::vector<std::ptrdiff_t> out;
    for (std::ptrdiff_t m = lo; m <= hi; ++m) {
        std::ptrdiff_t r = m;
        for (std::ptrdiff_t p : {2, 3, 5, 7})
            while (r % p == 0) r /= p;
        if (r == 1) out.push_back(8 * m);
    }
    for (std::ptrdiff_t n : out) {
        REQUIRE(detail::best_fast_length(n, true, PlannerEffort::estimate) == n);
        REQUIRE(detail::best_fast_length(n, false, PlannerEffort::estimate) == n);
    }
    return out;
}

// A 1D full-mode FFT call with full length n, so its transforms are exactly n points long: one
// operand a third of n, so that the call is one transform, not overlap-save blocks.
template <Scalar T>
Job length_job(std::ptrdiff_t n, bool corr, std::mt19937_64& rng) {
    const std::ptrdiff_t k = n / 3;
    return one_shot(ref::random_image<T>(1, n + 1 - k, rng), ref::random_image<T>(1, k, rng), Mode::full, Method::fft,
                    corr);
}

// A 2D full-mode FFT call whose transforms are rows x cols: row transforms of `cols` points and
// column transforms of `rows`.
template <Scalar T>
Job area_job(std::ptrdiff_t rows, std::ptrdiff_t cols, bool corr, std::mt19937_64& rng) {
    return one_shot(ref::random_image<T>(rows - 40, cols - 30, rng), ref::random_image<T>(41, 31, rng), Mode::full,
                    Method::fft, corr);
}

constexpr Method methods[] = {Method::fft, Method::direct, Method::automatic};

// Every element type: 1D and 2D calls in every mode, each method, convolve and correlate; long
// 1D calls (overlap-save, and transforms of 2^15 points or more, which set_threads gives FFTW's
// threads); Convolvers built inside the job.
template <Scalar T>
void add_mixed(std::vector<Job>& jobs, std::mt19937_64& rng) {
    for (int m = 0; m < 3; ++m) {
        const Mode mode = ref::all_modes[m];
        for (Method method : {Method::direct, Method::automatic})
            jobs.push_back(one_shot(ref::random_image<T>(1, 57, rng), ref::random_image<T>(1, 9 + 2 * m, rng), mode,
                                    method, m % 2 == 1));
    }
    const std::pair<Shape, Shape> shapes[] = {
        {{40, 52}, {7, 5}}, {{64, 33}, {11, 13}}, {{9, 70}, {9, 3}}, {{21, 18}, {25, 30}}};
    for (int i = 0; i < 4; ++i)
        for (int m = 0; m < 3; ++m) {
            const auto [a, b] = shapes[i];
            jobs.push_back(one_shot(ref::random_image<T>(a.rows, a.cols, rng),
                                    ref::random_image<T>(b.rows, b.cols, rng), ref::all_modes[m], methods[(i + m) % 3],
                                    (i + m) % 2 == 1));
        }
    jobs.push_back(one_shot(ref::random_image<T>(45, 38, rng), ref::random_image<T>(6, 9, rng), Mode::same, Method::fft,
                            true, true));
    // A long input and a short kernel: the cost model may cut it into overlap-save blocks.
    jobs.push_back(one_shot(ref::random_image<T>(1, 20000, rng), ref::random_image<T>(1, 31, rng), Mode::same,
                            Method::fft, false));
    // Transforms of 36000 points or more: FFTW's own threads under set_threads(2).
    jobs.push_back(one_shot(ref::random_image<T>(1, 30000, rng), ref::random_image<T>(1, 12000, rng), Mode::same,
                            Method::fft, is_complex_v<T>));
    const auto inputs = [&](Shape s) {
        return std::vector<Image<T>>{ref::random_image<T>(s.rows, s.cols, rng),
                                     ref::random_image<T>(s.rows, s.cols, rng)};
    };
    jobs.push_back(convolver_job(ref::random_image<T>(7, 7, rng), inputs({70, 60}), Mode::same, Method::fft, false));
    jobs.push_back(convolver_job(ref::random_image<T>(1, 120, rng), inputs({1, 900}), Mode::full, Method::fft, true));
    jobs.push_back(
        convolver_job(ref::random_image<T>(5, 6, rng), inputs({33, 47}), Mode::valid, Method::automatic, true));
}

// Template matching in several methods, and the filters (separable passes, 2D FFT, spectral).
template <Real T>
void add_images(std::vector<Job>& jobs, std::mt19937_64& rng) {
    const Image<T> image = ref::random_image<T>(96, 112, rng);
    Image<T> templ(14, 11);
    for (std::ptrdiff_t r = 0; r < templ.rows(); ++r)
        for (std::ptrdiff_t c = 0; c < templ.cols(); ++c)
            templ(r, c) = image(30 + r, 41 + c) + static_cast<T>(0.1) * ref::random_value<T>(rng);
    const MatchMethod matches[] = {MatchMethod::sqdiff,       MatchMethod::sqdiff_normed, MatchMethod::ccorr,
                                   MatchMethod::ccorr_normed, MatchMethod::ccoeff,        MatchMethod::ccoeff_normed};
    for (int i = 0; i < 6; ++i) jobs.push_back(match_job(image, templ, matches[i], methods[i % 3]));

    const Image<T> img = ref::random_image<T>(90, 104, rng);
    const std::string shape = " " + to_string(img.shape()) + " ";
    for (Method m : methods) {
        const std::string how = std::string(" ") + to_string(m);
        jobs.push_back({"gaussian_blur<" + ref::type_name<T>() + ">" + shape + "sigma 1.5 reflect" + how,
                        [img, m] { return bits(gaussian_blur<T>(img.view(), 1.5, Border::reflect, m)); }});
        jobs.push_back({"gaussian_blur<" + ref::type_name<T>() + ">" + shape + "sigma 3.2 constant" + how,
                        [img, m] { return bits(gaussian_blur<T>(img.view(), 3.2, Border::constant, m)); }});
        jobs.push_back({"sobel<" + ref::type_name<T>() + ">" + shape + "dx 1 ksize 3" + how,
                        [img, m] { return bits(sobel<T>(img.view(), 1, 0, 3, Border::reflect101, m)); }});
        jobs.push_back({"sobel<" + ref::type_name<T>() + ">" + shape + "dy 2 ksize 5 replicate" + how,
                        [img, m] { return bits(sobel<T>(img.view(), 0, 2, 5, Border::replicate, m)); }});
    }
    jobs.push_back({"sobel<" + ref::type_name<T>() + ">" + shape + "scharr dy 1",
                    [img] { return bits(sobel<T>(img.view(), 0, 1, -1)); }});
    const Image<T> kernel = ref::random_image<T>(6, 5, rng);
    for (Method m : {Method::fft, Method::automatic})
        jobs.push_back({"filter2d<" + ref::type_name<T>() + ">" + shape + "6x5 " + to_string(m),
                        [img, kernel, m] { return bits(filter2d<T>(img.view(), kernel.view(), Border::wrap, m)); }});
    jobs.push_back({"lowpass<" + ref::type_name<T>() + ">" + shape + "gaussian 0.2",
                    [img] { return bits(lowpass<T>(img.view(), 0.2, FilterShape::gaussian)); }});
    jobs.push_back({"highpass<" + ref::type_name<T>() + ">" + shape + "butterworth 0.3",
                    [img] { return bits(highpass<T>(img.view(), 0.3, FilterShape::butterworth, 3)); }});
}

// The calls every round makes, with their serial results taken before the threads start.
// First, FFT calls with 76 distinct transform lengths from 400 to 4096 points, each in both
// precisions (real in one, complex in the other): 152 plans per precision, more than twice what
// the cache holds, so the threads keep planning and evicting while others execute. No transform
// of these calls is 257-399 or 4097-5999 points long: those lengths are left to fresh_jobs.
std::vector<Job> known_jobs(std::mt19937_64& rng) {
    std::vector<Job> jobs;
    const std::vector<std::ptrdiff_t> lengths = exact_lengths(50, 512);
    REQUIRE(lengths.size() >= 64);  // 2 plans per length and precision: the cache must be outrun
    for (std::size_t i = 0; i < lengths.size(); ++i) {
        const bool corr = (i / 2) % 2 == 1;
        if (i % 2 == 0) {
            jobs.push_back(length_job<float>(lengths[i], corr, rng));
            jobs.push_back(length_job<cd>(lengths[i], corr, rng));
        } else {
            jobs.push_back(length_job<cf>(lengths[i], corr, rng));
            jobs.push_back(length_job<double>(lengths[i], corr, rng));
        }
    }
    add_mixed<float>(jobs, rng);
    add_mixed<double>(jobs, rng);
    add_mixed<cf>(jobs, rng);
    add_mixed<cd>(jobs, rng);
    add_images<float>(jobs, rng);
    add_images<double>(jobs, rng);
    // Interleaved, so that each thread moves between kinds of calls.
    std::shuffle(jobs.begin(), jobs.end(), rng);
    return jobs;
}

// Calls whose transform lengths no earlier call in the process has used: 1D lengths 8m for m in
// [m_lo, m_hi] and 2D transforms with sides from `sides`. They run first in the threads, several
// threads at once, and their serial results are taken afterwards.
std::vector<Job> fresh_jobs(std::ptrdiff_t m_lo, std::ptrdiff_t m_hi, const std::vector<std::ptrdiff_t>& sides,
                            std::mt19937_64& rng) {
    std::vector<Job> jobs;
    const std::vector<std::ptrdiff_t> lengths = exact_lengths(m_lo, m_hi);
    for (std::size_t i = 0; i < lengths.size(); ++i) {
        const bool corr = i % 3 == 1;
        switch (i % 4) {
            case 0: jobs.push_back(length_job<float>(lengths[i], corr, rng)); break;
            case 1: jobs.push_back(length_job<cd>(lengths[i], corr, rng)); break;
            case 2: jobs.push_back(length_job<double>(lengths[i], corr, rng)); break;
            default: jobs.push_back(length_job<cf>(lengths[i], corr, rng)); break;
        }
    }
    REQUIRE(sides.size() == 3);
    for (std::ptrdiff_t n : sides) REQUIRE(detail::best_fast_length(n, true, PlannerEffort::estimate) == n);
    jobs.push_back(area_job<float>(sides[0], sides[1], false, rng));
    jobs.push_back(area_job<cd>(sides[1], sides[2], true, rng));
    jobs.push_back(area_job<double>(sides[2], sides[0], false, rng));
    return jobs;
}

// Convolvers that the main thread builds and hands to one worker each (one Convolver object is
// for one thread at a time); every worker's set has the same shapes, so they share plans.
struct Owned {
    Convolver<float> two_d;
    Convolver<cd> one_d;
    Convolver<double> blocks;  // a long input: overlap-save
    Convolver<double> direct;
};

struct OwnedData {
    Image<float> k2d;
    std::vector<Image<float>> x2d;
    Image<cd> k1d;
    std::vector<Image<cd>> x1d;
    Image<double> kblocks;
    std::vector<Image<double>> xblocks;
    Image<double> kdirect;
    std::vector<Image<double>> xdirect;

    explicit OwnedData(std::mt19937_64& rng)
        : k2d(ref::random_image<float>(9, 9, rng)),
          k1d(ref::random_image<cd>(1, 700, rng)),
          kblocks(ref::random_image<double>(1, 31, rng)),
          kdirect(ref::random_image<double>(6, 7, rng)) {
        for (int i = 0; i < 2; ++i) {
            x2d.push_back(ref::random_image<float>(64, 80, rng));
            x1d.push_back(ref::random_image<cd>(1, 3000, rng));
            xblocks.push_back(ref::random_image<double>(1, 20000, rng));
            xdirect.push_back(ref::random_image<double>(48, 56, rng));
        }
    }

    Owned build() const {
        return {Convolver<float>(x2d[0].shape(), k2d.view(), Mode::same, {.method = Method::fft}),
                Convolver<cd>(x1d[0].shape(), k1d.view(), Mode::full, {.method = Method::fft}),
                Convolver<double>(xblocks[0].shape(), kblocks.view(), Mode::same, {.method = Method::fft}),
                Convolver<double>(xdirect[0].shape(), kdirect.view(), Mode::full,
                                  {.method = Method::direct, .correlate = true})};
    }

    Bits apply(Owned& o) const {
        Bits all;
        for (int i = 0; i < 2; ++i) {
            append(all, bits(o.two_d.apply(x2d[i].view())));
            append(all, bits(o.one_d.apply(x1d[i].view())));
            append(all, bits(o.blocks.apply(xblocks[i].view())));
            append(all, bits(o.direct.apply(xdirect[i].view())));
        }
        return all;
    }
};

// What a worker does, in order: every known job once, starting at its own place in the list, with
// fresh jobs (its share and a neighbour's, early on, so that they plan while the others execute),
// its own Convolvers now and then, and on worker 0 a wisdom save-and-load every 25 jobs.
enum class Step { known, fresh, owned, wisdom };
struct Action {
    Step step;
    std::size_t index;
};

std::vector<Action> schedule(int worker, std::size_t known, std::size_t fresh) {
    const auto w = static_cast<std::size_t>(worker);
    std::vector<std::size_t> mine;
    for (std::size_t f = w; f < fresh; f += worker_count) mine.push_back(f);
    if (fresh > 0) mine.push_back((w + 1) % fresh);
    std::vector<Action> actions;
    const std::size_t start = known * w / worker_count;
    for (std::size_t k = 0; k < known; ++k) {
        actions.push_back({Step::known, (start + k) % known});
        if (k % 4 == 1 && !mine.empty()) {
            actions.push_back({Step::fresh, mine.back()});
            mine.pop_back();
        }
        if (k % 40 == 20) actions.push_back({Step::owned, 0});
        if (worker == 0 && k % 25 == 10) actions.push_back({Step::wisdom, 0});
    }
    return actions;
}

struct Outcome {
    std::vector<std::string> failures;                // wrong bits or exceptions, by job name
    std::vector<std::pair<std::size_t, Bits>> fresh;  // checked once the serial results exist
    long calls = 0;
    int wisdom_round_trips = 0;
};

// One round: serial results, then the same calls from 8 threads at once, compared bit for bit.
void concurrent_round(int lib_threads, std::ptrdiff_t fresh_m_lo, std::ptrdiff_t fresh_m_hi,
                      const std::vector<std::ptrdiff_t>& fresh_sides) {
    set_threads(lib_threads);
    std::mt19937_64 rng(20240611);
    const std::vector<Job> known = known_jobs(rng);
    const std::vector<Job> fresh = fresh_jobs(fresh_m_lo, fresh_m_hi, fresh_sides, rng);
    const OwnedData owned_data(rng);

    std::vector<Bits> want;
    for (const Job& job : known) want.push_back(job.run());
    Bits owned_want;
    {
        Owned serial = owned_data.build();
        owned_want = owned_data.apply(serial);
    }
    std::vector<Owned> owned;
    for (int t = 0; t < worker_count; ++t) owned.push_back(owned_data.build());

    // Plans that no job uses, made last: the cache evicts them only if the threads plan at least
    // 64 transforms of that precision after them.
    const std::weak_ptr<const detail::Plan<float>> float_sentinel =
        detail::get_plan<float>(detail::Transform::r2c, {9973}, effort_context(PlannerEffort::estimate));
    const std::weak_ptr<const detail::Plan<double>> double_sentinel =
        detail::get_plan<double>(detail::Transform::c2c_forward, {9973}, effort_context(PlannerEffort::estimate));
    REQUIRE_FALSE(float_sentinel.expired());
    REQUIRE_FALSE(double_sentinel.expired());

    std::random_device seed;
    const std::string wisdom = (std::filesystem::temp_directory_path() /
                                ("fftconv-concurrency-" + std::to_string(seed()) + std::to_string(seed()) + ".wisdom"))
                                   .string();
    std::vector<Outcome> outcomes(worker_count);
    {
        std::vector<std::thread> workers;
        for (int t = 0; t < worker_count; ++t)
            workers.emplace_back([&, t] {
                Outcome& out = outcomes[static_cast<std::size_t>(t)];
                for (const Action& a : schedule(t, known.size(), fresh.size())) {
                    std::string name;
                    try {
                        switch (a.step) {
                            case Step::known: {
                                name = known[a.index].name;
                                const Bits got = known[a.index].run();
                                if (got != want[a.index])
                                    out.failures.push_back(name + ": worker " + std::to_string(t) + ", " +
                                                           difference(got, want[a.index]));
                                ++out.calls;
                                break;
                            }
                            case Step::fresh:
                                name = fresh[a.index].name;
                                out.fresh.emplace_back(a.index, fresh[a.index].run());
                                ++out.calls;
                                break;
                            case Step::owned: {
                                name = "the worker's own Convolvers";
                                const Bits got = owned_data.apply(owned[static_cast<std::size_t>(t)]);
                                if (got != owned_want)
                                    out.failures.push_back(name + ": worker " + std::to_string(t) + ", " +
                                                           difference(got, owned_want));
                                out.calls += 8;
                                break;
                            }
                            case Step::wisdom:
                                name = "save_wisdom and load_wisdom";
                                save_wisdom(wisdom);
                                if (!load_wisdom(wisdom)) out.failures.push_back(name + ": the file is gone");
                                ++out.wisdom_round_trips;
                                break;
                        }
                    } catch (const std::exception& e) {
                        out.failures.push_back(name + ": worker " + std::to_string(t) + " caught: " + e.what());
                    }
                }
            });
        for (std::thread& w : workers) w.join();
    }
    std::error_code ignored;
    std::filesystem::remove(wisdom, ignored);

    // The fresh calls' serial results, now that the threads have planned their transforms.
    std::vector<Bits> fresh_want;
    for (const Job& job : fresh) fresh_want.push_back(job.run());

    long calls = 0;
    int round_trips = 0;
    std::size_t fresh_checked = 0;
    for (const Outcome& out : outcomes) {
        for (const std::string& f : out.failures) FAIL_CHECK(f);
        for (const auto& [index, got] : out.fresh) {
            CAPTURE(fresh[index].name);
            CHECK_MESSAGE(got == fresh_want[index], difference(got, fresh_want[index]));
            ++fresh_checked;
        }
        calls += out.calls;
        round_trips += out.wisdom_round_trips;
    }
    CHECK(fresh_checked >= fresh.size());
    CHECK(round_trips >= 10);
    // The threads planned and evicted: the sentinels made last before them are gone.
    CHECK(float_sentinel.expired());
    CHECK(double_sentinel.expired());
    MESSAGE(worker_count << " threads, set_threads(" << lib_threads << "): " << calls << " calls (" << known.size()
                         << " known calls each, " << fresh.size() << " fresh calls), " << round_trips
                         << " wisdom saves and loads, each result compared with the serial call's bits");
    set_threads(1);
}

}  // namespace

TEST_CASE("8 threads at once give the bits of serial calls, while plans are made and evicted") {
    // Fresh 1D transforms of 4200-4800 points, fresh 2D transforms with sides 280, 288 and 320.
    concurrent_round(1, 525, 600, {280, 288, 320});
}

TEST_CASE("the same with set_threads(2): each call also splits its work over the pool, FFTW's loops too") {
    // set_threads is process-wide (not per thread), so it is set before the workers start. Fresh
    // 1D transforms of 5000-5600 points, fresh 2D sides 336, 360 and 384.
    concurrent_round(2, 625, 700, {336, 360, 384});
}
