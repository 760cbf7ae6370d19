#!/usr/bin/env python3
"""Writes the seed corpus of the fuzz targets into tests/fuzz/corpus/ (run from anywhere; needs
python3-opencv and numpy). The files are small on purpose: libFuzzer mutates them, and a small
seed keeps each run fast. The output is deterministic; the corpus in the repository is this
script's output plus the regress_* files, inputs that once exposed a bug (docs/fuzzing.md)."""
import os
import pathlib

os.environ.setdefault("OPENCV_IO_ENABLE_OPENEXR", "1")  # before cv2 is imported

import cv2  # noqa: E402
import numpy as np  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parent / "corpus"
rng = np.random.default_rng(2024)


def out_dir(target):
    d = ROOT / target
    d.mkdir(parents=True, exist_ok=True)
    return d


def images():
    d = out_dir("fuzz_image_input")
    gray8 = rng.integers(0, 256, (5, 4), dtype=np.uint8)
    colour8 = rng.integers(0, 256, (3, 4, 3), dtype=np.uint8)
    files = {
        "gray8.png": (gray8, []),
        "gray16.png": (rng.integers(0, 65536, (4, 3), dtype=np.uint16), []),
        "rgba8.png": (rng.integers(0, 256, (3, 3, 4), dtype=np.uint8), []),
        "colour.bmp": (colour8, []),
        "gray.pgm": (gray8, [cv2.IMWRITE_PXM_BINARY, 1]),
        "gray_ascii.pgm": (gray8, [cv2.IMWRITE_PXM_BINARY, 0]),
        "colour.ppm": (colour8, [cv2.IMWRITE_PXM_BINARY, 1]),
        "colour.jpg": (rng.integers(0, 256, (8, 8, 3), dtype=np.uint8), [cv2.IMWRITE_JPEG_QUALITY, 90]),
        "float.tiff": (rng.standard_normal((3, 4)).astype(np.float32), []),
        "gray8_lzw.tiff": (gray8, [cv2.IMWRITE_TIFF_COMPRESSION, 5]),
        "float.pfm": (rng.random((3, 3)).astype(np.float32), []),
        "colour.hdr": (rng.random((4, 4, 3)).astype(np.float32), []),
        "float.exr": (rng.random((2, 3)).astype(np.float32), []),
        "colour.ras": (colour8, []),
        "colour.webp": (rng.integers(0, 256, (4, 4, 3), dtype=np.uint8), [cv2.IMWRITE_WEBP_QUALITY, 101]),
    }
    for name, (pixels, params) in files.items():
        path = d / name
        if not cv2.imwrite(str(path), pixels, params):
            print(f"skipped {name}: this OpenCV cannot write it")
            continue
        back = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
        assert back is not None and back.shape[:2] == pixels.shape[:2], name
    # Text matrices: a KERNEL file that is not an image.
    (d / "matrix.txt").write_text("1 2 1\n0 0 0\n-1 -2 -1\n")
    (d / "matrix_commas.txt").write_text("# a comment\n0.25, 0.5,0.25\n\t1e-3,-2E+1 , 3\n")


def kernels():
    d = out_dir("fuzz_kernel_parser")
    specs = [
        "1,2,1;0,0,0;-1,-2,-1", "0.5", "1 2\t3;4,5,6", "-1e-3,+2.5E+2;.5,7.",
        "gaussian:1.5", "gaussian:0.3", "box:3", "box:2x5", "random:3x4:7", "random:2x2",
        "sobel-x", "sobel-y", "scharr-x", "scharr-y", "laplacian",
        "1,2;3", "gaussian:", "box:0", "random:3x:x", "1;;2",
    ]
    for i, s in enumerate(specs):
        (d / f"spec{i:02d}").write_text(s)


def api_cases():
    # Arbitrary bytes are all valid cases: the target decodes its parameters from the end of the
    # input and the values from the front. A few lengths, so that both short and long value
    # streams occur.
    d = out_dir("fuzz_api")
    for i, n in enumerate([8, 16, 32, 64, 128, 256, 512, 1024]):
        (d / f"case{i}").write_bytes(rng.integers(0, 256, n, dtype=np.uint8).tobytes())


def nn_cases():
    # fuzz_nn reads its layer from the front of the input, values after: random bytes of a few
    # lengths are all cases.
    d = out_dir("fuzz_nn")
    own = np.random.default_rng(2026)  # its own stream: these files do not move when others change
    for i, n in enumerate([16, 48, 128, 512, 2048]):
        (d / f"case{i}").write_bytes(own.integers(0, 256, n, dtype=np.uint8).tobytes())


if __name__ == "__main__":
    images()
    kernels()
    api_cases()
    nn_cases()
    total = sum(f.stat().st_size for f in ROOT.rglob("*") if f.is_file())
    print(f"corpus: {sum(1 for f in ROOT.rglob('*') if f.is_file())} files, {total} bytes in {ROOT}")
