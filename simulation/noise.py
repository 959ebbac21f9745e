"""Counter-based random numbers: the same (key, counter) always gives the same value.

The simulation draws its randomness from a hash of a key (building, stream) and a counter (step
index, sample time, day), not from a sequential generator. A value therefore does not depend on
how the run was cut into ``advance`` calls, on the sampling interval, or on what else was drawn
before it, which is what makes the output reproducible bit for bit.
"""

from __future__ import annotations

import hashlib
import random
from typing import Final

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

_GOLDEN: Final = 0x9E3779B97F4A7C15
_MIX1: Final = 0xBF58476D1CE4E5B9
_MIX2: Final = 0x94D049BB133111EB
_UNIT: Final = 2.0**-53


def derive_key(*parts: int | str) -> int:
    """A 64-bit key from seeds and names, stable across processes and Python versions."""
    digest = hashlib.blake2b("\x1f".join(str(part) for part in parts).encode(), digest_size=8)
    return int.from_bytes(digest.digest(), "little")


def draws(*parts: int | str) -> random.Random:
    """A sequential generator for one-off draws (a building's profile, its faults), keyed like
    :func:`derive_key`. Python's own, so that a gateway need not load ``numpy.random``."""
    return random.Random(derive_key(*parts))


def _splitmix(x: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    # SplitMix64's finaliser: a bijection on 64-bit integers with good avalanche. Array
    # arithmetic on uint64 wraps silently, which is what the hash wants.
    x = x + np.uint64(_GOLDEN)
    x = (x ^ (x >> np.uint64(30))) * np.uint64(_MIX1)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(_MIX2)
    return x ^ (x >> np.uint64(31))


def _bits(key: int, counters: npt.ArrayLike) -> npt.NDArray[np.uint64]:
    counter = np.asarray(counters, dtype=np.int64).astype(np.uint64)
    return _splitmix(_splitmix(counter) ^ np.uint64(key & 0xFFFFFFFFFFFFFFFF))


def uniform(key: int, counters: npt.ArrayLike) -> FloatArray:
    """Uniform values in [0, 1), one per counter."""
    return (_bits(key, counters) >> np.uint64(11)).astype(np.float64) * _UNIT


def normal(key: int, counters: npt.ArrayLike) -> FloatArray:
    """Standard normal values, one per counter (Box-Muller on two hashed uniforms)."""
    u1 = 1.0 - uniform(key, counters)  # in (0, 1], so the logarithm is finite
    u2 = uniform(key ^ _GOLDEN, counters)
    result: FloatArray = np.sqrt(-2.0 * np.log(u1)) * np.cos(2.0 * np.pi * u2)
    return result
