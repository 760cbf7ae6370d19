#include "fftconv/stream.hpp"

#include <algorithm>
#include <cmath>
#include <complex>
#include <string>

#include "context.hpp"
#include "fftw.hpp"

namespace fftconv {

namespace {

// Work per sample of a partition size `p`, in floating-point operations: per block of p samples,
// one 2p-point real transform per input and one inverse per output (2.5·n·log2 n each), a
// complex multiply-add (8) per bin, partition and input-output pair, and with zero latency a
// real multiply-add (2) per head tap, pair and sample. Counts, not seconds: only the ratio
// between sizes decides.
double flops_per_sample(double p, double taps, double pairs, double ins, double outs, bool zero_latency) {
    const double n = 2 * p;
    const double parts = std::ceil(std::max(0.0, taps - (zero_latency ? p : 0.0)) / p);
    const double transforms = parts > 0 ? (ins + outs) * 2.5 * n * std::log2(n) : 0.0;
    const double products = 8 * (p + 1) * parts * pairs;
    return (transforms + products) / p + (zero_latency ? 2 * std::min(p, taps) * pairs : 0.0);
}

std::size_t cheapest_partition(std::size_t taps, int ins, int outs, bool zero_latency) {
    std::size_t best = 16;
    double best_cost = 0;
    for (std::size_t p = 16; p <= 65536; p *= 2) {
        const double cost = flops_per_sample(static_cast<double>(p), static_cast<double>(taps),
                                             static_cast<double>(ins) * outs, ins, outs, zero_latency);
        if (p == 16 || cost < best_cost) {
            best = p;
            best_cost = cost;
        }
        if (p >= taps) break;  // one partition holds the whole response: larger ones only cost more
    }
    return best;
}

}  // namespace

// One uniformly partitioned overlap-save convolver: partitions of p samples covering taps
// [first, first + parts·p) of each response, whose output for a block is ready once the block
// has been taken, so that out(n) gains Σ_k h(first + k) x(n − first − k) with first >= p − the
// stream's latency (the stage's own latency of p is absorbed in the taps before `first`).
template <Real T>
struct Stage {
    using C = std::complex<T>;
    using F = detail::Fftw<T>;

    int ins = 1, outs = 1;
    std::size_t p = 0;      // partition: samples per block
    std::size_t half = 0;   // p + 1 bins of the 2p-point real transform
    std::size_t pitch = 0;  // half rounded up to 64 bytes: each stored spectrum aligned as FFTW planned
    std::size_t parts = 0;  // partitions held
    // The partitions' spectra, scaled by 1/(2p): spectra[((i·outs + o)·parts + q)·pitch + bin].
    detail::FftwBuffer<C> spectra;
    // The delay line: ring[(i·parts + slot)·pitch + bin], slot `newest` the latest block's.
    detail::FftwBuffer<C> ring;
    std::size_t newest = 0;
    // Per input: the previous block and the current one as it fills, 2p samples.
    std::vector<T> window;
    // Per output: this stage's contribution to the current block.
    std::vector<T> pending;
    std::size_t pos = 0;  // samples of the current block taken
    detail::FftwBuffer<T> time;
    detail::FftwBuffer<C> sum;
    std::shared_ptr<const detail::Plan<T>> forward, inverse;

