#!/usr/bin/env bash
# Install what is missing, build, and run the demo on the sample image: the same convolution
# computed directly and through the FFT, with their difference and their timings.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/common.sh

ensure_packages
if [ -f build/build.ninja ]; then
    echo "== building in build"
    meson compile -C build
else
    configure_and_build build --buildtype=release
fi

echo "== fftconv-compare samples/camera.png"
build/samples/fftconv-compare samples/camera.png 3 7 15 31 63
