#!/usr/bin/env bash
# Install what is missing, build, and run every fftconv subcommand on samples/, writing into out/,
# then print a one-screen summary: what was written, where the template was found, and how the
# direct and FFT results compare.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/common.sh

ensure_packages
if [ -f build/build.ninja ]; then
    echo "== building in build"
    meson compile -C build >/dev/null
else
    configure_and_build build --buildtype=release >/dev/null
fi

fftconv=build/apps/fftconv
mkdir -p out
log=out/demo.log
: >"$log"
step() {  # step NAME COMMAND...: run one subcommand, keep its output in the log
    echo "\$ fftconv ${*:2}" >>"$log"
    "$fftconv" "${@:2}" >>"$log" 2>&1 || { echo "demo: fftconv $1 failed:" >&2; tail -5 "$log" >&2; exit 1; }
}

step sobel sobel samples/camera.png out/camera_edges.png --magnitude
step blur blur samples/chelsea.png out/chelsea_blur.png --sigma 3
step lowpass lowpass samples/camera.png out/camera_lowpass.png --cutoff 0.1 --shape butterworth \
    --spectrum out/camera_spectrum.png
step match match samples/camera.png samples/camera_face.png --top 3 --annotate out/camera_match.png \
    --scores out/camera_scores.png
step conv conv samples/camera.png laplacian out/camera_laplacian.png --mode same
step compare compare samples/camera.png gaussian:4 --mode same --diff out/camera_diff.png
step volume conv samples/phantom.npy gaussian:2 out/phantom_smooth.npy --mode same --border reflect
step tiles conv samples/phantom.npy gaussian:2 out/phantom_tiles.npy --mode same --border reflect --memory 1M
step reverb conv samples/voice.wav samples/room.wav out/voice_room.wav --normalize peak
step delay delay samples/voice.wav samples/voice_far.wav --method phat --plot out/voice_delay.png
step find find samples/voice.wav samples/word.wav --top 1 --plot out/voice_find.png
step signal conv samples/voice.wav gaussian:2 out/voice_smooth.csv --mode same --plot out/voice_smooth.png
step shape shape --input 2x2 --kernel 3 --stride 2 --transposed --draw out/shape_transposed.png

echo
echo "fftconv on samples/ (full output in $log):"
grep '^wrote ' "$log" | sed 's/^wrote /  wrote /'
tiles=$(grep -m1 '^out of core' "$log" | sed 's/ (boxes of.*//; s/^out of core: //')
same=$(cmp -s out/phantom_tiles.npy out/phantom_smooth.npy && echo "equal to" || echo "different from")
echo "  out of core (--memory 1M): $tiles, $same out/phantom_smooth.npy byte for byte"
best=$(grep -A1 '^rank' "$log" | tail -1 | awk '{print "x=" $2 " y=" $3 " score " $4}')
echo "  match: samples/camera_face.png found in samples/camera.png at $best (top-left corner)"
echo "  compare (gaussian:4, 33x33, same mode):"
sed -n 's/^\(max |fft - direct|\|max error \/ max |out|\|direct      median\|fft         median\|speed-up\|automatic \)/    &/p' "$log"
echo "  delay: samples/voice_far.wav lags samples/voice.wav by $(grep -A1 '^delay of' "$log" | tail -1 | sed 's/;.*//') (GCC-PHAT)"
echo "  find: samples/word.wav occurs in samples/voice.wav at $(grep '^1\. ' "$log" | sed 's/^1\. //')"
echo "  pictures of the signals: out/voice_delay.png (the delay), out/voice_find.png (the word found),"
echo "    out/voice_smooth.png (voice.wav smoothed into out/voice_smooth.csv)"
echo "  shape: a 2x2 input through a transposed 3x3 conv of stride 2 gives $(sed -n '/^\$ fftconv shape/,$p' "$log" | grep -m1 '^output ' | sed 's/^output //');"
echo "    out/shape_transposed.png draws the window at each of its output positions"
