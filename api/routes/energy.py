"""``/api/v1/buildings/{id}/consumption``, ``.../consumption/heatmap`` and ``.../intensity``:
the energy ledger per local period, as a table or CSV, as a heat map, and per m² and year."""

from __future__ import annotations

import asyncio
import csv
import io
import re
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any, Final, Literal

from fastapi import APIRouter, Path, Query, Request
from starlette.responses import Response

from api import energy, energy_schemas, problems, timeparams
from api.deps import RegistryDep, WorkersDep
from api.energy import Resolution, Table
from api.openapi import responses
from byggpuls.calendar import TIMEZONE
from byggpuls.energy_reference import SSB_SOURCE, TEK17_SOURCE, reference_for
from byggpuls.registry.rows import BuildingRow

router = APIRouter(prefix="/buildings", tags=["energy"])

Carrier = Literal["electricity", "heat"]
DEFAULT_DAYS: Final = 31
#: The longest range one table covers: a leap year and a day, so that a year fits however
#: it is cut.
MAX_RANGE_DAYS: Final = 367
CSV_MEDIA_TYPE: Final = "text/csv"
CSV_COLUMNS: Final = (
    "building",
    "carrier",
    "period",
    "start",
    "end",
    "hours",
    "hours_with_data",
    "measured_kwh",
    "baseline_kwh",
    "baseline_hours",
    "cost_nok",
)
_DATE: Final = re.compile(r"\d{4}-\d{2}-\d{2}")
_TIME_HELP: Final = (
    "A local date (`2025-03-01`: its midnight in Europe/Oslo), RFC 3339 with a time zone or"
    " epoch seconds."
)
BuildingId = Annotated[str, Path(description="The building id.", examples=["nordnes-skole"])]


@router.get(
    "/{building_id}/consumption",
    summary="Energy per local hour, day, week or month, with baseline and cost",
    response_model=energy_schemas.Consumption,
    responses={
        200: {"content": {CSV_MEDIA_TYPE: {"schema": {"type": "string"}}}},
        **responses(problems.INVALID_RANGE, problems.NOT_FOUND, problems.INVALID_PARAMETERS),
    },
)
async def read_consumption(
    *,
    building_id: BuildingId,
    request: Request,
    registry: RegistryDep,
    workers: WorkersDep,
    carrier: Annotated[Carrier | None, Query(description="One carrier; default both.")] = None,
    resolution: Annotated[Resolution, Query(description="Period length.")] = Resolution.DAY,
    start: Annotated[
        str | None,
        Query(description=f"Start of the range. {_TIME_HELP} Default: 31 days before `end`."),
    ] = None,
    end: Annotated[
        str | None,
        Query(description=f"End of the range, excluded. {_TIME_HELP} Default: tonight's midnight."),
    ] = None,
    format: Annotated[
        Literal["json", "csv"] | None,
        Query(description="`csv` for CSV; default by the Accept header (`text/csv`), else JSON."),
    ] = None,
    decimal: Annotated[
        Literal["comma", "point"],
        Query(description="The CSV's decimal mark: a comma, as Norwegian Excel reads it."),
    ] = "comma",
) -> Any:
    """The building's measured energy per local (Europe/Oslo) period and carrier, with what
    the baseline expected and what the energy cost. The range is widened to whole periods:
    a week starts on Monday (ISO), a month on the 1st, and a day at local midnight, so the days
    the clocks change have 23 and 25 hours. Periods without data are listed with null sums.
    At most 367 days. As CSV: semicolon-separated, with a decimal comma unless
    `decimal=point`."""
    errors: list[dict[str, Any]] = []
    start_at = _moment(start, "start", errors)
    end_at = _moment(end, "end", errors)
    if errors:
        raise problems.invalid_parameters(errors)
    if end_at is None:
        tomorrow = datetime.now(TIMEZONE).date() + timedelta(days=1)
        end_at = energy.local_midnight(tomorrow)
    if start_at is None:
        start_at = energy.local_midnight(
            end_at.astimezone(TIMEZONE).date() - timedelta(days=DEFAULT_DAYS)
        )
    _check_range(start_at, end_at)
    first, last = energy.aligned(resolution, start_at, end_at)
    building = await _building(registry, workers, building_id)
    if resolution is Resolution.HOUR:
        hours = await workers.run(
            registry.energy_hours,
            building.id,
            since=first.astimezone(UTC),
            until=last.astimezone(UTC),
            carrier=carrier,
        )
        table = energy.table_of_hours(
            start=first, end=last, hours=hours, carriers=[carrier] if carrier else []
        )
    else:
        days = await workers.run(
            registry.energy_days,
            building.id,
            since=first.date(),
            until=last.date() - timedelta(days=1),
            carrier=carrier,
        )
        table = energy.table_of_days(
            resolution=resolution,
            start=first,
            end=last,
            days=days,
            carriers=[carrier] if carrier else [],
        )
    if _wants_csv(format, request):
        return _csv_response(building.id, table, decimal_comma=decimal == "comma")
    return _consumption(building.id, table)


