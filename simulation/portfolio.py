"""A municipality's portfolio of simulated buildings sharing one weather.

Each building draws everything from its own seed, derived from the portfolio seed and the
building id, so a building is the same whichever other buildings are in the portfolio; only
the weather is shared. ``generate(n)`` gives the first ``n`` of a fixed sequence of types
(a realistic mix: about a third schools, a third kindergartens, then nursing homes, offices
and sports halls), so ``generate(5)`` is the first five buildings of ``generate(20)``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any, Final

from byggpuls.errors import ConfigError
from byggpuls.reading import BuildingType, Reading
from simulation import config as config_module
from simulation.building import SampleBlock, SimulatedBuilding
from simulation.faults import FaultSpec, GroundTruthFault, check_fault
from simulation.model import BuildingModel
from simulation.naming import PLACES, name_for
from simulation.noise import derive_key, draws
from simulation.points import catalogue
from simulation.profiles import PROFILES, build_model
from simulation.sprinkle import sprinkle
from simulation.variability import VariabilityConfig, resolve
from simulation.weather import Weather

_S, _K, _N, _O, _H = (
    BuildingType.SCHOOL,
    BuildingType.KINDERGARTEN,
    BuildingType.NURSING_HOME,
    BuildingType.OFFICE,
    BuildingType.SPORTS_HALL,
)
#: The order ``generate`` takes building types in; repeats after 20.
TYPE_SEQUENCE: Final = (
    _S,
    _K,
    _N,
    _S,
    _O,
    _K,
    _H,
    _S,
    _K,
    _S,
    _N,
    _K,
    _O,
    _S,
    _K,
    _H,
    _S,
    _K,
    _N,
    _S,
)
#: Weather is available from this long before the portfolio starts.
WEATHER_LEAD_S: Final = 86_400.0
#: Faults that ``generate`` and ``faults = "auto"`` inject start after this share of the window,
#: so that the first week or so is clean history for the baselines.
CLEAN_SHARE: Final = 0.25


def building_seed(portfolio_seed: int, building_id: str) -> int:
    """The seed of a building that the configuration gives none."""
    return derive_key(portfolio_seed, "building", building_id) >> 1


class Portfolio:
    """Simulated buildings and their shared weather."""

    def __init__(
        self, *, seed: int, start_s: float, weather: Weather, buildings: list[SimulatedBuilding]
    ) -> None:
        self.seed = seed
        self.start_s = start_s
        self.weather = weather
        self.buildings = buildings

    @classmethod
    def generate(
        cls,
        n: int,
        *,
        seed: int,
        start_s: float,
        interval_s: int = 60,
        faults: bool = True,
        fault_window_days: float = 28.0,
        variability: bool = False,
    ) -> Portfolio:
        """``n`` buildings of a realistic mix, starting at ``start_s`` (UTC epoch seconds).

        With ``faults`` (the default) about two thirds of the buildings get one or two faults
        starting between a quarter of ``fault_window_days`` and its end after ``start_s``.
        With ``variability`` (off by default, for now) each has meter and occupant noise,
        base-load drift, daylight and the legitimate uses outside hours of its type (see
        :mod:`simulation.config`); without it, the clean series of the timetable and physics.
        """
        if n < 1:
            raise ConfigError(f"a portfolio needs at least one building, not {n}")
        weather = Weather(seed=seed, origin_s=start_s - WEATHER_LEAD_S)
        places = draws(seed, 0x91ACE).sample(PLACES, len(PLACES))
        counts: Counter[BuildingType] = Counter()
        buildings = []
        for index in range(n):
            btype = TYPE_SEQUENCE[index % len(TYPE_SEQUENCE)]
            counts[btype] += 1
            building_id = f"{PROFILES[btype].id_prefix}-{counts[btype]:02d}"
            bseed = building_seed(seed, building_id)
            place = places[index % len(places)]
            wanted = VariabilityConfig() if variability else VariabilityConfig.off()
            model = build_model(
                building_id=building_id,
                building_type=btype,
                seed=bseed,
                name=name_for(btype, seed=bseed, place=place),
                variability=resolve(wanted, seed=bseed),
            )
            specs: list[FaultSpec] = []
            if faults:
                specs = _auto_faults(model, start_s=start_s, window_days=fault_window_days)
            buildings.append(
                SimulatedBuilding(
                    model, weather, start_s=start_s, interval_s=interval_s, faults=specs
                )
            )
        return cls(seed=seed, start_s=start_s, weather=weather, buildings=buildings)

    @classmethod
    def from_config(cls, config: Mapping[str, Any], *, start_s: float | None = None) -> Portfolio:
        """The portfolio ``config`` describes (see :mod:`simulation.config`).

        ``start_s`` is used when the config has no ``start``. Raises :class:`ConfigError`
        saying where the config is wrong and how to fix it.
        """
        parsed = config_module.parse(config, start_s=start_s)
        weather = Weather(seed=parsed.seed, origin_s=parsed.start_s - WEATHER_LEAD_S)
        buildings = []
        for index, entry in enumerate(parsed.buildings):
            bseed = entry.seed if entry.seed is not None else building_seed(parsed.seed, entry.id)
            model = build_model(
                building_id=entry.id,
                building_type=entry.type,
                seed=bseed,
                area_m2=entry.area_m2,
                name=entry.name,
                address=entry.address,
                water_meter=entry.water,
                cooling=entry.cooling,
                variability=resolve(entry.variability, seed=bseed),
            )
            if entry.faults == "auto":
                specs = _auto_faults(
                    model, start_s=parsed.start_s, window_days=parsed.fault_window_days
                )
            elif entry.faults == "none":
                specs = []
            else:
                specs = list(entry.faults)
                point_ids = {spec.info.point for spec in catalogue(model)}
                for j, fault in enumerate(specs):
                    where = f"buildings[{index}].faults[{j}]"
                    check_fault(fault, building=model, point_ids=point_ids, where=where)
            buildings.append(
                SimulatedBuilding(
                    model,
                    weather,
                    start_s=parsed.start_s,
                    interval_s=parsed.interval_s,
                    faults=specs,
                )
            )
        return cls(seed=parsed.seed, start_s=parsed.start_s, weather=weather, buildings=buildings)

    def building(self, building_id: str) -> SimulatedBuilding:
        """The building with ``building_id``; ``KeyError`` if there is none."""
        for candidate in self.buildings:
            if candidate.info.id == building_id:
                return candidate
        raise KeyError(building_id)

    def set_interval(self, interval_s: int) -> None:
        """Sample every building every ``interval_s`` seconds from now on."""
        for building in self.buildings:
            building.interval_s = interval_s

    def advance(self, until_s: float) -> list[Reading]:
        """Every building's readings in (previous, until_s], building by building."""
        readings: list[Reading] = []
        for building in self.buildings:
            readings.extend(building.advance(until_s))
        return readings

    def advance_blocks(self, until_s: float) -> list[SampleBlock]:
        """As :meth:`advance`, one column block per building."""
        return [building.advance_block(until_s) for building in self.buildings]

    def ground_truth(self, *, legitimate_use: bool = False) -> list[GroundTruthFault]:
        """The faults that have begun in any building, with their extra energy so far.

        With ``legitimate_use``, each building's faults are followed by its legitimate uses
        outside hours begun so far (records with ``fault`` False), for judging false alarms.
        """
        records = []
        for building in self.buildings:
            records.extend(building.faults)
            if legitimate_use:
                records.extend(building.legitimate_use)
        return records


def _auto_faults(model: BuildingModel, *, start_s: float, window_days: float) -> list[FaultSpec]:
    window_s = window_days * 86_400.0
    return sprinkle(
        model,
        point_ids=[spec.info.point for spec in catalogue(model)],
        window_start_s=start_s + CLEAN_SHARE * window_s,
        window_end_s=start_s + window_s,
    )
