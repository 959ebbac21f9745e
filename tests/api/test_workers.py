"""The worker threads that make blocking store calls."""

from __future__ import annotations

import asyncio
import threading

import pytest

from api.workers import Workers


def test_calls_run_on_a_fixed_set_of_threads() -> None:
    workers = Workers(2)
    # Each call waits for a partner, so both threads serve every round however the scheduler
    # runs them (the timeout only keeps a broken pool from hanging the test).
    both_busy = threading.Barrier(2, timeout=60)

    def name() -> str:
        both_busy.wait()
        return threading.current_thread().name

    async def names() -> set[str]:
        calls = [workers.run(name) for _ in range(20)]
        return set(await asyncio.gather(*calls))

    try:
        first = asyncio.run(names())
        second = asyncio.run(names())
    finally:
        workers.close()
    assert len(first | second) <= 2
    assert all(name.startswith("byggpuls-api") for name in first)
    # The same threads serve later calls, so per-thread connections are reused.
    assert first & second


def test_errors_reach_the_caller_and_close_restarts() -> None:
    workers = Workers(1)

    def fail(message: str) -> None:
        raise ValueError(message)

    with pytest.raises(ValueError, match="boom"):
        asyncio.run(workers.run(fail, "boom"))
    workers.close()
    assert asyncio.run(workers.run(lambda: 42)) == 42
    workers.close()


def test_size_must_be_positive() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        Workers(0)