@router.get(
    "/{building_id}/consumption/heatmap",
    summary="Measured kWh per local date and hour of the day",
    response_model=energy_schemas.HeatMap,
    responses=responses(problems.NOT_FOUND, problems.INVALID_PARAMETERS),
)
async def read_heat_map(
    *,
    building_id: BuildingId,
    registry: RegistryDep,
    workers: WorkersDep,
    carrier: Annotated[Carrier, Query(description="The carrier.")] = "electricity",
    days: Annotated[
        int, Query(ge=1, le=366, description="Local dates up to today, today included.")
    ] = 28,
) -> energy_schemas.HeatMap:
    """The measured energy of the last ``days`` local dates, hour of the day by hour of the
    day, for the dashboard's heat map (a working week's mornings light up; a building that
    never sleeps shows its nights)."""
    first = datetime.now(TIMEZONE).date() - timedelta(days=days - 1)
    since = energy.local_midnight(first).astimezone(UTC)
    until = energy.local_midnight(first + timedelta(days=days)).astimezone(UTC)
    building = await _building(registry, workers, building_id)
    hours = await workers.run(
        registry.energy_hours, building.id, since=since, until=until, carrier=carrier
    )
    found = energy.heat_map(first=first, days=days, hours=hours)
    cells = [kwh for row in found.kwh for kwh in row if kwh is not None]
    return energy_schemas.HeatMap(
        building=building.id,
        carrier=carrier,
        dates=found.dates,
        hours=list(range(24)),
        kwh=[[None if kwh is None else round(kwh, 3) for kwh in row] for row in found.kwh],
        max_kwh=round(max(cells), 3) if cells else None,
    )


@router.get(
    "/{building_id}/intensity",
    summary="Energy per m² heated floor area and year, against the category's references",
    response_model=energy_schemas.Intensity,
    responses=responses(problems.NOT_FOUND),
)
async def read_intensity(
    *, building_id: BuildingId, registry: RegistryDep, workers: WorkersDep
) -> energy_schemas.Intensity:
    """kWh per m² heated floor area and year over the last 365 days of the ledger, per carrier
    and in total, next to the building category's TEK17 energy frame and the existing stock's
    delivered energy (SSB). A carrier measured on fewer days is scaled up to a year and says
    so (``scaled``, ``days``); per m² figures are null while the floor area is unknown."""
    until = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    since = until - timedelta(days=365)
    building, totals = await asyncio.gather(
        _building(registry, workers, building_id),
        workers.run(registry.energy_totals, building_id, since=since, until=until),
    )
    area = building.floor_area_m2 if building.floor_area_m2 else None
    carriers = []
    for total in totals.values():
        annual = energy.annual_kwh(total)
        carriers.append(
            energy_schemas.CarrierIntensity(
                carrier=total.carrier,
                days=round(total.hours / 24, 2),
                measured_kwh=round(total.measured_kwh, 3),
                annual_kwh=round(annual, 1),
                kwh_m2_year=None if area is None else round(annual / area, 1),
                scaled=total.hours < energy.YEAR_HOURS,
            )
        )
    annual_total = sum(c.annual_kwh for c in carriers) if carriers else None
    scaled = [c for c in carriers if c.scaled]
    note = None
    if scaled:
        note = (
            f"Scaled up to a year from {min(c.days for c in scaled):g} days of measurements:"
            " heating varies some tenfold between January and July, so this is a rough figure"
            " until a whole year is measured."
        )
    return energy_schemas.Intensity(
        building=building.id,
        since=since,
        until=until,
        floor_area_m2=area,
        carriers=carriers,
        total_annual_kwh=None if annual_total is None else round(annual_total, 1),
        total_kwh_m2_year=(
            None if annual_total is None or area is None else round(annual_total / area, 1)
        ),
        reference=_reference(building.type),
        note=note,
    )


