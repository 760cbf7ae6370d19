#!/usr/bin/env bash
# Regenerates what docs/ and samples/ show of the fftconv tool: samples/camera_face.png (a crop
# of camera.png, the demo's template) and the before/after pictures in docs/images/, each made by
# running the real command on samples/. Needs python3-opencv (installed if missing) to crop and
# to put pictures side by side.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/common.sh

FFTCONV_PACKAGES+=(python3-opencv)
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
camera = cv2.imread("samples/camera.png", cv2.IMREAD_GRAYSCALE)
cv2.imwrite("samples/camera_face.png", camera[108:172, 186:250])  # 64x64, the photographer's face
PY

"$fftconv" sobel samples/camera.png "$tmp/sobel.png" --magnitude
"$fftconv" blur samples/chelsea.png "$tmp/blur.png" --sigma 3
"$fftconv" lowpass samples/camera.png "$tmp/lowpass.png" --cutoff 0.1 --shape butterworth --spectrum "$tmp/spectrum.png"
"$fftconv" match samples/camera.png samples/camera_face.png --top 3 --annotate "$tmp/match.png" --scores "$tmp/scores.png"
"$fftconv" conv samples/camera.png laplacian "$tmp/conv.png" --mode same
"$fftconv" compare samples/camera.png gaussian:4 --mode same --diff "$tmp/diff.png" --repeat 1

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
PY
ls -l docs/images samples/camera_face.png
