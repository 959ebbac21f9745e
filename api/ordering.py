"""How lists of buildings are ordered and filtered: the JSON list's ``sort`` (:class:`Order`)
and the dashboard's view of the portfolio (:class:`PortfolioView`), both over
:class:`~api.portfolio.BuildingState`."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from types import MappingProxyType
from typing import Any, Final
from urllib.parse import urlencode

from api.portfolio import BuildingState
from byggpuls.registry.health import HealthDayRow


class Order(StrEnum):
    """How the building list is sorted."""

    ID = "id"
    NAME = "name"
    HEALTH = "health"
    WASTE = "waste"
    INTENSITY = "intensity"


def order_key(order: Order) -> Callable[[BuildingState], tuple[object, ...]]:
    """The list's order: by id or name; by health, worst first and never-scored or unknown
    last; by the unresolved findings' waste in NOK, largest first; by kWh per m² and year,
    largest first and unknown last. Ties go by id."""
    if order is Order.NAME:
        return lambda state: (state.row.name.casefold(), state.row.id)
    if order is Order.HEALTH:
        return lambda state: (*_health_key(state.health), state.row.id)
    if order is Order.WASTE:
        return lambda state: (-state.tally.waste_nok, state.row.id)
    if order is Order.INTENSITY:
        return lambda state: (
            state.intensity_kwh_m2 is None,
            -(state.intensity_kwh_m2 or 0.0),
            state.row.id,
        )
    return lambda state: (state.row.id,)


def _health_key(health: HealthDayRow | None) -> tuple[bool, float]:
    if health is None or health.score is None:
        return (True, 0.0)
    return (False, health.score)


#: Columns the dashboard's building list sorts by, with each one's natural direction (True:
#: largest first): health worst first, waste and findings most first.
VIEW_SORTS: Final[Mapping[str, bool]] = MappingProxyType(
    {"health": False, "name": False, "type": False, "area": True, "waste": True}
    | {"findings": True, "reading": True}
)
#: Health bands a list can be filtered by; ``unknown`` is a building without a score.
HEALTH_FILTERS: Final = ("act", "watch", "good", "unknown")


@dataclass(frozen=True, slots=True)
class PortfolioView:
    """How the dashboard lists buildings: filters (type, health band, open findings) and a
    sort column with its direction, all from the page's query so that a view can be linked.
    Values that are not one of the choices are ignored, as if not given."""

    type: str | None = None
    health: str | None = None
    open_only: bool = False
    sort: str = "health"
    descending: bool = False

    @classmethod
    def from_query(
        cls, *, type_: str | None, health: str | None, open_: str | None, sort: str | None,
        desc: str | None,
    ) -> PortfolioView:  # fmt: skip
        column = sort if sort is not None and sort in VIEW_SORTS else "health"
        return cls(
            type=type_ or None,
            health=health if health in HEALTH_FILTERS else None,
            open_only=open_ in ("1", "true", "on"),
            sort=column,
            descending=VIEW_SORTS[column] if desc not in ("0", "1") else desc == "1",
        )

    def apply(self, states: Iterable[BuildingState]) -> list[BuildingState]:
        """The buildings that pass the filters, in the view's order; those without a value for
        the sort column (never scored, area unknown, no readings) last, ties by id."""
        kept = sorted((state for state in states if self._passes(state)), key=lambda s: s.row.id)
        value = _SORT_VALUES[self.sort]
        known = sorted(
            (s for s in kept if value(s) is not None), key=value, reverse=self.descending
        )
        return known + [state for state in kept if value(state) is None]

    def _passes(self, state: BuildingState) -> bool:
        if self.type is not None and state.row.type != self.type:
            return False
        if self.health is not None and _band(state.health) != self.health:
            return False
        return not (self.open_only and state.tally.open == 0)

    def query(self, **changes: object) -> str:
        """This view's query string with ``changes`` (``sort=``, ``descending=``, filters)."""
        view = replace(self, **changes)  # type: ignore[arg-type]
        natural = VIEW_SORTS[view.sort]
        pairs = [
            ("type", view.type),
            ("health", view.health),
            ("open", "1" if view.open_only else None),
            ("sort", None if view.sort == "health" else view.sort),
            ("desc", None if view.descending == natural else str(int(view.descending))),
        ]
        return urlencode([(key, value) for key, value in pairs if value is not None])

    def sort_query(self, column: str) -> str:
        """The query sorting by ``column``: its natural direction, or the other way round when
        it is the current column."""
        if column == self.sort:
            return self.query(descending=not self.descending)
        return self.query(sort=column, descending=VIEW_SORTS[column])

    @property
    def filtered(self) -> bool:
        return self.type is not None or self.health is not None or self.open_only


def _band(health: HealthDayRow | None) -> str:
    if health is None or health.score is None or health.band is None:
        return "unknown"
    return health.band


_SORT_VALUES: Final[Mapping[str, Callable[[BuildingState], Any]]] = MappingProxyType(
    {
        "health": lambda s: None if s.health is None else s.health.score,
        "name": lambda s: s.row.name.casefold(),
        "type": lambda s: s.row.type,
        "area": lambda s: s.row.floor_area_m2,
        "waste": lambda s: s.tally.waste_nok,
        "findings": lambda s: (s.tally.open, s.tally.acknowledged),
        "reading": lambda s: s.last_reading_ms,
    }
)
