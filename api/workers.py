"""Threads that make the blocking calls to the reading store and the registry.

The adapters are synchronous. FastAPI would run them on anyio's worker threads, which exit
after 10 s idle; the embedded store keeps one SQLite connection per thread and closes them
only when the store closes, so recycled threads would pile up open connections. These threads
live as long as the app, and their number bounds how many store calls run at once.
"""

from __future__ import annotations

import asyncio
import functools
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")


class Workers:
    """A fixed pool of threads for blocking calls, started on first use."""

    def __init__(self, size: int) -> None:
        if size < 1:
            raise ValueError(f"size must be at least 1, not {size}")
        self.size = size
        self._executor: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()

    async def run(self, function: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
        """Call ``function(*args, **kwargs)`` on a worker thread and wait for it."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(
            self._pool(), functools.partial(function, *args, **kwargs)
        )

    def _pool(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._executor is None:
                self._executor = ThreadPoolExecutor(
                    max_workers=self.size, thread_name_prefix="byggpuls-api"
                )
            return self._executor

    def close(self) -> None:
        """Wait for running calls and stop the threads; the next call starts new ones."""
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)
