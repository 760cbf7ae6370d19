// The paper estimates of docs/scale.md, from the cost model (fftconv::mpi::estimate): a 100,000²
// float image filtered to its own size (reflect border) with kernels 3², 31², 255² and 4095², on
// 1, 4, 16 and 64 nodes joined by 10 GbE or 100 Gb InfiniBand, one rank per node computing on
// `cores` cores (the single-core estimate divided by them) with `memory` bytes. Prints one
// markdown table per network: bytes sent and memory held by the busiest rank, the estimated
// seconds of each way, and the choice; then where the choice turns. Pure arithmetic: no MPI job
// is started.
//   mpi_estimates [cores [memory GB]]   (defaults: 32 cores, 512 GB)
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "fftconv/mpi.hpp"

namespace {

void print_table(const fftconv::mpi::Network& net, int cores, double memory) {
    std::printf("\n%s (%.2f GB/s a node, %.0f µs a message), %d cores and %.0f GB a node:\n\n", net.name,
                net.bytes_per_second / 1e9, net.latency * 1e6, cores, memory / 1e9);
    std::printf(
        "| kernel | nodes | halo: sent, held | halo: est. time | FFT: sent, held | FFT: est. time | choice |\n");
    std::printf("|---|---|---|---|---|---|---|\n");
    fftconv::OutOfCoreOptions o;
    o.border = fftconv::Border::reflect;
    o.memory = static_cast<std::size_t>(memory);
    for (const std::ptrdiff_t k : {3, 31, 255, 4095}) {
        const fftconv::Array<float> kernel(fftconv::Extents{k, k}, 1.0f / static_cast<float>(k * k));
        for (const int nodes : {1, 4, 16, 64}) {
            const fftconv::mpi::Estimate e =
                fftconv::mpi::estimate<float>({100000, 100000}, kernel.view(), o, nodes, net, cores);
            const auto gb = [](double b) { return b / 1e9; };
            std::printf("| %td² | %d | %.3g GB, %.3g GB | %.3g s | %.3g GB, %.3g GB | %.3g s | %s%s |\n", k, nodes,
                        gb(e.halo.bytes_sent), gb(e.halo.memory), e.halo.seconds(), gb(e.fft.bytes_sent),
                        gb(e.fft.memory), e.fft.seconds(), fftconv::mpi::to_string(e.choice),
                        e.fft.memory > memory ? " (FFT does not fit)" : "");
        }
    }
}

// The crossover: per network and node count, the smallest square kernel of 2^j - 1 (j up to 13)
// for which the model prefers the distributed FFT.
void print_crossover(int cores, double memory) {
    std::printf("\nThe smallest kernel (2^j - 1 square) for which the FFT is estimated faster:\n\n");
    std::printf("| network | 1 node | 4 nodes | 16 nodes | 64 nodes |\n|---|---|---|---|---|\n");
    fftconv::OutOfCoreOptions o;
    o.border = fftconv::Border::reflect;
    o.memory = static_cast<std::size_t>(memory);
    for (const fftconv::mpi::Network& net : {fftconv::mpi::ethernet_10g, fftconv::mpi::infiniband_100g}) {
        std::printf("| %s |", net.name);
        for (const int nodes : {1, 4, 16, 64}) {
            std::ptrdiff_t found = 0;
            for (int j = 2; j <= 13 && !found; ++j) {
                const std::ptrdiff_t k = (std::ptrdiff_t(1) << j) - 1;
                const fftconv::Array<float> kernel(fftconv::Extents{k, k}, 1.0f / static_cast<float>(k * k));
                const fftconv::mpi::Estimate e =
                    fftconv::mpi::estimate<float>({100000, 100000}, kernel.view(), o, nodes, net, cores);
                if (e.choice == fftconv::mpi::Distribution::fft) found = k;
            }
            if (found)
                std::printf(" %td² |", found);
            else
                std::printf(" none to 8191² |");
        }
        std::printf("\n");
    }
}

}  // namespace

int main(int argc, char** argv) {
    const int cores = argc > 1 ? std::atoi(argv[1]) : 32;
    const double memory = (argc > 2 ? std::atof(argv[2]) : 512) * 1e9;
    print_table(fftconv::mpi::ethernet_10g, cores, memory);
    print_table(fftconv::mpi::infiniband_100g, cores, memory);
    print_crossover(cores, memory);
    return 0;
}
