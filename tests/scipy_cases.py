"""What the scipy cross-checks (scipy_check.py, scipy_check_nd.py, scipy_check_ndimage.py) share:
the element types with their tolerances, random operands, and the text that carries values to
their drivers exactly. Imports numpy: import it where a missing numpy is already handled."""
import numpy as np

# Largest accepted error, relative to the largest |value| of scipy's result.
TOLERANCE = {"float32": 1e-5, "complex64": 1e-5, "float64": 1e-12, "complex128": 1e-12}
NUMPY_TYPE = {"float32": np.float32, "float64": np.float64, "complex64": np.complex64, "complex128": np.complex128}
DTYPES = list(TOLERANCE)


def random_array(rng, shape, dtype):
    x = rng.uniform(-1, 1, shape)
    if dtype.startswith("complex"):
        x = x + 1j * rng.uniform(-1, 1, shape)
    return x.astype(NUMPY_TYPE[dtype])


def values_text(x):
    # 9 significant digits give a float back exactly, 17 a double.
    digits = 9 if x.dtype in (np.float32, np.complex64) else 17
    flat = x.ravel()
    if np.iscomplexobj(flat):
        flat = np.column_stack([flat.real, flat.imag]).ravel()
    return " ".join(f"{v:.{digits}g}" for v in flat.astype(np.float64))
