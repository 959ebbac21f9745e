"""The portfolio's shared part, kept a few seconds between requests."""

from __future__ import annotations

import asyncio
from datetime import datetime
from pathlib import Path

from fastapi.testclient import TestClient

from api.settings import ApiSettings
from api.snapshot import PortfolioCache, RegistryPart
from byggpuls.registry.health import HealthDay
from byggpuls.registry.repository import Registry
from byggpuls.storage.sqlite import SQLiteStore

SCHOOL = "nordnes-skole"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _part(marker: str) -> RegistryPart:
    return RegistryPart(rows=[], points={marker: []}, tallies={}, health={})


def test_a_part_is_kept_for_its_seconds_then_refreshed_without_making_anyone_wait() -> None:
    clock = Clock()
    cache = PortfolioCache(10.0, clock=clock)
    loads: list[str] = []

    async def load() -> RegistryPart:
        loads.append("load")
        return _part(f"load {len(loads)}")

    async def run() -> list[RegistryPart]:
        first = await cache.registry_part(load)
        clock.now += 9.9
        kept = await cache.registry_part(load)  # fresh: kept
        clock.now += 0.2
        stale = await cache.registry_part(load)  # stale: answered, refreshed behind it
        await asyncio.sleep(0.01)
        refreshed = await cache.registry_part(load)
        clock.now += 31.0  # older than three times its seconds: read before answering
        old = await cache.registry_part(load)
        cache.clear()
        cleared = await cache.registry_part(load)
        return [first, kept, stale, refreshed, old, cleared]

    first, kept, stale, refreshed, old, cleared = asyncio.run(run())
    assert kept is first
    assert stale is first
    assert list(refreshed.points) == ["load 2"]
    assert list(old.points) == ["load 3"]
    assert list(cleared.points) == ["load 4"]
    assert len(loads) == 4


def test_requests_at_once_share_one_refresh() -> None:
    cache = PortfolioCache(10.0)
    loads = 0

    async def load() -> RegistryPart:
        nonlocal loads
        loads += 1
        await asyncio.sleep(0.01)
        return _part("shared")

    async def run() -> list[RegistryPart]:
        return list(await asyncio.gather(*(cache.registry_part(load) for _ in range(8))))

    parts = asyncio.run(run())
    assert loads == 1
    assert all(part is parts[0] for part in parts)


def test_readings_the_store_did_not_give_are_not_kept() -> None:
    cache = PortfolioCache(10.0)
    answers = [None, {SCHOOL: []}]

    async def load() -> dict[str, list[object]] | None:
        return answers.pop(0)  # type: ignore[return-value]

    async def run() -> list[object]:
        return [await cache.latest(load), await cache.latest(load), await cache.latest(load)]

    failed, found, kept = asyncio.run(run())
    assert failed is None
    assert found == {SCHOOL: []}
    assert kept is found  # read once the store answered, then kept


def test_nothing_is_kept_with_zero_seconds() -> None:
    cache = PortfolioCache(0.0)
    loads = 0

    async def load() -> RegistryPart:
        nonlocal loads
        loads += 1
        return _part("x")

    async def run() -> None:
        for _ in range(3):
            await cache.registry_part(load)

    asyncio.run(run())
    assert loads == 3


def test_the_list_is_kept_until_a_change_made_through_the_api(
    *,
    tmp_path: Path,
    registry: Registry,
    store: SQLiteStore,
    findings: dict[str, int],
    now: datetime,
    make_client,
) -> None:
    settings = ApiSettings(data_dir=tmp_path, api_auth="demo", api_portfolio_cache_s=300)
    client: TestClient = make_client(store=store, registry=registry, settings=settings)

    def school() -> dict[str, object]:
        items = client.get("/api/v1/buildings").json()["items"]
        found: dict[str, object] = next(item for item in items if item["id"] == SCHOOL)
        return found

    assert school()["health"]["score"] == 74.5  # type: ignore[index]
    # The analytics score the school again: the list keeps its copy for its seconds ...
    registry.record_health([HealthDay(SCHOOL, now.date(), 52.0, "act", {})])
    assert school()["health"]["score"] == 74.5  # type: ignore[index]
    # ... until a change made through the API, which shows at once with everything else.
    response = client.post(f"/api/v1/findings/{findings['open']}/acknowledge")
    assert response.status_code == 200
    after = school()
    assert after["health"]["score"] == 52.0  # type: ignore[index]
    assert after["findings"]["open"] == 0  # type: ignore[index]
    assert after["findings"]["acknowledged"] == 2  # type: ignore[index]


def test_what_is_derived_from_the_parts_is_made_once_per_refresh() -> None:
    clock = Clock()
    cache = PortfolioCache(10.0, clock=clock)
    made: list[int] = []

    def make() -> int:
        made.append(1)
        return len(made)

    first, second = _part("a"), _part("b")
    assert cache.derived((first,), make) == 1
    assert cache.derived((first,), make) == 1  # the same part: made once
    assert cache.derived((second,), make) == 2  # another part (equal or not): made again
    cache.clear()
    assert cache.derived((second,), make) == 3  # after a change: made again