async def _building(registry: RegistryDep, workers: WorkersDep, building_id: str) -> BuildingRow:
    building = await workers.run(registry.building, building_id)
    if building is None:
        raise problems.not_found(f"There is no building {building_id!r}.")
    return building


def _reference(building_type: str) -> energy_schemas.EnergyReferenceOut | None:
    reference = reference_for(building_type)
    if reference is None:
        return None
    return energy_schemas.EnergyReferenceOut(
        building_type=reference.building_type.value,
        frame_kwh_m2=reference.frame_kwh_m2,
        frame_category=reference.frame_category,
        frame_source=TEK17_SOURCE,
        stock_kwh_m2=reference.stock_kwh_m2,
        stock_category=reference.stock_category,
        stock_source=SSB_SOURCE,
    )


def _moment(text: str | None, name: str, errors: list[dict[str, Any]]) -> datetime | None:
    """A local date's midnight, or an instant, in local time."""
    if text is None:
        return None
    text = text.strip()
    try:
        if _DATE.fullmatch(text):
            return energy.local_midnight(date.fromisoformat(text))
        time_ms = timeparams.parse_instant(text)
    except ValueError as exc:
        errors.append({"detail": str(exc), "parameter": name, "in": "query"})
        return None
    return datetime.fromtimestamp(time_ms / 1000, TIMEZONE)


def _check_range(start: datetime, end: datetime) -> None:
    if start >= end:
        raise problems.ProblemError(
            problems.INVALID_RANGE,
            f"start ({start.isoformat()}) must lie before end ({end.isoformat()}).",
        )
    if end - start > timedelta(days=MAX_RANGE_DAYS):
        raise problems.invalid_parameter(
            "end", f"the range may span at most {MAX_RANGE_DAYS} days: ask for less at a time"
        )


def _wants_csv(format: str | None, request: Request) -> bool:
    """``format`` if given, else whether the Accept header names CSV before JSON."""
    if format is not None:
        return format == "csv"
    accept = request.headers.get("accept", "").lower()
    at_csv, at_json = accept.find(CSV_MEDIA_TYPE), accept.find("application/json")
    return at_csv >= 0 and (at_json < 0 or at_csv < at_json)


def _sums(sums: energy.Sums) -> dict[str, Any]:
    return {
        "hours_with_data": sums.hours_with_data,
        "measured_kwh": round(sums.measured_kwh, 3) if sums.hours_with_data else None,
        "baseline_kwh": round(sums.baseline_kwh, 3) if sums.baseline_hours else None,
        "baseline_hours": sums.baseline_hours,
        "cost_nok": round(sums.cost_nok, 2) if sums.cost_hours else None,
    }


def _consumption(building: str, table: Table) -> energy_schemas.Consumption:
    hours = energy.Period("", table.start, table.end).hours
    return energy_schemas.Consumption(
        building=building,
        resolution=table.resolution.value,
        start=table.start,
        end=table.end,
        rows=[
            energy_schemas.ConsumptionRow(
                carrier=row.carrier,
                period=row.period.label,
                start=row.period.start,
                end=row.period.end,
                hours=row.period.hours,
                **_sums(row.sums),
            )
            for row in table.rows
        ],
        totals=[
            energy_schemas.ConsumptionTotal(carrier=carrier, hours=hours, **_sums(sums))
            for carrier, sums in table.totals.items()
        ],
    )


def _csv_response(building: str, table: Table, *, decimal_comma: bool) -> Response:
    def number(value: float | None, decimals: int) -> str:
        if value is None:
            return ""
        text = f"{value:.{decimals}f}"
        return text.replace(".", ",") if decimal_comma else text

    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for row in table.rows:
        sums = _sums(row.sums)
        writer.writerow(
            [
                building,
                row.carrier,
                row.period.label,
                row.period.start.isoformat(),
                row.period.end.isoformat(),
                row.period.hours,
                sums["hours_with_data"],
                number(sums["measured_kwh"], 3),
                number(sums["baseline_kwh"], 3),
                sums["baseline_hours"],
                number(sums["cost_nok"], 2),
            ]
        )
    first, last = table.start.date().isoformat(), table.end.date().isoformat()
    filename = f"{building}_consumption_{table.resolution.value}_{first}_{last}.csv"
    return Response(
        out.getvalue(),
        media_type=f"{CSV_MEDIA_TYPE}; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
