#!/usr/bin/env bash
# Proof that `pip install .` works as the README says: a fresh virtual environment that sees
# Debian's numpy, pip building the package offline through meson-python (pyproject.toml), then
# `import fftconv` from outside the source tree, checked against one known answer and scipy.
#   check_pip_install.sh PYTHON
set -euo pipefail
python=${1:-python3}
src=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$python" -c 'import mesonpy' 2>/dev/null || { echo "meson-python is missing: apt-get install python3-mesonpy"; exit 1; }
"$python" -m venv --system-site-packages "$work/venv" || { echo "no venv module: apt-get install python3-venv"; exit 1; }
start=$SECONDS
"$work/venv/bin/pip" install --no-build-isolation --no-index --no-deps "$src" >"$work/pip.log" 2>&1 ||
    { cat "$work/pip.log"; exit 1; }
echo "pip install --no-build-isolation .: $((SECONDS - start)) s"
cd "$work"
"$work/venv/bin/python" - "$work/venv" <<'PY'
import sys

import numpy as np
import scipy.signal

import fftconv

assert fftconv.__file__.startswith(sys.argv[1]), f"imported {fftconv.__file__}, not the venv's copy"
got = fftconv.convolve([1.0, 2.0, 3.0], [0.0, 1.0, 0.5], mode="same")
assert got.tolist() == [1.0, 2.5, 4.0], got
rng = np.random.default_rng(5)
a, k = rng.standard_normal((64, 70)), rng.standard_normal((9, 4))
assert np.allclose(fftconv.fftconvolve(a, k), scipy.signal.fftconvolve(a, k), atol=1e-12)
print("import fftconv from", fftconv.__file__, ": convolve and fftconvolve as expected")
PY
