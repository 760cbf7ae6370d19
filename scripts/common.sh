# Shared by scripts/test.sh and scripts/demo.sh (sourced, not run): install what is missing from
# Debian's archive, then configure and build.

# Everything the build, the tests and the demo need, all from Debian 12's archive.
FFTCONV_PACKAGES=(
    g++ meson ninja-build pkg-config   # toolchain
    cmake                              # the CMake package files and the CMake link check
    libfftw3-dev                       # the FFT (double and float libraries)
    doctest-dev                        # unit tests
    libopencv-dev                      # reading images in the demo program
    libsndfile1-dev                    # audio files in the tool (delay, find)
    libtiff-dev                        # (Big)TIFF images read and written a box at a time (out of core)
    libopenmpi-dev openmpi-bin         # fftconv-mpi and fftconv/mpi.hpp (-Dmpi), run under mpirun by the tests
    libfftw3-mpi-dev                   # their distributed FFT (FFTW-MPI)
    python3-numpy python3-scipy        # the scipy.signal cross-check
    python3-torch                      # the PyTorch cross-check of the layers (nn.hpp); tests only
    python3-dev pybind11-dev           # the Python module (import fftconv)
    python3-mesonpy python3-venv       # pip install . (meson-python), checked in a fresh venv
    python3-pytest                     # its tests
    valgrind                           # the end-to-end memory check of the tool
    clang libclang-rt-dev              # the libFuzzer targets (clang and its fuzzer/sanitizer runtimes)
)

ensure_packages() {
    local missing=() p
    for p in "${FFTCONV_PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    echo "== installing from Debian's archive: ${missing[*]}"
    local sudo=()
    if [ "$(id -u)" -ne 0 ]; then
        if command -v sudo >/dev/null 2>&1; then
            sudo=(sudo)
        else
            echo "error: installing ${missing[*]} needs root or sudo; run as root or install them first" >&2
            exit 1
        fi
    fi
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

# configure_and_build DIR [meson options...]: a fresh setup, or a reconfigure of an existing one.
configure_and_build() {
    local dir=$1
    shift
    if [ -f "$dir/build.ninja" ]; then
        meson setup --reconfigure "$dir" "$@" >/dev/null
    else
        meson setup "$dir" "$@" >/dev/null
    fi
    echo "== building in $dir"
    meson compile -C "$dir"
}
