"""Keeps the gateway's resident memory small on a Raspberry-Pi-class device (glibc's malloc).

Two things made the gateway hold more memory than it uses:

- Python compiles every imported module that has no cached bytecode (an install without it,
  a read-only one, ``PYTHONDONTWRITEBYTECODE``) and frees the syntax trees afterwards; the
  freed blocks stay in the middle of malloc's heap, resident but unused: ~3 MB once the
  simulation's numpy is imported. :func:`release_free_memory` gives such pages back, so that
  what the gateway allocates next (spools, threads, readings) does not come on top of them.
- glibc gives a thread that allocates while another holds the lock its own arena (up to eight
  per core), each with its own free memory. The gateway's threads (driver, publisher, MQTT
  loop) take turns on the GIL and allocate little outside it, so they share one.

Both do nothing where the C library is not glibc (musl, macOS).
"""

from __future__ import annotations

import ctypes
import functools
import gc
import os
from typing import Final

#: Malloc arenas for all threads of the gateway.
MALLOC_ARENAS: Final = 1
#: ``M_ARENA_MAX`` of glibc's ``<malloc.h>``.
_M_ARENA_MAX: Final = -8


@functools.cache
def _glibc() -> ctypes.CDLL | None:
    try:
        if not os.confstr("CS_GNU_LIBC_VERSION"):
            return None
    except (AttributeError, ValueError, OSError):  # no confstr, or not glibc
        return None
    return ctypes.CDLL(None)


def limit_malloc_arenas(count: int = MALLOC_ARENAS) -> None:
    """Let all threads share ``count`` malloc arenas; call it before starting threads."""
    libc = _glibc()
    if libc is not None:
        libc.mallopt(_M_ARENA_MAX, count)


def release_free_memory() -> None:
    """Collect garbage and return the free pages of malloc's heap to the system."""
    gc.collect()
    libc = _glibc()
    if libc is not None:
        libc.malloc_trim(0)
