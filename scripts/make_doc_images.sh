#!/usr/bin/env bash
# Regenerates what docs/ and samples/ show of the fftconv tool: samples/camera_face.png (a crop
# of camera.png, the demo's template), samples/phantom.npy (a noisy 3D phantom, the volume
# example) and the before/after pictures in docs/images/, each made by running the real command
# on samples/. Needs python3-opencv and python3-numpy (installed if missing).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/common.sh

FFTCONV_PACKAGES+=(python3-opencv python3-numpy)
ensure_packages
[ -x build/apps/fftconv ] || configure_and_build build --buildtype=release
py=""
for candidate in python3 /usr/bin/python3; do
    if "$candidate" -c "import cv2" 2>/dev/null; then py=$candidate; break; fi
done
[ -n "$py" ] || { echo "error: no python3 with cv2 (python3-opencv)" >&2; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fftconv=build/apps/fftconv

"$py" - <<'PY'
import cv2
import numpy as np

camera = cv2.imread("samples/camera.png", cv2.IMREAD_GRAYSCALE)
cv2.imwrite("samples/camera_face.png", camera[108:172, 186:250])  # 64x64, the photographer's face

# samples/phantom.npy: a 64x96x96 (slices, rows, columns) uint8 volume, the 3D Shepp-Logan head
# phantom (Kak and Slaney's ten ellipsoids, with the higher-contrast intensities of Toft's
# modified 2D phantom) at 200 per unit plus 20, with Gaussian noise of standard deviation 15
# (numpy's default_rng(7)), clipped to 0..255.
ellipsoids = [  # intensity, semi-axes a b c, centre x y z, rotation about z in degrees
    (1.0, .69, .92, .90, 0, 0, 0, 0), (-.8, .6624, .874, .88, 0, -.0184, 0, 0),
    (-.2, .11, .31, .22, .22, 0, 0, -18), (-.2, .16, .41, .28, -.22, 0, 0, 18),
    (.1, .21, .25, .41, 0, .35, -.15, 0), (.1, .046, .046, .05, 0, .1, .25, 0),
    (.1, .046, .046, .05, 0, -.1, .25, 0), (.1, .046, .023, .05, -.08, -.605, 0, 0),
    (.1, .023, .023, .02, 0, -.606, 0, 0), (.1, .023, .046, .02, .06, -.605, 0, 0),
]
z = np.linspace(-1, 1, 64)[:, None, None]
y = np.linspace(1, -1, 96)[None, :, None]
x = np.linspace(-1, 1, 96)[None, None, :]
volume = np.zeros((64, 96, 96))
for value, a, b, c, x0, y0, z0, phi in ellipsoids:
    t = np.deg2rad(phi)
    xr = (x - x0) * np.cos(t) + (y - y0) * np.sin(t)
    yr = -(x - x0) * np.sin(t) + (y - y0) * np.cos(t)
    volume += value * ((xr / a) ** 2 + (yr / b) ** 2 + ((z - z0) / c) ** 2 <= 1)
noise = np.random.default_rng(7).normal(0, 15, volume.shape)
np.save("samples/phantom.npy", np.clip(volume * 200 + 20 + noise, 0, 255).astype(np.uint8))
PY

"$fftconv" sobel samples/camera.png "$tmp/sobel.png" --magnitude
"$fftconv" blur samples/chelsea.png "$tmp/blur.png" --sigma 3
"$fftconv" lowpass samples/camera.png "$tmp/lowpass.png" --cutoff 0.1 --shape butterworth --spectrum "$tmp/spectrum.png"
"$fftconv" match samples/camera.png samples/camera_face.png --top 3 --annotate "$tmp/match.png" --scores "$tmp/scores.png"
"$fftconv" conv samples/camera.png laplacian "$tmp/conv.png" --mode same
"$fftconv" compare samples/camera.png gaussian:4 --mode same --diff "$tmp/diff.png" --repeat 1
"$fftconv" conv samples/phantom.npy gaussian:2 "$tmp/phantom_smooth.npy" --mode same --border reflect
# The signal commands draw their own pictures (--plot).
mkdir -p docs/images
"$fftconv" delay samples/voice.wav samples/voice_far.wav --method phat --plot docs/images/delay.png
"$fftconv" find samples/voice.wav samples/word.wav --top 3 --plot docs/images/find.png
"$fftconv" compare samples/voice.wav samples/room.wav --diff docs/images/compare_signal.png --repeat 1
"$fftconv" shape --input 5x5 --kernel 3 --stride 2 --padding 1 --draw docs/images/shape_conv.png
"$fftconv" shape --input 2x2 --kernel 3 --stride 2 --transposed --draw docs/images/shape_transposed.png

mkdir -p docs/images
TMP="$tmp" "$py" - <<'PY'
import os
import cv2
import numpy as np

tmp = os.environ["TMP"]
def panel(path, height=200):
    img = cv2.imread(path, cv2.IMREAD_COLOR)
    return cv2.resize(img, (round(img.shape[1] * height / img.shape[0]), height), interpolation=cv2.INTER_AREA)

def side_by_side(name, *paths):
    gap = np.full((200, 6, 3), 255, np.uint8)
    row = [panel(p) for p in paths]
    out = row[0]
    for p in row[1:]:
        out = np.hstack([out, gap, p])
    cv2.imwrite(f"docs/images/{name}.png", out, [cv2.IMWRITE_PNG_COMPRESSION, 9])

side_by_side("sobel", "samples/camera.png", f"{tmp}/sobel.png")
side_by_side("blur", "samples/chelsea.png", f"{tmp}/blur.png")
side_by_side("lowpass", "samples/camera.png", f"{tmp}/lowpass.png", f"{tmp}/spectrum.png")
side_by_side("match", "samples/camera_face.png", f"{tmp}/match.png", f"{tmp}/scores.png")
side_by_side("conv", "samples/camera.png", f"{tmp}/conv.png")
side_by_side("compare", "samples/camera.png", f"{tmp}/diff.png")

# A slice across the volume (z = 32, the middle, through the ventricles) and one along it (column 48),
# before and after the 3D blur, on the same gray scale: 0..128 from black to white (the skull,
# 220, is clipped), where the structures inside lie.
before = np.load("samples/phantom.npy").astype(np.float32)
after = np.load(f"{tmp}/phantom_smooth.npy")
for name, v in (("before", before), ("after", after)):
    shown = np.clip(v * 2, 0, 255).astype(np.uint8)
    across = shown[32]
    along = cv2.resize(shown[:, :, 48], (96, 96), interpolation=cv2.INTER_NEAREST)
    cv2.imwrite(f"{tmp}/{name}_across.png", across)
    cv2.imwrite(f"{tmp}/{name}_along.png", along)
side_by_side("volume", f"{tmp}/before_across.png", f"{tmp}/after_across.png", f"{tmp}/before_along.png",
             f"{tmp}/after_along.png")
PY
ls -l docs/images samples/camera_face.png samples/phantom.npy
