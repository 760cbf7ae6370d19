#!/usr/bin/env bash
# Makes the audio samples in samples/ (see samples/SOURCES.md): speech from espeak-ng, a
# synthetic room response, a delayed and reverberant copy of the speech, and a snippet cut from
# it. Run once; the files are committed. Needs espeak-ng, python3-numpy and python3-scipy
# (installed if missing).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/common.sh
FFTCONV_PACKAGES+=(espeak-ng python3-numpy python3-scipy)
ensure_packages
py=""
for candidate in python3 /usr/bin/python3; do
    if "$candidate" -c "import numpy, scipy" 2>/dev/null; then py=$candidate; break; fi
done
[ -n "$py" ] || { echo "error: no python3 with numpy and scipy" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
espeak-ng -v en-us -s 150 -w "$tmp/voice.wav" "Convolution is multiplication in the frequency domain."
"$py" - "$tmp/voice.wav" <<'PY'
import sys

import numpy as np
from scipy.io import wavfile

rate, voice = wavfile.read(sys.argv[1])  # espeak-ng: 22050 Hz, 16-bit mono
rng = np.random.default_rng(14)
# samples/voice.wav: the speech as espeak-ng made it.
wavfile.write("samples/voice.wav", rate, voice)
# samples/room.wav: a room's impulse response, 0.6 s: the direct path (1 at sample 0), six early
# reflections between 5 and 40 ms, and a tail of Gaussian noise decaying 60 dB in 0.5 s, as float.
n = int(0.6 * rate)
t = np.arange(n) / rate
room = rng.standard_normal(n) * 0.25 * 10 ** (-3 * t / 0.5)
room[: int(0.005 * rate)] = 0
room[0] = 1
for delay, gain in [(0.005, 0.6), (0.009, -0.45), (0.013, 0.4), (0.021, 0.3), (0.029, -0.25), (0.04, 0.2)]:
    room[int(delay * rate)] += gain
wavfile.write("samples/room.wav", rate, room.astype(np.float32))
# samples/voice_far.wav: the speech 271 samples (12.3 ms) later, through the first 50 ms of the
# room, with noise 30 dB below the speech: what a second, farther microphone hears.
x = voice.astype(np.float64) / 32768
far = np.convolve(x, room[: int(0.05 * rate)])[: x.size]
far = np.concatenate([np.zeros(271), far[: x.size - 271]])
far += rng.standard_normal(x.size) * np.sqrt(np.mean(x**2)) * 10 ** (-30 / 20)
far *= 0.5 / np.max(np.abs(far))
wavfile.write("samples/voice_far.wav", rate, np.round(far * 32767).astype(np.int16))
# samples/word.wav: 1.40 s to 1.90 s of the speech ("multiplication"), to be found in it.
wavfile.write("samples/word.wav", rate, voice[int(1.40 * rate) : int(1.90 * rate)])
PY
ls -l samples/voice.wav samples/room.wav samples/voice_far.wav samples/word.wav
