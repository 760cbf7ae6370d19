"""Process-wide settings: threads, the memory limit, FFTW's planner effort and its wisdom."""

from . import _fftconv

_EFFORTS = ["estimate", "measure", "patient"]


def set_threads(n):
    """Threads one call may use (1, the default, keeps each call on the caller's thread; 0: every
    core). Results do not depend on it beyond rounding. A call's workers= overrides it for that
    call."""
    _fftconv.set_threads(int(n))


def threads():
    """The count set_threads chose."""
    return _fftconv.threads()


def set_memory_limit(nbytes):
    """The most memory one call may need, in bytes (0, the default: this machine's memory). A call
    that would need more raises MemoryError naming the bytes, before anything is allocated."""
    _fftconv.set_memory_limit(int(nbytes))


def memory_limit():
    """The limit in force, in bytes: set_memory_limit's, or this machine's memory."""
    return _fftconv.memory_limit()


def set_planner_effort(effort):
    """FFTW's planner effort for the one-shot calls: 'estimate' (the default: instant planning),
    'measure' or 'patient' (plans ~1.5x faster at awkward sizes; planning a large transform takes
    seconds, so pair it with load_wisdom / save_wisdom). Convolver takes its own effort."""
    if effort not in _EFFORTS:
        raise ValueError(f"effort must be 'estimate', 'measure' or 'patient', not {effort!r}")
    _fftconv.set_planner_effort(_EFFORTS.index(effort))


def planner_effort():
    return _EFFORTS[_fftconv.planner_effort()]


def load_wisdom(path):
    """Load FFTW wisdom (the plans measure/patient planning learned) from a file save_wisdom
    wrote; False when the file does not exist, OSError when it cannot be read or parsed."""
    return _fftconv.load_wisdom(str(path))


def save_wisdom(path):
    """Save FFTW's wisdom, both precisions, to `path` (written to a temporary file and renamed)."""
    _fftconv.save_wisdom(str(path))
