#include "fftw.hpp"

#include <climits>
#include <compare>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <new>
#include <numeric>
#include <sstream>
#include <string>
#include <thread>
#include <type_traits>

#include "fftconv/settings.hpp"
#include "geometry.hpp"
#include "parallel.hpp"

namespace fftconv::detail {

std::mutex& planner_mutex() {
    static std::mutex m;
    return m;
}

template <class E>
FftwBuffer<E>::FftwBuffer(std::size_t n, const MemoryBudget& memory) : n_(n) {
    const auto what = [n] { return std::to_string(n) + " elements of " + std::to_string(sizeof(E)) + " bytes"; };
    const Bytes need = Bytes::of({1, length_size("FFT buffer", "n", n)}, sizeof(E));
    if (!memory.fits(need)) memory.check("FFT buffer: " + what(), need);
    p_.reset(static_cast<E*>(fftw_malloc(n ? need.exact : sizeof(E))));
    if (!p_) allocation_failed("fftw_malloc", what(), need);
}

template class FftwBuffer<float>;
template class FftwBuffer<double>;
template class FftwBuffer<std::complex<float>>;
template class FftwBuffer<std::complex<double>>;

template <class R>
Plan<R>::~Plan() {
    std::scoped_lock lock(planner_mutex());
    Fftw<R>::destroy(p_);
}

template class Plan<float>;
template class Plan<double>;

namespace {

// Enough for every shape a program cycles through in practice; each entry is a few KB of FFTW
// state, so the bound only matters for programs that see thousands of distinct shapes.
constexpr std::size_t max_cached_plans = 64;

unsigned planner_flags(PlannerEffort effort) {
    // Every fftconv transform reads a buffer refilled before each execute, so FFTW may overwrite
    // its input; that frees the planner to pick faster algorithms (it matters for c2r most).
    const unsigned destroy = FFTW_DESTROY_INPUT;
    switch (effort) {
        case PlannerEffort::measure: return FFTW_MEASURE | destroy;
        case PlannerEffort::patient: return FFTW_PATIENT | destroy;
        case PlannerEffort::estimate: break;
    }
    return FFTW_ESTIMATE | destroy;
}

struct Key {
    Transform transform;
    std::vector<int> dims;
    PlannerEffort effort;
    int threads;
    auto operator<=>(const Key&) const = default;
};

// FFTW's threads pay off only for transforms big enough to outweigh waking them (FFTW's own
// advice: thousands of elements at least; below 2^15 points one thread was faster here).
int plan_threads(const std::vector<int>& dims, int wanted) {
    if (wanted <= 1) return 1;
    const double n = std::accumulate(dims.begin(), dims.end(), 1.0, std::multiplies<>());
    return n >= 32768 ? wanted : 1;
}

// FFTW's parallel loops (its threaded plans) run on fftconv's pool: njobs calls of work, the
// caller taking part, so FFTW starts no threads of its own (FFTW 3.3.9's callback).
void fftw_loop(void* (*work)(char*), char* jobdata, std::size_t elsize, int njobs, void*) {
    struct Job {
        void* (*work)(char*);
        char* data;
        std::size_t size;
    } job{work, jobdata, elsize};
    run_parallel(
        njobs, njobs - 1,
        [](void* context, std::ptrdiff_t i) {
            const Job& j = *static_cast<const Job*>(context);
            j.work(j.data + j.size * static_cast<std::size_t>(i));
        },
        &job);
}

bool start_threads(int (*init)(),
                   void (*set_callback)(void (*)(void* (*)(char*), char*, std::size_t, int, void*), void*)) {
    if (init() == 0) return false;
    set_callback(fftw_loop, nullptr);
    return true;
}

// FFTW's threads, set up for both precisions at once, the first time the planner is used for
// anything (a plan, a wisdom import or export). Setting them up adds the threaded solvers, which
// changes the planner signature FFTW writes into exported wisdom and checks on import: set up
// lazily per precision, a file saved after float-only planning was refused by a fresh process
// until its first call had set up the same. Called with the planner lock held; false where FFTW
// could not start threads (planning then stays single-threaded).
template <class R>
bool threads_ready() {
    static const bool ready[2] = {start_threads(fftw_init_threads, fftw_threads_set_callback),
                                  start_threads(fftwf_init_threads, fftwf_threads_set_callback)};
    return ready[std::is_same_v<R, double> ? 0 : 1];
}

// Called with the planner lock held.
template <class R>
void set_plan_threads(int n) {
    if (!threads_ready<R>()) return;
    if constexpr (std::is_same_v<R, double>)
        fftw_plan_with_nthreads(n);
    else
        fftwf_plan_with_nthreads(n);
}

template <class R>
struct Cache {
    struct Entry {
        std::shared_ptr<const Plan<R>> plan;
        std::uint64_t last_used;
    };
    std::map<Key, Entry> entries;
    std::uint64_t clock = 0;
};

template <class R>
Cache<R>& cache() {
    static Cache<R> c;
    return c;
}

template <class R>
typename Fftw<R>::plan make_plan(Transform transform, const std::vector<int>& dims, unsigned flags,
                                 const MemoryBudget& memory) {
    using F = Fftw<R>;
    using C = typename F::complex;
    const int rank = static_cast<int>(dims.size());
    const std::size_t n = std::accumulate(dims.begin(), dims.end(), std::size_t{1}, std::multiplies<>());
    const std::size_t half = n / static_cast<std::size_t>(dims.back()) * static_cast<std::size_t>(dims.back() / 2 + 1);
    // Scratch arrays: FFTW_MEASURE scribbles on the arrays it plans with.
    switch (transform) {
        case Transform::r2c: {
            FftwBuffer<R> in(n, memory);
            FftwBuffer<std::complex<R>> out(half, memory);
            return F::r2c(rank, dims.data(), in.get(), reinterpret_cast<C*>(out.get()), flags);
        }
        case Transform::c2r: {
            FftwBuffer<std::complex<R>> in(half, memory);
            FftwBuffer<R> out(n, memory);
            return F::c2r(rank, dims.data(), reinterpret_cast<C*>(in.get()), out.get(), flags);
        }
        case Transform::c2c_forward:
        case Transform::c2c_backward: {
            FftwBuffer<std::complex<R>> in(n, memory), out(n, memory);
            const int sign = transform == Transform::c2c_forward ? FFTW_FORWARD : FFTW_BACKWARD;
            return F::c2c(rank, dims.data(), reinterpret_cast<C*>(in.get()), reinterpret_cast<C*>(out.get()), sign,
                          flags);
        }
    }
    return nullptr;
}

}  // namespace

template <class R>
std::shared_ptr<const Plan<R>> get_plan(Transform transform, const std::vector<int>& dims, const Context& context) {
    const PlannerEffort effort = context.effort;
    // Declared before the lock so evicted plans are destroyed after it is released: their
    // destructors take the same lock.
    std::shared_ptr<const Plan<R>> evicted;
    const int n_threads = plan_threads(dims, context.threads);
    std::scoped_lock lock(planner_mutex());
    Cache<R>& c = cache<R>();
    for (int e = static_cast<int>(PlannerEffort::patient); e >= static_cast<int>(effort); --e) {
        auto it = c.entries.find(Key{transform, dims, static_cast<PlannerEffort>(e), n_threads});
        if (it != c.entries.end()) {
            it->second.last_used = ++c.clock;
            return it->second.plan;
        }
    }
    set_plan_threads<R>(n_threads);
    auto raw = make_plan<R>(transform, dims, planner_flags(effort), context.memory);
    if (!raw) {
        std::string shape;
        for (int d : dims) {
            if (!shape.empty()) shape += 'x';
            shape += std::to_string(d);
        }
        throw BackendError("FFTW could not plan a transform of size " + shape);
    }
    std::shared_ptr<const Plan<R>> plan;
    try {
        plan = std::make_shared<const Plan<R>>(raw);
    } catch (...) {
        Fftw<R>::destroy(raw);
        throw;
    }
    c.entries.insert_or_assign(Key{transform, dims, effort, n_threads}, typename Cache<R>::Entry{plan, ++c.clock});
    if (c.entries.size() > max_cached_plans) {
        auto oldest = c.entries.begin();
        for (auto it = c.entries.begin(); it != c.entries.end(); ++it)
            if (it->second.last_used < oldest->second.last_used) oldest = it;
        evicted = std::move(oldest->second.plan);
        c.entries.erase(oldest);
    }
    return plan;
}

template <class R>
bool plan_in_wisdom(Transform transform, const std::vector<int>& dims, const Context& context) {
    const int n_threads = plan_threads(dims, context.threads);
    std::scoped_lock lock(planner_mutex());
    set_plan_threads<R>(n_threads);
    const auto raw = make_plan<R>(transform, dims, planner_flags(context.effort) | FFTW_WISDOM_ONLY, context.memory);
    if (raw) Fftw<R>::destroy(raw);
    return raw != nullptr;
}

template bool plan_in_wisdom<float>(Transform, const std::vector<int>&, const Context&);
template bool plan_in_wisdom<double>(Transform, const std::vector<int>&, const Context&);
template std::shared_ptr<const Plan<float>> get_plan<float>(Transform, const std::vector<int>&, const Context&);
template std::shared_ptr<const Plan<double>> get_plan<double>(Transform, const std::vector<int>&, const Context&);

namespace {

std::string read_file(const std::string& path, bool& exists) {
    std::ifstream in(path, std::ios::binary);
    exists = static_cast<bool>(in);
    std::ostringstream text;
    if (in) text << in.rdbuf();
    return text.str();
}

// A section with no plans in it: FFTW's header alone, which a precision that never planned
// exports. Its planner signature says only whether that precision's threads were set up when it
// was written (files from before both precisions were set up at once differ there), so it is
// skipped rather than checked: importing it would add nothing.
bool empty_section(const std::string& s) {
    const std::size_t end = s.find_last_not_of(" \t\r\n");
    return s.rfind("(fftw-", 0) == 0 && s.find('(', 1) == std::string::npos && end != std::string::npos &&
           s[end] == ')';
}

}  // namespace

std::size_t cached_plan_count() {
    std::scoped_lock lock(planner_mutex());
    return cache<float>().entries.size() + cache<double>().entries.size();
}

std::vector<int> squeezed_dims(Shape shape) {
    if (shape.rows > INT_MAX || shape.cols > INT_MAX)
        throw InvalidArgument("fft: transform size " + to_string(shape) + " exceeds FFTW's int dimensions");
    std::vector<int> dims;
    for (std::ptrdiff_t n : {shape.rows, shape.cols})
        if (n > 1) dims.push_back(static_cast<int>(n));
    if (dims.empty()) dims.push_back(1);
    return dims;
}

std::size_t half_spectrum_size(const std::vector<int>& dims) {
    std::size_t n = 1;
    for (std::size_t i = 0; i + 1 < dims.size(); ++i) n *= static_cast<std::size_t>(dims[i]);
    return n * static_cast<std::size_t>(dims.back() / 2 + 1);
}

template <class R>
RealFft<R>::RealFft(Shape shape, const Context& context)
    : dims_(squeezed_dims(shape)),
      forward_(get_plan<R>(Transform::r2c, dims_, context)),
      inverse_(get_plan<R>(Transform::c2r, dims_, context)),
      real_(static_cast<std::size_t>(shape.size()), context.memory),
      spectrum_(half_spectrum_size(dims_), context.memory) {}

template <class R>
void RealFft<R>::forward() {
    Fftw<R>::execute_r2c(forward_->get(), real_.get(), reinterpret_cast<typename Fftw<R>::complex*>(spectrum_.get()));
}

template <class R>
void RealFft<R>::inverse() {
    Fftw<R>::execute_c2r(inverse_->get(), reinterpret_cast<typename Fftw<R>::complex*>(spectrum_.get()), real_.get());
}

template class RealFft<float>;
template class RealFft<double>;

}  // namespace fftconv::detail

