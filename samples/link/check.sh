#!/usr/bin/env bash
# Proof that users can link fftconv: install it into a temporary prefix, then build
# samples/link/consumer.cpp against the installed copy four ways and run each result:
#   1. g++ with `pkg-config --cflags --libs fftconv` (shared library)
#   2. g++ with `pkg-config --static --libs fftconv`, libfftconv.a linked in
#   3. a Meson project that says dependency('fftconv')
#   4. a CMake project that says find_package(fftconv CONFIG REQUIRED) and links fftconv::fftconv
set -euo pipefail

# Way 4 is part of the proof, so a missing cmake fails the check instead of skipping it.
command -v cmake >/dev/null \
    || { echo "error: cmake is not installed (Debian: apt-get install cmake); way 4 needs it"; exit 1; }

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
src=$(cd "$here/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
prefix="$work/prefix"

# An unoptimised build: this checks installing and linking, not speed.
meson setup "$work/build" "$src" --prefix "$prefix" --libdir lib --buildtype plain \
    -Dtests=false -Dsamples=false >"$work/setup.log" || { cat "$work/setup.log"; exit 1; }
meson install -C "$work/build" >"$work/install.log" || { cat "$work/install.log"; exit 1; }
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
echo "installed: $(cd "$prefix" && find . -type f | sort | tr '\n' ' ')"
echo "pkg-config --cflags --libs fftconv: $(pkg-config --cflags --libs fftconv)"

c++ -std=c++20 "$here/consumer.cpp" $(pkg-config --cflags --libs fftconv) -Wl,-rpath,"$prefix/lib" \
    -o "$work/consumer-shared"
# ldd's output is taken whole before it is searched: `ldd | grep -q` under pipefail fails whenever
# grep's early exit leaves ldd writing into a closed pipe (SIGPIPE), as it did on a loaded machine.
shared_libs=$(ldd "$work/consumer-shared")
grep -q "$prefix/lib/libfftconv.so" <<<"$shared_libs" || { echo "consumer-shared does not use the installed libfftconv.so"; exit 1; }
echo -n "shared (pkg-config): "
"$work/consumer-shared"

static_libs=$(pkg-config --static --libs fftconv | sed "s|-lfftconv|$prefix/lib/libfftconv.a|")
c++ -std=c++20 "$here/consumer.cpp" $(pkg-config --cflags fftconv) $static_libs -o "$work/consumer-static"
static_needs=$(ldd "$work/consumer-static")
if grep -q libfftconv <<<"$static_needs"; then echo "consumer-static still needs libfftconv.so"; exit 1; fi
echo -n "static (pkg-config --static): "
"$work/consumer-static"

meson setup "$work/consumer" "$here" >"$work/consumer-setup.log" || { cat "$work/consumer-setup.log"; exit 1; }
meson compile -C "$work/consumer" >"$work/consumer-build.log" || { cat "$work/consumer-build.log"; exit 1; }
echo -n "meson dependency('fftconv'): "
LD_LIBRARY_PATH="$prefix/lib" "$work/consumer/consumer"

cmake -S "$here" -B "$work/cmake" -DCMAKE_PREFIX_PATH="$prefix" >"$work/cmake-setup.log" 2>&1 \
    || { cat "$work/cmake-setup.log"; exit 1; }
cmake --build "$work/cmake" >"$work/cmake-build.log" 2>&1 || { cat "$work/cmake-build.log"; exit 1; }
cmake_libs=$(ldd "$work/cmake/consumer")
grep -q "$prefix/lib/libfftconv.so" <<<"$cmake_libs" || { echo "the CMake consumer does not use the installed libfftconv.so"; exit 1; }
echo -n "cmake find_package(fftconv): "
# No LD_LIBRARY_PATH: CMake writes the imported library's directory into the build's RPATH.
"$work/cmake/consumer"

# The Python package `meson install` put beside the library (when the build had the Python module).
site=$(find "$prefix" -name _fftconv.cpython-*.so -printf '%h\n' | head -n 1)
if [ -n "$site" ]; then
    echo -n "python (meson install, $(dirname "${site#"$prefix"/}")): "
    (cd "$work" && PYTHONPATH="$(dirname "$site")" "${FFTCONV_PYTHON:-python3}" -c '
import fftconv, sys
got = fftconv.convolve([1.0, 2.0, 3.0], [0.0, 1.0, 0.5], mode="same").tolist()
assert fftconv.__file__.startswith(sys.argv[1]), fftconv.__file__
assert got == [1.0, 2.5, 4.0], got
print("convolve([1, 2, 3], [0, 1, 0.5], same) =", got, ": as expected")' "$prefix")
fi
