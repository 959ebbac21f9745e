"""The portfolio's shared part, kept for a few seconds: what every list and page of many
buildings reads.

With a thousand buildings, reading the registry's buildings, points, findings tallies and
daily health, and the store's newest readings of every building, costs some hundreds of
milliseconds; a screen on the wall and a few facility managers ask for it every minute. A
:class:`PortfolioCache` keeps the last answer for ``ttl_s`` seconds (``api_portfolio_cache_s``,
0 keeps nothing); after that, one refresh runs in the background while requests are answered
with the answer it replaces (up to :data:`STALE_FACTOR` times ``ttl_s`` old), so no request
waits for it; an answer older than that, or none, is read before answering, one request
reading while the others wait for it. A
change made through the API (a finding acknowledged) clears it at once; a change made by the
analytics or ingest shows within ``ttl_s``. Scopes are applied to the cached portfolio per
request, so every caller shares one copy.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from byggpuls.reading import Reading
from byggpuls.registry.findings import UnresolvedTally
from byggpuls.registry.health import HealthDayRow
from byggpuls.registry.rows import BuildingRow, PointRow

T = TypeVar("T")
logger = logging.getLogger(__name__)
#: A value up to this many times ``ttl_s`` old is still answered with while it is refreshed
#: in the background; an older one is read afresh before answering.
STALE_FACTOR = 3.0


@dataclass(frozen=True, slots=True)
class RegistryPart:
    """What the registry says of every building: rows, points, unresolved findings' tallies
    and newest health."""

    rows: Sequence[BuildingRow]
    points: Mapping[str, list[PointRow]]
    tallies: Mapping[str, UnresolvedTally]
    health: Mapping[str, HealthDayRow]


class _Slot(Generic[T]):
    """One cached value, its age, and the lock that lets one request refresh it."""

    def __init__(self) -> None:
        self.value: T | None = None
        self.taken = 0.0
        self.lock = asyncio.Lock()


class PortfolioCache:
    """The registry part and the newest readings of every building, each kept ``ttl_s``."""

    def __init__(self, ttl_s: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl_s = ttl_s
        self._clock = clock
        self._registry: _Slot[RegistryPart] = _Slot()
        self._latest: _Slot[Mapping[str, list[Reading]]] = _Slot()
        self._derived: tuple[tuple[object, ...], Any] | None = None
        #: Background refreshes under way (held, so that they are not collected mid-way).
        self._tasks: set[asyncio.Future[None]] = set()

    async def registry_part(self, load: Callable[[], Awaitable[RegistryPart]]) -> RegistryPart:
        """The cached registry part, or ``load()``'s when it is older than ``ttl_s``."""
        part = await self._get(self._registry, load)
        if part is None:  # load() returns a part or raises
            raise RuntimeError("the registry part was not loaded")
        return part

    async def latest(
        self, load: Callable[[], Awaitable[Mapping[str, list[Reading]] | None]]
    ) -> Mapping[str, list[Reading]] | None:
        """Every building's newest readings, or None where ``load`` could not read them all
        (a store that did not answer): such an answer is not kept."""
        return await self._get(self._latest, load)

    def clear(self) -> None:
        """Forget everything: the next request reads afresh (after a change made here)."""
        for slot in (self._registry, self._latest):
            slot.value = None
        self._derived = None

    def derived(self, sources: tuple[object, ...], make: Callable[[], T]) -> T:
        """``make()``, kept while ``sources`` (cached values) are the same objects: what is
        computed from the cached parts (each building's points joined with its readings)
        is computed once per refresh, not once per request."""
        if self.ttl_s <= 0:
            return make()
        # The sources themselves are held (and compared by identity), so that a new object can
        # never pass for an old one that happened to have its address.
        kept = self._derived
        if (
            kept is not None
            and len(kept[0]) == len(sources)
            and all(old is new for old, new in zip(kept[0], sources, strict=True))
        ):
            found: T = kept[1]
            return found
        value = make()
        self._derived = (sources, value)
        return value

    async def _get(self, slot: _Slot[T], load: Callable[[], Awaitable[T | None]]) -> T | None:
        if self.ttl_s <= 0:
            return await load()
        if self._fresh(slot):
            return slot.value
        if slot.value is not None and self._clock() - slot.taken < STALE_FACTOR * self.ttl_s:
            # Stale but recent: answer with it while one refresh runs in the background, so
            # that no request waits for the refresh.
            if not slot.lock.locked():
                task = asyncio.ensure_future(self._refresh(slot, load))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
            return slot.value
        async with slot.lock:
            if self._fresh(slot):  # refreshed by the request this one waited for
                return slot.value
            value = await load()
            if value is not None:
                slot.value, slot.taken = value, self._clock()
            return value

    async def _refresh(self, slot: _Slot[T], load: Callable[[], Awaitable[T | None]]) -> None:
        async with slot.lock:
            if self._fresh(slot):
                return
            try:
                value = await load()
            except Exception:  # the next request that finds it too old reads it itself
                logger.exception("refreshing the cached portfolio failed")
                return
            if value is not None:
                slot.value, slot.taken = value, self._clock()

    def _fresh(self, slot: _Slot[T]) -> bool:
        return slot.value is not None and self._clock() - slot.taken < self.ttl_s
