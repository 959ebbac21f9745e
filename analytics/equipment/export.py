"""Reading an air handling unit's trend export (a BMS's CSV, LBNL's labelled AHU files) into
an :class:`~analytics.equipment.ahu.AhuSeries`.

``byggpuls analytics scan`` reads such a file with :func:`read_ahu_export` and runs every rule
of :func:`analytics.equipment.default_rules` over it. The columns are found by name
(:data:`FIELDS`: English as LBNL writes them, and Norwegian), the times as the meter scan reads
them (:func:`analytics.scan.parse_times`; ``M/D/YYYY H:MM`` as LBNL writes them too), and the
units from the header. A header without a unit gets one from its values, because an AHU's
points have narrow ranges: air temperatures with a median above 40 are °F (the supply air of a
unit is never that warm in °C), and a command that goes above 1.5 is in percent. Each such
guess is a note for the person to check.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping, Sequence, Set
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal, NamedTuple

import numpy as np
import numpy.typing as npt

from analytics.equipment.ahu import PA_PER_INCH_WATER, AhuSeries, FloatArray
from analytics.scan import TIME_NAMES, UNITS, Row, ScanError, _number, _read_table, parse_times
from byggpuls.calendar import TIMEZONE

IndexArray = npt.NDArray[np.intp]

Kind = Literal["temperature", "fraction", "status", "flow", "pressure"]


class Field(NamedTuple):
    """An :class:`AhuSeries` field as an export has it: what to call it in a message, what it
    holds, and the column names it is read from (the first found winning)."""

    label: str
    kind: Kind
    names: tuple[str, ...]


#: Every field the scan reads, with its column names: English as LBNL writes them and Norwegian.
#: A header matches a name when it is the name, or ends with it after a prefix (``AHU: Supply
#: Air Temperature``, ``360.001 tilluft``); case, separators and æ/ø/å spelt out
#: (``kjoleventil``) do not matter.
FIELDS: Final[dict[str, Field]] = {
    "supply_c": Field("supply air temperature", "temperature", (
        "supply air temperature", "supply air temp", "discharge air temperature",
        "tilluftstemperatur", "tilluft temperatur", "tilluftstemp", "tilluft temp",
        "temperatur tilluft", "tilluft",
    )),
    "supply_setpoint_c": Field("supply air temperature setpoint", "temperature", (
        "supply air temperature heating set point", "supply air temperature set point",
        "supply air temperature setpoint", "supply air setpoint",
        "settpunkt tilluft varme", "tilluft settpunkt varme", "settpunkt tilluft",
        "tilluft settpunkt", "settpunkt tilluftstemperatur", "tilluftstemperatur settpunkt",
        "settpunkt varme", "settpunkt",
    )),
    "supply_setpoint_high_c": Field("supply air cooling setpoint", "temperature", (
        "supply air temperature cooling set point", "supply air cooling setpoint",
        "settpunkt tilluft kjoling", "tilluft settpunkt kjoling", "settpunkt kjoling",
    )),
    "mixed_c": Field("mixed air temperature", "temperature", (
        "mixed air temperature", "mixed air temp", "blandeluftstemperatur",
        "blandeluft temperatur", "blandelufttemperatur", "blandetemperatur", "blandeluft",
    )),
    "return_c": Field("return air temperature", "temperature", (
        "return air temperature", "return air temp", "avtrekkstemperatur",
        "avtrekk temperatur", "avtrekkstemp", "avtrekk temp", "temperatur avtrekk",
        "returluftstemperatur", "returluft temperatur", "returluft", "avtrekksluft", "avtrekk",
    )),
    "outdoor_c": Field("outdoor air temperature", "temperature", (
        "outdoor air temperature", "outside air temperature", "outdoor air temp",
        "uteluftstemperatur", "uteluft temperatur", "utelufttemperatur", "utetemperatur",
        "utetemp", "ute temperatur", "temperatur ute", "uteluft",
    )),
    "heating_valve": Field("heating coil valve", "fraction", (
        "heating coil valve control signal", "heating coil valve", "heating valve",
        "varmeventil", "varmebatteri padrag", "padrag varmebatteri", "padrag varme",
        "varme padrag", "ventil varme", "varmebatteri",
    )),
    "cooling_valve": Field("cooling coil valve", "fraction", (
        "cooling coil valve control signal", "cooling coil valve", "cooling valve",
        "kjoleventil", "kjolebatteri padrag", "padrag kjolebatteri", "padrag kjoling",
        "kjoling padrag", "ventil kjoling", "kjolebatteri",
    )),
    "damper": Field("outdoor air damper", "fraction", (
        "outdoor air damper control signal", "outdoor air damper", "outside air damper",
        "uteluftspjeld", "uteluft spjeld", "spjeld uteluft", "friskluftspjeld",
        "spjeld padrag", "padrag spjeld", "spjeld",
    )),
    "fan_on": Field("supply fan status", "status", (
        "supply air fan status", "supply fan status", "fan status", "tilluftsvifte drift",
        "drift tilluftsvifte", "vifte drift", "drift vifte", "driftsindikering", "drift",
        "tilluftsvifte", "vifte",
    )),
    "fan_speed": Field("supply fan speed", "fraction", (
        "supply air fan speed control signal", "supply fan speed", "fan speed",
        "tilluftsvifte padrag", "padrag tilluftsvifte", "vifte padrag", "padrag vifte",
        "viftehastighet", "turtall",
    )),
    "occupied": Field("occupancy schedule", "status", (
        "occupancy mode indicator", "occupancy mode", "occupied", "driftstid", "brukstid",
        "tidsprogram",
    )),
    "airflow_m3_s": Field("supply airflow", "flow", (
        "supply air flow", "supply airflow", "luftmengde tilluft", "tilluft luftmengde",
        "luftmengde",
    )),
    "duct_pressure_pa": Field("supply duct static pressure", "pressure", (
        "supply air duct static pressure", "duct static pressure", "supply duct pressure",
        "kanaltrykk tilluft", "tilluft kanaltrykk", "trykk tilluft", "tilluftstrykk",
        "kanaltrykk",
    )),
    "duct_pressure_setpoint_pa": Field("duct static pressure setpoint", "pressure", (
        "supply air duct static pressure set point", "duct static pressure set point",
        "duct static pressure setpoint", "settpunkt kanaltrykk", "kanaltrykk settpunkt",
        "settpunkt trykk tilluft", "trykk tilluft settpunkt",
    )),
}  # fmt: skip
#: Words that keep a header from a field whatever its name: the other air streams are not the
#: supply or outdoor air, a setpoint is not a sensor, a room's, a pressure's or the water's is
#: not the unit's air, and a temperature is not a command.
_OTHER_STREAMS: Final = frozenset({"return", "exhaust", "relief", "retur", "avtrekk", "avkast"})
_SETPOINT: Final = frozenset({"set", "setpoint", "settpunkt", "sp", "borverdi"})
_NOT_AIR: Final = frozenset(
    {"pressure", "trykk", "humidity", "fukt", "co2", "water", "vann", "rom", "room", "zone"}
)
_TEMPERATURE_WORDS: Final = frozenset({"temperature", "temp", "temperatur"})
_PRESSURE_WORDS: Final = frozenset({"pressure", "trykk"})
EXCLUDED: Final[dict[str, frozenset[str]]] = {
    field: (_NOT_AIR - _PRESSURE_WORDS if kind == "pressure" else _NOT_AIR)
    | (frozenset() if field == "return_c" else _OTHER_STREAMS)
    | (
        _SETPOINT
        if kind in ("temperature", "pressure") and "setpoint" not in field
        else frozenset()
    )
    | (_TEMPERATURE_WORDS if kind != "temperature" else frozenset())
    for field, (_, kind, _) in FIELDS.items()
}
#: Unit in a header (case-folded, spaces removed) -> (offset, divisor) to the rules' unit (°C,
#: 0-1, m³/s), per kind of field: the value is (reading + offset) / divisor.
UNIT_SCALES: Final[dict[Kind, dict[str, tuple[float, float]]]] = {
    "temperature": {
        "°c": (0.0, 1.0), "ºc": (0.0, 1.0), "c": (0.0, 1.0), "cel": (0.0, 1.0),
        "degc": (0.0, 1.0), "k": (-273.15, 1.0), "°f": (-32.0, 1.8), "ºf": (-32.0, 1.8),
        "f": (-32.0, 1.8), "degf": (-32.0, 1.8),
    },
    "fraction": {
        "%": (0.0, 100.0), "pct": (0.0, 100.0), "0-1": (0.0, 1.0), "/": (0.0, 1.0),
        "-": (0.0, 1.0), "ratio": (0.0, 1.0),
    },
    "flow": {
        "m3/s": (0.0, 1.0), "m³/s": (0.0, 1.0), "m3/h": (0.0, 3600.0), "m³/h": (0.0, 3600.0),
        "l/s": (0.0, 1000.0), "cfm": (0.0, 2118.88),
    },
    "pressure": {
        "pa": (0.0, 1.0), "kpa": (0.0, 0.001), "inh2o": (0.0, 1.0 / PA_PER_INCH_WATER),
        "inwc": (0.0, 1.0 / PA_PER_INCH_WATER), "in.w.c.": (0.0, 1.0 / PA_PER_INCH_WATER),
    },
}  # fmt: skip
_TARGET: Final = {"temperature": "°C", "fraction": "0-1", "flow": "m³/s", "pressure": "Pa"}
_KNOWN: Final = {
    "temperature": "°C, K or °F",
    "fraction": "% or 0-1",
    "flow": "m3/h, l/s or m3/s",
    "pressure": "Pa, kPa or inH2O",
}
#: Without a unit, a duct pressure with a median below this is in inch of water: a duct's
#: static pressure is 100-1000 Pa, 0.4-4 inch of water.
INCH_WATER_MEDIAN: Final = 10.0
#: What to call a column the scan cannot do without, when the file has none.
_HINTS: Final = {
    "supply_c": "supply air temperature column (such as 'Supply Air Temperature' or "
    "'tilluftstemperatur')",
    "fan_on": "supply fan column (a status such as 'Supply Air Fan Status' or "
    "'tilluftsvifte drift', or a speed such as 'viftehastighet')",
}
#: Without a unit in the headers, air temperatures with a median above this are °F.
FAHRENHEIT_MEDIAN: Final = 40.0
#: Without a unit, a command that goes above this is in percent.
PERCENT_MAX: Final = 1.5
#: A status written as a word.
_STATUS_WORDS: Final = {
    "on": 1.0, "off": 0.0, "true": 1.0, "false": 0.0, "yes": 1.0, "no": 0.0,
    "ja": 1.0, "nei": 0.0, "pa": 1.0, "av": 0.0, "drift": 1.0, "stopp": 0.0,
}  # fmt: skip
_BRACKETS: Final = re.compile(r"^(?P<name>.*?)\s*[\[(]\s*(?P<unit>[^\])]*?)\s*[\])]\s*$")
_TRAILING_UNIT: Final = re.compile(r"^(?P<name>.*?)[\s_]+(?P<unit>degF|degC|°F|°C|%)$", re.I)
_US_TIME: Final = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})[ T](\d{1,2}):(\d{2})(?::(\d{2}))?$")
#: Columns of which an AHU export has at least one besides the supply air temperature.
_COMMANDS: Final = frozenset({"heating_valve", "cooling_valve", "damper", "mixed_c"})
_FOLDS: Final = (("æ", "ae"), ("ø", "o"), ("å", "a"), ("aa", "a"), ("oe", "o"))


@dataclass(frozen=True, slots=True)
class AhuExport:
    """An AHU export as read: the series for the rules, what was read for each field (field ->
    the column and how it was read), notes for the person to check, the rows of the file, the
    typical time between them, and the ``extra`` columns asked for, aligned with the series."""

    series: AhuSeries
    used: dict[str, str]
    notes: tuple[str, ...]
    rows: int
    step_s: float
    extra: dict[str, FloatArray]


def read_ahu_export(
    path: Path,
    *,
    columns: Mapping[str, str] | None = None,
    temperature_unit: Literal["C", "F"] | None = None,
    timezone: dt.tzinfo = TIMEZONE,
    extra_columns: Sequence[str] = (),
    progress: Callable[[str], None] = lambda line: None,
) -> AhuExport:
    """The AHU trend export at ``path`` as an :class:`AhuSeries` (°C, commands 0-1).

    ``columns`` names the column of a field (field -> header) over what the names say;
    ``temperature_unit`` is the unit of temperature columns whose header gives none (default:
    from their values); a time without an offset is wall time in ``timezone``; the
    ``extra_columns`` (headers) are read as numbers too. Raises :class:`ScanError` saying what
    is missing or what to fix in the file.
    """
    header, rows = _read_table(path)
    named = [i for i, h in enumerate(header) if _fold(split_unit(h)[0]) in TIME_NAMES]
    index = named[0] if named else 0
    chosen = fields_of(header, skip={index})
    for field, name in (columns or {}).items():
        if field not in FIELDS:
            raise ScanError(f"--column {field}: no such field; the fields are {', '.join(FIELDS)}")
        at = _column_named(header, name, path=path)
        chosen = {f: i for f, i in chosen.items() if i != at} | {field: at}
    for field, hint in _HINTS.items():
        if field not in chosen and (field != "fan_on" or "fan_speed" not in chosen):
            raise ScanError(
                f"{path.name}: no {hint}; the file has: {_listed(header)}. Rename it, or choose "
                f"it with --column {field}=HEADER"
            )
    times, order, notes = _times(
        rows,
        header=header[index],
        index=index,
        named=bool(named),
        timezone=timezone,
        progress=progress,
    )
    values = {f: _values(rows, header[i], i, notes)[order] for f, i in chosen.items()}
    fahrenheit = _fahrenheit(header, chosen, values, temperature_unit, notes)
    points: dict[str, FloatArray] = {"times_s": times}
    used: dict[str, str] = {}
    for field, at in chosen.items():
        points[field], used[field] = _converted(
            field, header[at], values[field], fahrenheit=fahrenheit, notes=notes
        )
    if "fan_on" not in points:
        points["fan_on"] = (np.nan_to_num(points["fan_speed"]) > 0.0).astype(np.float64)
        notes.append("no supply fan status column: the fan counts as running at a speed above 0")
    extra = {}
    for name in extra_columns:
        at = _column_named(header, name, path=path)
        extra[name] = _values(rows, header[at], at, notes)[order]
    return AhuExport(
        series=AhuSeries.from_points(points),
        used=used,
        notes=tuple(notes),
        rows=len(rows),
        step_s=float(np.median(np.diff(times))) if times.size > 1 else 60.0,
        extra=extra,
    )


def looks_like_ahu(path: Path) -> bool:
    """Whether the file's header names an AHU's points: a supply air temperature and a valve,
    damper or mixed air temperature, and no energy or power column (a meter export's)."""
    try:
        header, _ = _read_table(path)
    except ScanError:
        return False
    found = fields_of(header)
    meters = any(
        UNITS.get(unit.replace(" ", "").casefold(), ("", ""))[1] in ("energy", "power")
        for _, unit in map(split_unit, header)
        if unit
    )
    return "supply_c" in found and bool(_COMMANDS & found.keys()) and not meters


def split_unit(header: str) -> tuple[str, str | None]:
    """A header's name and its unit (``Tilluft [°C]``, ``SAT (degF)``, ``valve %``)."""
    header = header.strip()
    match = _BRACKETS.match(header) or _TRAILING_UNIT.match(header)
    if match and match["name"].strip():
        return match["name"].strip(), match["unit"].strip() or None
    return header, None


def fields_of(header: Sequence[str], *, skip: Set[int] = frozenset()) -> dict[str, int]:
    """Field -> index of the column it is read from, by the names in :data:`FIELDS`.

    A column goes to the field whose name it matches most specifically (``settpunkt tilluft``
    is the setpoint, not the supply air); a field with several columns takes the one matching
    its earlier name, then the first column.
    """
    matches: dict[str, list[tuple[int, int]]] = {}
    for index, text in enumerate(header):
        if index in skip:
            continue
        name = _fold(split_unit(text)[0])
        words = set(name.split())
        best: tuple[int, str, int] | None = None
        for field, names in _FOLDED.items():
            rank = next((r for r, n in enumerate(names) if _matches(name, n)), None)
            if rank is None or words & EXCLUDED[field]:
                continue
            if best is None or len(names[rank]) > best[0]:
                best = (len(names[rank]), field, rank)
        if best is not None:
            matches.setdefault(best[1], []).append((best[2], index))
    return {field: min(found)[1] for field, found in matches.items()}


def _fold(text: str) -> str:
    text = text.casefold()
    for letters, spelt in _FOLDS:
        text = text.replace(letters, spelt)
    return " ".join(re.split(r"[^a-z0-9]+", text)).strip()


_FOLDED: Final = {field: tuple(map(_fold, known.names)) for field, known in FIELDS.items()}


def _matches(name: str, wanted: str) -> bool:
    return name == wanted or name.endswith(" " + wanted)


def _column_named(header: list[str], name: str, *, path: Path) -> int:
    """The index of the column ``name`` names (its header, or that without the unit)."""
    wanted = _fold(name)
    for index, text in enumerate(header):
        if wanted in (_fold(text), _fold(split_unit(text)[0])):
            return index
    raise ScanError(f"{path.name}: no column {name!r}; the file has: {_listed(header)}")


def _listed(header: Sequence[str]) -> str:
    return ", ".join(repr(h) for h in header)


def _times(
    rows: Sequence[Row],
    *,
    header: str,
    index: int,
    named: bool,
    timezone: dt.tzinfo,
    progress: Callable[[str], None],
) -> tuple[FloatArray, IndexArray, list[str]]:
    """The times in ascending order, which row each comes from, and notes on how they were read.

    A time that repeats an earlier one (the hour skipped in spring, read in a zone with the
    clock change, or a file appended to twice) keeps its first row.
    """
    cells, notes = _us_times([_cell(cells, index) for _, cells in rows])
    times = parse_times(
        cells,
        header=header,
        lines=[line for line, _ in rows],
        found_by_name=named,
        timezone=timezone,
        progress=progress,
    )
    order = np.argsort(times, kind="stable")
    keep = np.concatenate([[True], np.diff(times[order]) > 0])
    if not keep.all():
        notes.append(
            f"{np.count_nonzero(~keep)} rows repeat an earlier time (as times in the hour the "
            "clocks skip in spring do the hour after it); the first of each is used"
        )
    return times[order][keep], order[keep], notes


def _us_times(cells: list[str]) -> tuple[list[str], list[str]]:
    """Cells written ``M/D/YYYY H:MM`` (or ``D/M/YYYY``, where a first number is above 12)
    as ISO 8601 for :func:`analytics.scan.parse_times`, and a note saying how they were read."""
    found = [_US_TIME.match(cell) for cell in cells]
    example = next((m for m in found if m is not None), None)
    if example is None:
        return cells, []
    day_first = any(m is not None and int(m[1]) > 12 for m in found)
    written = []
    for cell, match in zip(cells, found, strict=True):
        if match is None:
            written.append(cell)
            continue
        first, second, year, hour, minute, seconds = (int(g or 0) for g in match.groups())
        month, day = (second, first) if day_first else (first, second)
        iso = f"{year:04d}-{month:02d}-{day:02d} {hour:02d}:{minute:02d}:{seconds:02d}"
        written.append(iso if 1 <= month <= 12 else cell)
    order = "day/month/year" if day_first else "month/day/year"
    return written, [f"times such as {example[0]!r} read as {order}"]


def _cell(cells: list[str], index: int) -> str:
    return cells[index].strip() if index < len(cells) else ""


def _values(rows: Sequence[Row], header: str, index: int, notes: list[str]) -> FloatArray:
    """A column as numbers: a status word (``on``, ``av``) as 1 or 0, a spreadsheet error
    (``#VALUE!``) as missing, with a note."""
    values = np.empty(len(rows))
    errors = 0
    for row, (line, cells) in enumerate(rows):
        text = _cell(cells, index)
        try:
            values[row] = _number(text)
        except ValueError:
            status = _STATUS_WORDS.get(_fold(text))
            if status is None and not text.startswith("#"):
                raise ScanError(
                    f"line {line}, column {header!r}: {text!r} is not a number; write decimals "
                    "with a comma or a point, and leave a missing value empty"
                ) from None
            errors += status is None
            values[row] = np.nan if status is None else status
    if errors:
        notes.append(f"{header!r}: {errors} cells hold a spreadsheet error, read as missing")
    return values


def _fahrenheit(
    header: list[str],
    chosen: Mapping[str, int],
    values: Mapping[str, FloatArray],
    unit: Literal["C", "F"] | None,
    notes: list[str],
) -> bool:
    """Whether the temperature columns without a unit in their header are in °F."""
    unmarked = [
        field
        for field, index in chosen.items()
        if FIELDS[field].kind == "temperature" and split_unit(header[index])[1] is None
    ]
    if unit is not None or not unmarked:
        return unit == "F"
    pooled = np.concatenate([values[field] for field in unmarked])
    pooled = pooled[np.isfinite(pooled)]
    median = float(np.median(pooled)) if pooled.size else 0.0
    if median <= FAHRENHEIT_MEDIAN:
        return False
    notes.append(
        f"no unit in the temperature columns' headers, and their median is {median:.1f}: "
        "read as °F (an AHU's air is never that warm in °C); write the unit in the header "
        "('[°C]') or give --celsius to say otherwise"
    )
    return True


def _converted(
    field: str, header: str, values: FloatArray, *, fahrenheit: bool, notes: list[str]
) -> tuple[FloatArray, str]:
    """A field's values in the rules' units (°C, 0-1, m³/s), and how they were read."""
    label, kind, _ = FIELDS[field]
    if kind == "status":
        return values, f"{header} (on where above 0.5)"
    unit = split_unit(header)[1] or _unit_of(kind, header, values, fahrenheit, notes)
    scale = UNIT_SCALES[kind].get(unit.replace(" ", "").casefold()) if unit else None
    if scale is None:
        problem = f"its unit, {unit!r}, is not one" if unit else "it has no unit"
        raise ScanError(
            f"the column {header!r} is read as the {label}, and {problem} the scan knows for "
            f"it: write {_KNOWN[kind]} in brackets after its name, or choose another column "
            "with --column"
        )
    offset, divisor = scale
    how = unit if scale == (0.0, 1.0) else f"{unit}, converted to {_TARGET[kind]}"
    return (values + offset) / divisor, f"{header} ({how})"


def _unit_of(
    kind: Kind, header: str, values: FloatArray, fahrenheit: bool, notes: list[str]
) -> str | None:
    """The unit of a column whose header gives none: the file's temperature unit, and for a
    command percent where it goes above :data:`PERCENT_MAX`. A flow has none to guess."""
    if kind == "temperature":
        return "°F" if fahrenheit else "°C"
    finite = values[np.isfinite(values)]
    if kind == "pressure":
        median = float(np.median(finite)) if finite.size else 0.0
        unit = "inH2O" if median < INCH_WATER_MEDIAN else "Pa"
        notes.append(
            f"{header!r} has no unit and a median of {median:g}: read as {unit} (write '[Pa]'"
            " or '[inH2O]' after the name to say which)"
        )
        return unit
    if kind != "fraction":
        return None
    if finite.size and float(finite.max()) > PERCENT_MAX:
        notes.append(
            f"{header!r} goes up to {float(finite.max()):g}: read as percent and scaled to "
            "0-1 (write '[%]' or '[0-1]' after the name to say which)"
        )
        return "%"
    return "0-1"