    // Taps [first, end) of every response (end clipped to the response), partitions of p samples;
    // `shift` = first − (p − latency) >= 0 zero taps lead the first partition.
    Stage(View<const T> h, std::size_t p_, std::size_t first, std::size_t end, std::size_t latency,
          const detail::Context& context)
        : ins(static_cast<int>(h.shape[0])),
          outs(static_cast<int>(h.shape[1])),
          p(p_),
          half(p_ + 1),
          pitch((p_ + 8) / 8 * 8) {
        const auto taps = static_cast<std::size_t>(h.shape[2]);
        end = std::min(end, taps);
        const std::size_t lead = first + latency - p;  // g(k) = h(k + p − latency), from k = lead
        parts = (end - first + lead % p + p - 1) / p + lead / p;
        const auto pairs = static_cast<std::size_t>(ins) * static_cast<std::size_t>(outs);
        spectra = detail::FftwBuffer<C>(pairs * parts * pitch, context.memory);
        ring = detail::FftwBuffer<C>(static_cast<std::size_t>(ins) * parts * pitch, context.memory);
        time = detail::FftwBuffer<T>(2 * p, context.memory);
        sum = detail::FftwBuffer<C>(pitch, context.memory);
        const std::vector<int> dims{static_cast<int>(2 * p)};
        forward = detail::get_plan<T>(detail::Transform::r2c, dims, context);
        inverse = detail::get_plan<T>(detail::Transform::c2r, dims, context);
        const T scale = T(1) / static_cast<T>(2 * p);
        for (std::size_t pair = 0; pair < pairs; ++pair) {
            const T* taps_io = h.data +
                               static_cast<std::ptrdiff_t>(pair / static_cast<std::size_t>(outs)) * h.strides[0] +
                               static_cast<std::ptrdiff_t>(pair % static_cast<std::size_t>(outs)) * h.strides[1];
            for (std::size_t q = 0; q < parts; ++q) {
                T* t = time.get();
                std::fill(t, t + 2 * p, T{});
                for (std::size_t k = 0; k < p; ++k) {
                    const std::size_t g = q * p + k;  // this stage's tap; the response's is g + p − latency
                    if (g < lead) continue;
                    const std::size_t tap = g + p - latency;
                    if (tap < end) t[k] = taps_io[static_cast<std::ptrdiff_t>(tap) * h.strides[2]] * scale;
                }
                C* s = spectra.get() + (pair * parts + q) * pitch;
                F::execute_r2c(forward->get(), t, reinterpret_cast<typename F::complex*>(s));
            }
        }
        window.assign(static_cast<std::size_t>(ins) * 2 * p, T{});
        pending.assign(static_cast<std::size_t>(outs) * p, T{});
        clear();
    }

    void clear() {
        std::fill(window.begin(), window.end(), T{});
        std::fill(pending.begin(), pending.end(), T{});
        std::fill(ring.get(), ring.get() + ring.size(), C{});
        newest = 0;
        pos = 0;
    }

    // n samples of every input (n <= p − pos), and this stage's part of the n outputs added in.
    void take(const T* const* in, std::ptrdiff_t in_stride, T* const* out, std::ptrdiff_t out_stride, std::size_t n) {
        for (int i = 0; i < ins; ++i) {
            T* w = window.data() + static_cast<std::size_t>(i) * 2 * p + p + pos;
            for (std::size_t j = 0; j < n; ++j) w[j] = in[i][static_cast<std::ptrdiff_t>(j) * in_stride];
        }
        for (int o = 0; o < outs; ++o) {
            const T* part = pending.data() + static_cast<std::size_t>(o) * p + pos;
            for (std::size_t j = 0; j < n; ++j) out[o][static_cast<std::ptrdiff_t>(j) * out_stride] += part[j];
        }
        pos += n;
        if (pos == p) block_done();
    }

    // The block is full: transform each input's last 2p samples into the ring, multiply with the
    // partitions and sum, and keep the last p samples of the inverse as the next block's part.
    void block_done() {
        newest = (newest + 1) % parts;
        for (int i = 0; i < ins; ++i) {
            T* t = time.get();
            std::copy_n(window.begin() + static_cast<std::ptrdiff_t>(static_cast<std::size_t>(i) * 2 * p), 2 * p, t);
            C* x = ring.get() + (static_cast<std::size_t>(i) * parts + newest) * pitch;
            F::execute_r2c(forward->get(), t, reinterpret_cast<typename F::complex*>(x));
        }
        for (int o = 0; o < outs; ++o) {
            C* acc = sum.get();
            std::fill(acc, acc + half, C{});
            for (int i = 0; i < ins; ++i) {
                const std::size_t pair =
                    static_cast<std::size_t>(i) * static_cast<std::size_t>(outs) + static_cast<std::size_t>(o);
                for (std::size_t q = 0; q < parts; ++q) {
                    // Partition q meets the block q blocks older than the newest.
                    const std::size_t slot = (newest + parts - q) % parts;
                    const T* a =
                        reinterpret_cast<const T*>(ring.get() + (static_cast<std::size_t>(i) * parts + slot) * pitch);
                    const T* b = reinterpret_cast<const T*>(spectra.get() + (pair * parts + q) * pitch);
                    T* s = reinterpret_cast<T*>(acc);
                    // The textbook complex product (std::complex's NaN guard blocks vectorizing).
                    for (std::size_t k = 0; k < half; ++k) {
                        const T ar = a[2 * k], ai = a[2 * k + 1], br = b[2 * k], bi = b[2 * k + 1];
                        s[2 * k] += ar * br - ai * bi;
                        s[2 * k + 1] += ar * bi + ai * br;
                    }
                }
            }
            T* t = time.get();
            F::execute_c2r(inverse->get(), reinterpret_cast<typename F::complex*>(acc), t);
            std::copy_n(t + p, p, pending.begin() + static_cast<std::ptrdiff_t>(static_cast<std::size_t>(o) * p));
        }
        for (int i = 0; i < ins; ++i) {
            auto w = window.begin() + static_cast<std::ptrdiff_t>(static_cast<std::size_t>(i) * 2 * p);
            std::copy_n(w + static_cast<std::ptrdiff_t>(p), p, w);
        }
        pos = 0;
    }
};

template <Real T>
struct StreamConvolver<T>::Impl {
    int ins = 1, outs = 1;
    std::size_t taps = 0;
    std::size_t p = 0;  // the first (smallest) partition
    std::size_t latency = 0;
    bool zero_latency = false;
    // head[(i·outs + o)·p + k] = h_io(p − 1 − k): the first p taps reversed (zero latency only),
    // summed directly over each input's last p samples, kept in `recent` (2p per input).
    std::vector<T> head;
    std::vector<T> recent;
    std::size_t recent_pos = 0;
    std::vector<Stage<T>> stages;
    std::size_t seen = 0;

