"""One simulated building as a gateway driver sees it: points, readings over time, ground truth.

Usage::

    building.interval_s = 900
    history = building.advance(now_s)        # readings in (start, now]
    building.interval_s = 60
    while True:
        readings = building.advance(time.time())   # readings since the previous call

The physics always steps at :data:`~simulation.physics.STEP_S`; the sampling interval
only chooses which times are read off it, so switching it changes no physics.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np

from byggpuls.errors import ConfigError
from byggpuls.reading import BuildingInfo, PointInfo, Reading
from simulation import activities
from simulation.counterfactual import Counterfactual
from simulation.faults import (
    FaultKind,
    FaultSpec,
    GroundTruthFault,
    affected_points,
    check_fault,
)
from simulation.model import BuildingModel
from simulation.noise import FloatArray, IntArray
from simulation.physics import STEP_S, Piece, initial_state, simulate
from simulation.points import catalogue
from simulation.sampling import Sensor, install, sample
from simulation.weather import Weather

#: Longest run of steps simulated at once (a week): bounds memory, not results.
MAX_PIECE_STEPS: Final = 7 * 86_400 // STEP_S
MAX_INTERVAL_S: Final = 86_400


@dataclass(frozen=True, slots=True)
class SampleBlock:
    """Readings of one building in columns: cheaper than Reading objects for a long backfill."""

    building: str
    points: tuple[PointInfo, ...]
    #: Sample times, UTC epoch seconds, ascending.
    times_s: IntArray
    #: Values, one row per point and one column per time; NaN where there is no reading.
    values: FloatArray

    def readings(self) -> list[Reading]:
        """The block as readings, ordered by time, then by point."""
        out: list[Reading] = []
        building = self.building
        infos = [(p.point, p.quantity, p.unit, p.zone) for p in self.points]
        missing = np.isnan(self.values).T.tolist()  # NaN: a reading the gateway never got
        for time_s, row, gaps in zip(
            self.times_s.tolist(), self.values.T.tolist(), missing, strict=True
        ):
            time_ms = time_s * 1000
            for (point, quantity, unit, zone), value, gap in zip(infos, row, gaps, strict=True):
                if not gap:
                    out.append(Reading(building, point, quantity, time_ms, value, unit, zone))
        return out


class SimulatedBuilding:
    """A building's physics and sensors, advanced in time by whoever publishes its readings.

    ``faults`` are the faults injected into it (see :mod:`simulation.faults`); they are
    checked here, and a fault that cannot apply raises :class:`ConfigError`.
    """

    def __init__(
        self,
        model: BuildingModel,
        weather: Weather,
        *,
        start_s: float,
        interval_s: int = 60,
        faults: Sequence[FaultSpec] = (),
    ) -> None:
        self.model = model
        self.weather = weather
        self.start_s = float(start_s)
        self._specs = catalogue(model)
        self._sensors: tuple[Sensor, ...] = install(self._specs, seed=model.seed)
        self._row = {spec.info.point: i for i, spec in enumerate(self._specs)}
        self.interval_s = interval_s
        for index, fault in enumerate(faults):
            check_fault(fault, building=model, point_ids=self._row, where=f"faults[{index}]")
        self.fault_specs: tuple[FaultSpec, ...] = tuple(faults)
        self._twins = {
            i: Counterfactual.for_fault(f, self.fault_specs)
            for i, f in enumerate(self.fault_specs)
            if f.physical
        }
        self._captured: dict[tuple[int, str], float] = {}
        #: Energy of each legitimate use so far, kWh: (start, activity) -> [electricity, heat].
        self._activity_kwh: dict[tuple[float, str], list[float]] = {}
        self._k = math.floor(self.start_s / STEP_S)
        self._state = initial_state(model, weather, k=self._k)
        self._last: Piece | None = None
        self._cursor_s = self.start_s

    @property
    def info(self) -> BuildingInfo:
        """The building as the registry knows it."""
        return self.model.info

    @property
    def interval_s(self) -> int:
        """Seconds between samples of every point; samples fall on multiples of it (UTC)."""
        return self._interval_s

    @interval_s.setter
    def interval_s(self, value: int) -> None:
        if (
            isinstance(value, bool)
            or not isinstance(value, int)
            or not 1 <= value <= MAX_INTERVAL_S
        ):
            raise ConfigError(
                f"interval_s must be a whole number of seconds from 1 to {MAX_INTERVAL_S}, "
                f"not {value!r}"
            )
        self._interval_s = value

    @property
    def now_s(self) -> float:
        """The time up to which readings have been handed out (the last ``until_s``)."""
        return self._cursor_s

    def points(self) -> list[PointInfo]:
        """Every point of the building, with the current sampling interval."""
        return [dataclasses.replace(s.info, interval_s=self._interval_s) for s in self._specs]

    def advance(self, until_s: float) -> list[Reading]:
        """Run up to ``until_s`` and return the readings sampled in (previous, until_s].

        ``previous`` is the ``until_s`` of the last call (the start time at first). A time not
        after it returns nothing, so a clock stepping back does no harm.
        """
        return self.advance_block(until_s).readings()

    def advance_block(self, until_s: float) -> SampleBlock:
        """As :meth:`advance`, in columns (see :class:`SampleBlock`)."""
        until = float(until_s)
        interval = self._interval_s
        first = (math.floor(self._cursor_s / interval) + 1) * interval
        last = math.floor(until / interval) * interval
        times = np.arange(first, last + 1, interval, dtype=np.int64)
        values = np.full((len(self._sensors), times.size), np.nan)
        if until <= self._cursor_s:
            return SampleBlock(self.info.id, tuple(self.points()), times[:0], values[:, :0])
        grid_end_s = self._k * STEP_S
        held = times <= grid_end_s
        if held.any() and self._last is not None:
            values[:, held] = sample(self._last, self._sensors, times[held])
        target = math.ceil(until / STEP_S)
        while self._k < target:
            begin, end = self._k, min(self._k + MAX_PIECE_STEPS, target)
            piece = simulate(
                self.model, self.weather, self._state, k0=begin, k1=end, faults=self.fault_specs
            )
            for twin in self._twins.values():
                twin.follow(self.model, self.weather, piece)
            self._capture(piece)
            self._count_activities(piece)
            inside = (times > begin * STEP_S) & (times <= end * STEP_S)
            if inside.any():
                values[:, inside] = sample(piece, self._sensors, times[inside])
            self._state = piece.state_at(end)
            self._k = end
            self._last = _last_step(piece)
        self._apply_meter_faults(times, values)
        self._cursor_s = until
        return SampleBlock(self.info.id, tuple(self.points()), times, values)

    @property
    def faults(self) -> list[GroundTruthFault]:
        """Ground truth of the faults that have begun by :attr:`now_s`, counted so far."""
        records = []
        for index, fault in enumerate(self.fault_specs):
            if fault.start_s >= self._cursor_s:
                continue
            twin = self._twins.get(index)
            el = twin.extra_electricity_kwh if twin else 0.0
            heat = twin.extra_heat_kwh if twin else 0.0
            counted = twin.counted_to if twin else None
            records.append(
                GroundTruthFault(
                    building=self.info.id,
                    kind=fault.kind.value,
                    start=fault.start_s,
                    end=fault.end_s,
                    points=affected_points(fault, self.model),
                    extra_energy_kwh=el + heat,
                    extra_electricity_kwh=el,
                    extra_heat_kwh=heat,
                    accounted_until=self._cursor_s if counted is None else counted * STEP_S,
                    params=fault.params(),
                )
            )
        return records

    @property
    def legitimate_use(self) -> list[GroundTruthFault]:
        """Ground truth of the legitimate uses outside hours begun by :attr:`now_s`.

        Records of kind ``legitimate_use`` with ``fault`` False and the activity in ``params``
        (see :mod:`simulation.activities`); their energy is counted so far.
        """
        records = []
        counted_s = self._k * STEP_S
        for episode in activities.episodes_between(self.model, self.start_s, self._cursor_s):
            if episode.start_s >= self._cursor_s:
                continue  # only its preheating has begun
            el, heat = self._activity_kwh.get((episode.start_s, episode.activity.value), (0.0, 0.0))
            records.append(
                GroundTruthFault(
                    building=self.info.id,
                    kind=activities.LEGITIMATE_USE_KIND,
                    start=episode.start_s,
                    end=episode.end_s,
                    points=activities.affected_points(episode, self.model),
                    extra_energy_kwh=el + heat,
                    extra_electricity_kwh=el,
                    extra_heat_kwh=heat,
                    accounted_until=min(counted_s, episode.end_s),
                    params={"activity": episode.activity.value},
                    fault=False,
                )
            )
        return records

    def _count_activities(self, piece: Piece) -> None:
        """Add up the energy each legitimate use added in ``piece``, step by step."""
        episodes = activities.episodes_between(self.model, piece.k0 * STEP_S, piece.k1 * STEP_S)
        if not episodes:
            return
        middles = (np.arange(piece.k0, piece.k1, dtype=np.float64) + 0.5) * STEP_S
        hours = STEP_S / 3600.0
        el_kwh = piece.steps["activity_el_power"] * hours
        heat_kwh = piece.steps["activity_heat_power"] * hours
        for episode in episodes:
            active = (middles >= episode.start_s) & (middles < episode.end_s)
            if not active.any():
                continue
            total = self._activity_kwh.setdefault(
                (episode.start_s, episode.activity.value), [0.0, 0.0]
            )
            # Left-to-right sums: the total does not depend on how the run was cut into pieces.
            for value in el_kwh[active].tolist():
                total[0] += value
            for value in heat_kwh[active].tolist():
                total[1] += value

    def _capture_time(self, fault: FaultSpec) -> int:
        return max(math.ceil(fault.start_s), math.floor(self.start_s) + 1)

    def _capture(self, piece: Piece) -> None:
        """Remember the readings that stuck meters freeze at and reset counters restart from."""
        low, high = piece.k0 * STEP_S, piece.k1 * STEP_S
        for index, fault in enumerate(self.fault_specs):
            if fault.kind not in (FaultKind.METER_STUCK, FaultKind.COUNTER_RESET):
                continue
            when = self._capture_time(fault)
            if not low < when <= high:
                continue
            at = np.array([when], dtype=np.int64)
            for point in fault.points:
                sensor = self._sensors[self._row[point]]
                self._captured[(index, point)] = float(sample(piece, [sensor], at)[0, 0])

    def _apply_meter_faults(self, times: IntArray, values: FloatArray) -> None:
        for index, fault in enumerate(self.fault_specs):
            kind = fault.kind
            if kind == FaultKind.COUNTER_RESET:
                window = times >= fault.start_s
            elif kind in (FaultKind.METER_STUCK, FaultKind.METER_SPIKE, FaultKind.METER_GAP):
                window = (times >= fault.start_s) & (times < fault.end_s)
            else:
                continue
            if not window.any():
                continue
            for point in fault.points:
                row = self._row[point]
                decimals = self._specs[row].decimals
                if kind == FaultKind.METER_GAP:
                    values[row, window] = np.nan
                elif kind == FaultKind.METER_SPIKE:
                    values[row, window] = np.round(values[row, window] * fault.factor, decimals)
                elif kind == FaultKind.METER_STUCK:
                    values[row, window] = self._captured[(index, point)]
                else:
                    restart = self._captured[(index, point)]
                    values[row, window] = np.round(values[row, window] - restart, decimals)


def _last_step(piece: Piece) -> Piece:
    """The last step of ``piece``: all that later samples can still need from it."""
    n = piece.k1 - piece.k0
    states = {key: value[..., n - 1 :] for key, value in piece.states.items()}
    steps = {key: value[..., n - 1 :] for key, value in piece.steps.items()}
    return Piece(k0=piece.k1 - 1, k1=piece.k1, states=states, steps=steps)