namespace fftconv {

// One file holds both precisions' wisdom, double first: FFTW's two exports one after the other.
bool load_wisdom(const std::string& path) {
    bool exists = false;
    const std::string text = detail::read_file(path, exists);
    if (!exists) {
        std::error_code ec;
        if (!std::filesystem::exists(path, ec)) return false;
        throw BackendError("load_wisdom: cannot read '" + path + "'");
    }
    const std::size_t split = text.find("(fftw-", 1);
    const std::string doubles = text.substr(0, split), floats = split == std::string::npos ? "" : text.substr(split);
    std::scoped_lock lock(detail::planner_mutex());
    // Before importing: the signature in the file was written with threads set up (save_wisdom and
    // every plan set them up first), and FFTW compares it with this process's.
    (void)detail::threads_ready<double>();
    const bool ok =
        (detail::empty_section(doubles) || fftw_import_wisdom_from_string(doubles.c_str()) != 0) &&
        (floats.empty() || detail::empty_section(floats) || fftwf_import_wisdom_from_string(floats.c_str()) != 0);
    if (!ok)
        throw BackendError("load_wisdom: '" + path + "' is not an FFTW wisdom file (" + std::to_string(text.size()) +
                           " bytes)");
    return true;
}

void save_wisdom(const std::string& path) {
    std::string text;
    {
        std::scoped_lock lock(detail::planner_mutex());
        (void)detail::threads_ready<double>();  // the signature every fftconv process imports with
        char* d = fftw_export_wisdom_to_string();
        char* f = fftwf_export_wisdom_to_string();
        if (d) text += d;
        if (f) text += f;
        std::free(d);
        std::free(f);
    }
    const std::string temp = path + ".tmp" + std::to_string(std::hash<std::thread::id>{}(std::this_thread::get_id()));
    {
        std::ofstream out(temp, std::ios::binary | std::ios::trunc);
        out << text;
        out.close();
        if (!out) {
            std::error_code ec;
            std::filesystem::remove(temp, ec);
            throw BackendError("save_wisdom: cannot write '" + path + "'");
        }
    }
    std::error_code ec;
    std::filesystem::rename(temp, path, ec);
    if (ec) {
        std::filesystem::remove(temp, ec);
        throw BackendError("save_wisdom: cannot write '" + path + "': " + ec.message());
    }
}

}  // namespace fftconv