    void build(View<const T> h, const Options& o);
    void step(const T* const* in, std::ptrdiff_t in_stride, T* const* out, std::ptrdiff_t out_stride, std::size_t n);
    void clear();
};

template <Real T>
void StreamConvolver<T>::Impl::build(View<const T> h, const Options& o) {
    const char* fn = "StreamConvolver";
    if (h.rank() != 3)
        throw InvalidArgument(std::string(fn) + ": responses must be shaped {inputs, outputs, taps}, got " +
                              to_string(h.shape));
    if (h.empty() || h.data == nullptr)
        throw InvalidArgument(std::string(fn) + ": the responses are empty (" + to_string(h.shape) + ")");
    if (h.shape[0] > 4096 || h.shape[1] > 4096)
        throw InvalidArgument(std::string(fn) + ": " + to_string(h.shape) +
                              " responses; at most 4096 inputs and 4096 outputs");
    for (std::ptrdiff_t i = 0; i < h.shape[0]; ++i)
        for (std::ptrdiff_t oo = 0; oo < h.shape[1]; ++oo)
            for (std::ptrdiff_t k = 0; k < h.shape[2]; ++k)
                if (!std::isfinite(h.data[i * h.strides[0] + oo * h.strides[1] + k * h.strides[2]]))
                    throw InvalidArgument(std::string(fn) + ": response (" + std::to_string(i) + ", " +
                                          std::to_string(oo) + ") holds a non-finite tap at " + std::to_string(k));
    if (o.effort != PlannerEffort::estimate && o.effort != PlannerEffort::measure && o.effort != PlannerEffort::patient)
        throw InvalidArgument(std::string(fn) + ": planner effort " + std::to_string(static_cast<int>(o.effort)) +
                              " is not one of estimate, measure, patient");
    ins = static_cast<int>(h.shape[0]);
    outs = static_cast<int>(h.shape[1]);
    taps = static_cast<std::size_t>(h.shape[2]);
    zero_latency = o.zero_latency;
    p = o.partition ? o.partition : cheapest_partition(taps, ins, outs, zero_latency);
    const std::size_t largest = std::max(p, o.max_partition);
    if (largest > (std::size_t{1} << 26))
        throw InvalidArgument(std::string(fn) + ": partition " + std::to_string(largest) + " is past 2^26 samples");
    latency = zero_latency ? 0 : p;
    const auto pairs = static_cast<std::size_t>(ins) * static_cast<std::size_t>(outs);

    detail::Context context = detail::Context::current();
    context.effort = o.effort;
    context.threads = 1;
    std::size_t covered = 0;  // taps [0, covered) are taken
    if (zero_latency) {
        head.assign(pairs * p, T{});
        for (std::size_t pair = 0; pair < pairs; ++pair)
            for (std::size_t k = 0; k < std::min(p, taps); ++k)
                head[pair * p + (p - 1 - k)] =
                    h.data[static_cast<std::ptrdiff_t>(pair / static_cast<std::size_t>(outs)) * h.strides[0] +
                           static_cast<std::ptrdiff_t>(pair % static_cast<std::size_t>(outs)) * h.strides[1] +
                           static_cast<std::ptrdiff_t>(k) * h.strides[2]];
        recent.assign(static_cast<std::size_t>(ins) * 2 * p, T{});
        covered = p;
    }
    // Stages of partitions growing 4x up to the largest: each takes the taps from where the one
    // before stopped to where the next can begin (a stage of partition P answers P samples late,
    // so it can start no earlier than tap P − latency): 3 partitions each, the last the rest.
    for (std::size_t size = p; covered < taps; size *= 4) {
        const bool last = size * 4 > largest;
        const std::size_t end = last ? taps : size * 4 - latency;
        stages.emplace_back(h, size, covered, end, latency, context);
        covered = std::min(end, taps);
        if (last) break;
    }
}

template <Real T>
void StreamConvolver<T>::Impl::clear() {
    std::fill(recent.begin(), recent.end(), T{});
    recent_pos = 0;
    for (Stage<T>& s : stages) s.clear();
    seen = 0;
}

// n samples (n <= p − the first stage's pos, and within one head window) of every input.
template <Real T>
void StreamConvolver<T>::Impl::step(const T* const* in, std::ptrdiff_t in_stride, T* const* out,
                                    std::ptrdiff_t out_stride, std::size_t n) {
    for (int o = 0; o < outs; ++o)
        for (std::size_t j = 0; j < n; ++j) out[o][static_cast<std::ptrdiff_t>(j) * out_stride] = T{};
    if (zero_latency) {
        for (int i = 0; i < ins; ++i) {
            T* w = recent.data() + static_cast<std::size_t>(i) * 2 * p + p + recent_pos;
            for (std::size_t j = 0; j < n; ++j) w[j] = in[i][static_cast<std::ptrdiff_t>(j) * in_stride];
        }
        for (int o = 0; o < outs; ++o)
            for (int i = 0; i < ins; ++i) {
                const T* hk =
                    head.data() +
                    (static_cast<std::size_t>(i) * static_cast<std::size_t>(outs) + static_cast<std::size_t>(o)) * p;
                for (std::size_t j = 0; j < n; ++j) {
                    // Σ_k h(k) x(now − k) over the head's p taps: the p samples ending now.
                    const T* x = recent.data() + static_cast<std::size_t>(i) * 2 * p + recent_pos + j + 1;
                    T acc{};
                    for (std::size_t k = 0; k < p; ++k) acc += hk[k] * x[k];
                    out[o][static_cast<std::ptrdiff_t>(j) * out_stride] += acc;
                }
            }
        recent_pos += n;
        if (recent_pos == p) {
            for (int i = 0; i < ins; ++i) {
                auto w = recent.begin() + static_cast<std::ptrdiff_t>(static_cast<std::size_t>(i) * 2 * p);
                std::copy_n(w + static_cast<std::ptrdiff_t>(p), p, w);
            }
            recent_pos = 0;
        }
    }
    for (Stage<T>& s : stages) s.take(in, in_stride, out, out_stride, n);
    seen += n;
}

template <Real T>
StreamConvolver<T>::StreamConvolver(std::span<const T> response, Options options) : impl_(std::make_unique<Impl>()) {
    const auto n = static_cast<std::ptrdiff_t>(response.size());
    impl_->build(View<const T>(response.data(), Extents{1, 1, n}), options);
}

template <Real T>
StreamConvolver<T>::StreamConvolver(View<const T> responses, Options options) : impl_(std::make_unique<Impl>()) {
    impl_->build(responses, options);
}

template <Real T>
StreamConvolver<T>::StreamConvolver(StreamConvolver&&) noexcept = default;
template <Real T>
StreamConvolver<T>& StreamConvolver<T>::operator=(StreamConvolver&&) noexcept = default;
template <Real T>
StreamConvolver<T>::~StreamConvolver() = default;

template <Real T>
void StreamConvolver<T>::process(std::span<const T> in, std::span<T> out) {
    if (impl_->ins != 1 || impl_->outs != 1)
        throw InvalidArgument("StreamConvolver::process: this convolver has " + std::to_string(impl_->ins) +
                              " inputs and " + std::to_string(impl_->outs) +
                              " outputs; give channels as Views shaped {inputs, frames} and {outputs, frames}");
    const auto n = static_cast<std::ptrdiff_t>(in.size());
    if (out.size() != in.size())
        throw InvalidArgument("StreamConvolver::process: in has " + std::to_string(in.size()) + " samples and out " +
                              std::to_string(out.size()) + "; they must be equal");
    process(View<const T>(in.data(), Extents{1, n}), View<T>(out.data(), Extents{1, n}));
}

template <Real T>
void StreamConvolver<T>::process(View<const T> in, View<T> out) {
    Impl& m = *impl_;
    const char* fn = "StreamConvolver::process";
    if (in.rank() != 2 || out.rank() != 2 || in.shape[0] != m.ins || out.shape[0] != m.outs ||
        in.shape[1] != out.shape[1])
        throw InvalidArgument(std::string(fn) + ": in is " + to_string(in.shape) + " and out " + to_string(out.shape) +
                              "; they must be {" + std::to_string(m.ins) + ", frames} and {" + std::to_string(m.outs) +
                              ", frames}");
    const std::ptrdiff_t frames = in.shape[1];
    if (frames == 0) return;
    // Any element of out inside in's span: refused (the output is written as the input is read).
    const auto span_of = [](auto v) {
        std::ptrdiff_t lo = 0, hi = 0;
        for (int a = 0; a < v.rank(); ++a) (v.strides[a] < 0 ? lo : hi) += (v.shape[a] - 1) * v.strides[a];
        return std::pair{reinterpret_cast<std::uintptr_t>(v.data + lo),
                         reinterpret_cast<std::uintptr_t>(v.data + hi + 1)};
    };
    const auto [in_lo, in_hi] = span_of(in);
    const auto [out_lo, out_hi] = span_of(out);
    if (in.data && out.data && out_lo < in_hi && in_lo < out_hi)
        throw InvalidArgument(std::string(fn) + ": out overlaps in; give the output its own memory");
    std::vector<const T*> ip(static_cast<std::size_t>(m.ins));
    std::vector<T*> op(static_cast<std::size_t>(m.outs));
    for (std::ptrdiff_t done = 0; done < frames;) {
        // Every stage's blocks start at multiples of p (theirs are multiples of it), so a step
        // never crosses the end of any stage's block or of the head's window.
        const auto n = static_cast<std::ptrdiff_t>(
            std::min<std::size_t>(m.p - m.seen % m.p, static_cast<std::size_t>(frames - done)));
        for (int i = 0; i < m.ins; ++i)
            ip[static_cast<std::size_t>(i)] = in.data + i * in.strides[0] + done * in.strides[1];
        for (int o = 0; o < m.outs; ++o)
            op[static_cast<std::size_t>(o)] = out.data + o * out.strides[0] + done * out.strides[1];
        m.step(ip.data(), in.strides[1], op.data(), out.strides[1], static_cast<std::size_t>(n));
        done += n;
    }
}

template <Real T>
Array<T> StreamConvolver<T>::flush_channels() {
    Impl& m = *impl_;
    const auto owed = static_cast<std::ptrdiff_t>(latency() + m.taps - 1);
    Array<T> tail(Extents{m.outs, owed});
    if (owed > 0) {
        const Array<T> zeros(Extents{m.ins, owed});
        process(zeros.view(), tail.view());
    }
    reset();
    return tail;
}

template <Real T>
std::vector<T> StreamConvolver<T>::flush() {
    if (impl_->outs != 1)
        throw InvalidArgument("StreamConvolver::flush: this convolver has " + std::to_string(impl_->outs) +
                              " outputs; flush_channels() returns them all");
    const Array<T> tail = flush_channels();
    return {tail.data(), tail.data() + tail.size()};
}

template <Real T>
void StreamConvolver<T>::reset() {
    impl_->clear();
}

template <Real T>
std::size_t StreamConvolver<T>::latency() const {
    return impl_->latency;
}
template <Real T>
std::size_t StreamConvolver<T>::partition() const {
    return impl_->p;
}
template <Real T>
std::size_t StreamConvolver<T>::taps() const {
    return impl_->taps;
}
template <Real T>
int StreamConvolver<T>::inputs() const {
    return impl_->ins;
}
template <Real T>
int StreamConvolver<T>::outputs() const {
    return impl_->outs;
}
template <Real T>
std::size_t StreamConvolver<T>::samples() const {
    return impl_->seen;
}

template class StreamConvolver<float>;
template class StreamConvolver<double>;

}  // namespace fftconv
