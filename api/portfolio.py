"""Buildings as people see them: the registry's description joined with the newest readings.

Both the JSON API and the dashboard read buildings through :class:`Portfolio`, so they always
show the same thing. Calls to the store and the registry run on :class:`~api.workers.Workers`,
one building's at a time per thread, all buildings in parallel.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import MappingProxyType

from api.energy import kwh_m2_year
from api.keypoints import LABELS, KeyKind, classify, climate_alert, sort_key
from api.snapshot import PortfolioCache, RegistryPart
from api.workers import Workers
from byggpuls.errors import ByggpulsError
from byggpuls.reading import Reading
from byggpuls.registry.health import HealthDayRow
from byggpuls.registry.repository import Registry
from byggpuls.registry.rows import BuildingRow, FindingRow, FindingStatus, PointRow
from byggpuls.storage.port import ReadingReader

logger = logging.getLogger(__name__)

UNRESOLVED = (FindingStatus.OPEN, FindingStatus.ACKNOWLEDGED)
#: The readings of a list asked for without them: one object, so that what is derived from the
#: cached portfolio without readings is kept as with them (api.snapshot.PortfolioCache.derived).
_NO_READINGS: Mapping[str, list[Reading]] = MappingProxyType({})
#: Days of a building's health trend shown with the building.
TREND_DAYS = 30


@dataclass(frozen=True, slots=True)
class PointState:
    """A point of the registry with its newest reading (None if it has none) and key kind."""

    row: PointRow
    latest: Reading | None
    kind: KeyKind
    #: The building's type, whose opening hours say when its climate limits apply.
    building_type: str = "other"

    @property
    def alert(self) -> bool:
        """Whether the newest reading breaks the indoor climate limits in opening hours."""
        if self.latest is None:
            return False
        return climate_alert(
            self.kind,
            self.row.unit,
            self.latest.value,
            building_type=self.building_type,
            time_ms=self.latest.time_ms,
        )


@dataclass(slots=True)
class Tally:
    """Unresolved findings of a building and the waste they add up to."""

    open: int = 0
    acknowledged: int = 0
    waste_kwh: float = 0.0
    waste_nok: float = 0.0

    def add(self, finding: FindingRow) -> None:
        if finding.status == FindingStatus.OPEN:
            self.open += 1
        elif finding.status == FindingStatus.ACKNOWLEDGED:
            self.acknowledged += 1
        else:
            return
        self.waste_kwh += finding.waste_kwh
        self.waste_nok += finding.waste_nok

    @property
    def unresolved(self) -> int:
        return self.open + self.acknowledged


@dataclass(frozen=True, slots=True)
class KeyFigure:
    """One line of a building's summary: a kind of key point over all its points.

    One point gives one value; several (room temperatures, CO₂ in each room) give a range.
    """

    kind: KeyKind
    unit: str
    low: float
    high: float
    count: int
    time_ms: int
    building_type: str = "other"

    @property
    def label(self) -> str:
        return LABELS[self.kind]

    @property
    def alert(self) -> bool:
        """Whether any of the values breaks the indoor climate limits in opening hours."""
        return any(
            climate_alert(
                self.kind,
                self.unit,
                value,
                building_type=self.building_type,
                time_ms=self.time_ms,
            )
            for value in (self.low, self.high)
        )


@dataclass(slots=True)
class BuildingState:
    """A building, its points with their newest readings, and its unresolved findings.

    ``readings_failed`` is set when the reading store did not answer and the caller chose to
    show the building without readings rather than fail. ``health`` is the newest day the
    analytics scored (None: never scored); ``health_trend`` its recorded days, oldest first, for
    one building read alone (empty in the list).
    """

    row: BuildingRow
    points: list[PointState]
    tally: Tally = field(default_factory=Tally)
    readings_failed: bool = False
    health: HealthDayRow | None = None
    health_trend: list[HealthDayRow] = field(default_factory=list)
    #: kWh per m² and year from the energy ledger, where it was asked for and is known.
    intensity_kwh_m2: float | None = None

    @property
    def last_reading_ms(self) -> int | None:
        times = [point.latest.time_ms for point in self.points if point.latest is not None]
        return max(times, default=None)

    def key_figures(self) -> list[KeyFigure]:
        """Electricity, district heating, room temperature and CO₂, where the building has them.

        Power is the main meter's (the first point of its kind, main meters sorted first);
        temperature and CO₂ span every room that has a reading.
        """
        figures = []
        for kind in (KeyKind.ELECTRICITY_POWER, KeyKind.HEATING_POWER):
            first = next((p for p in self.points if p.kind is kind and p.latest), None)
            if first is not None and first.latest is not None:
                value = first.latest.value
                figures.append(
                    KeyFigure(kind, first.row.unit, value, value, 1, first.latest.time_ms)
                )
        for kind in (KeyKind.ZONE_TEMPERATURE, KeyKind.CO2):
            points = [p for p in self.points if p.kind is kind and p.latest is not None]
            units = {p.row.unit for p in points}
            if not points or len(units) != 1:
                continue
            readings = [p.latest for p in points if p.latest is not None]
            values = [reading.value for reading in readings]
            figures.append(
                KeyFigure(
                    kind,
                    units.pop(),
                    min(values),
                    max(values),
                    len(values),
                    max(reading.time_ms for reading in readings),
                    self.row.type,
                )
            )
        return figures


class Portfolio:
    """Reads buildings, points, readings and findings for the API and the dashboard."""

    def __init__(
        self,
        *,
        store: ReadingReader,
        registry: Registry,
        workers: Workers,
        cache: PortfolioCache | None = None,
    ) -> None:
        self.store = store
        self.registry = registry
        self.workers = workers
        #: Shared between requests (:mod:`api.snapshot`); None reads afresh every time.
        self.cache = cache or PortfolioCache(0.0)

    async def buildings(
        self, *, latest: bool, tolerate_store_errors: bool, scope: frozenset[str] | None = None
    ) -> list[BuildingState]:
        """Every building (of ``scope``, None: all), by id, with its points, findings tally and
        (if ``latest``) readings.

        With ``tolerate_store_errors``, a building whose readings cannot be read is returned
        without them (``readings_failed``) instead of failing the whole list.
        """
        part = await self.registry_part()
        rows = [row for row in part.rows if scope is None or row.id in scope]
        newest: Mapping[str, list[Reading]] = _NO_READINGS
        failed: set[str] = set()
        if latest:
            cached = await self.cache.latest(lambda: self._all_latest(part.rows))
            if cached is not None:
                newest = cached
            else:  # the store failed for some building: read the scope's, saying which
                found = await asyncio.gather(
                    *(self._latest(row.id, tolerate_store_errors=tolerate_store_errors)
                      for row in rows)
                )  # fmt: skip
                newest = {row.id: readings for row, (readings, _) in zip(rows, found, strict=True)}
                failed = {row.id for row, (_, bad) in zip(rows, found, strict=True) if bad}
        joined = self.cache.derived(
            (part, newest),
            lambda: {
                row.id: join(
                    part.points.get(row.id, []), newest.get(row.id, []), building_type=row.type
                )
                for row in part.rows
            },
        )
        states = []
        for row in rows:
            count = part.tallies.get(row.id)
            state = BuildingState(
                row,
                list(joined[row.id]),
                readings_failed=row.id in failed,
                health=part.health.get(row.id),
            )
            if count is not None:
                state.tally = Tally(
                    count.open, count.acknowledged, count.waste_kwh, count.waste_nok
                )
            states.append(state)
        return states

    async def registry_part(self) -> RegistryPart:
        """Every building's registry rows and points (and tallies and health), as cached for
        every list of many buildings."""
        return await self.cache.registry_part(self._registry_part)

    async def _registry_part(self) -> RegistryPart:
        rows, points, tallies, health = await asyncio.gather(
            self.workers.run(self.registry.buildings),
            self.workers.run(self.registry.all_points),
            self.workers.run(self.registry.unresolved_tallies),
            self.workers.run(self.registry.latest_health),
        )
        return RegistryPart(rows, points, {t.building: t for t in tallies}, health)

    async def _all_latest(self, rows: Sequence[BuildingRow]) -> Mapping[str, list[Reading]] | None:
        """Every building's newest readings; None when the store failed for any of them."""
        found = await asyncio.gather(
            *(self._latest(row.id, tolerate_store_errors=True) for row in rows)
        )
        if any(bad for _, bad in found):
            return None
        return {row.id: readings for row, (readings, _) in zip(rows, found, strict=True)}

    async def _latest(
        self, building: str, *, tolerate_store_errors: bool
    ) -> tuple[list[Reading], bool]:
        """The building's newest readings, and whether the store failed to give them (only
        with ``tolerate_store_errors``; else the error is raised)."""
        try:
            return await self.workers.run(self.store.latest, building), False
        except ByggpulsError as exc:
            if not tolerate_store_errors:
                raise
            logger.warning("no readings of building %s: %s", building, exc)
            return [], True

    async def add_intensity(self, states: Sequence[BuildingState], *, now: datetime) -> None:
        """Set each building's kWh per m² and year over the ledger's last 365 days (a shorter
        record scaled up to a year), in one grouped query over the ledger."""
        until = now.replace(minute=0, second=0, microsecond=0)
        totals = await self.workers.run(
            lambda: self.registry.energy_totals_by_building(
                since=until - timedelta(days=365), until=until
            )
        )
        for state in states:
            state.intensity_kwh_m2 = kwh_m2_year(
                totals.get(state.row.id, {}), state.row.floor_area_m2
            )

    async def building(
        self, building_id: str, *, tolerate_store_errors: bool
    ) -> BuildingState | None:
        """One building with its points, newest readings and findings tally; None if unknown."""
        row = await self.workers.run(self.registry.building, building_id)
        if row is None:
            return None
        state, findings, trend = await asyncio.gather(
            self._state(row, latest=True, tolerate_store_errors=tolerate_store_errors),
            self._unresolved_findings(building_id),
            self.workers.run(self._health_trend, building_id),
        )
        _add_findings([state], findings)
        state.health_trend = trend
        state.health = trend[-1] if trend else None
        return state

    def _health_trend(self, building_id: str) -> list[HealthDayRow]:
        """The building's last :data:`TREND_DAYS` recorded days, counted back from its newest."""
        days = self.registry.health_days(building_id)
        if not days:
            return []
        first = days[-1].day - timedelta(days=TREND_DAYS - 1)
        return [day for day in days if day.day >= first]

    async def _unresolved_findings(self, building: str | None = None) -> list[FindingRow]:
        batches = await asyncio.gather(
            *(
                self.workers.run(self.registry.findings, building=building, status=status.value)
                for status in UNRESOLVED
            )
        )
        return [finding for batch in batches for finding in batch]

    async def _state(
        self, row: BuildingRow, *, latest: bool, tolerate_store_errors: bool
    ) -> BuildingState:
        points_task = asyncio.ensure_future(self.workers.run(self.registry.points, row.id))
        readings: list[Reading] = []
        failure: ByggpulsError | None = None
        if latest:
            try:
                readings = await self.workers.run(self.store.latest, row.id)
            except ByggpulsError as exc:
                failure = exc
        # Awaited before any error is raised, so its own failure is never left unobserved.
        points = await points_task
        if failure is not None:
            if not tolerate_store_errors:
                raise failure
            logger.warning("no readings of building %s: %s", row.id, failure)
        return BuildingState(
            row, join(points, readings, building_type=row.type), readings_failed=failure is not None
        )


def join(
    points: Sequence[PointRow], readings: Iterable[Reading], *, building_type: str = "other"
) -> list[PointState]:
    """Points with their newest reading, key points first.

    Readings of points the registry does not know are left out: ingest registers every point
    it stores, so such a reading is one the registry has not caught up with yet.
    """
    newest = {reading.point: reading for reading in readings}
    ordered = sorted(points, key=sort_key)
    return [
        PointState(point, newest.get(point.point), classify(point), building_type)
        for point in ordered
    ]


def _add_findings(states: Sequence[BuildingState], findings: Iterable[FindingRow]) -> None:
    by_building = {state.row.id: state for state in states}
    for finding in findings:
        state = by_building.get(finding.building)
        if state is not None:
            state.tally.add(finding)
