"""Reading a building's CSV export: what the scan makes of a Norwegian Excel file from the
simulator, of the forms one meter's energy can take, and of files it must refuse."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Final

import numpy as np
import pytest

from analytics.pipeline import analyse
from analytics.scan import ScanError, first_scored_s, parse_times, read_export
from byggpuls.calendar import TIMEZONE
from simulation.faults import GroundTruthFault
from simulation.portfolio import Portfolio

START: Final = "2026-01-05T00:00:00+01:00"  # a Monday
FAULT_START: Final = "2026-01-28T16:00:00+01:00"  # Wednesday, in the third week
FAULT_END: Final = "2026-01-31T08:00:00+01:00"  # Saturday morning
WEEKS: Final = 5
DAY_S: Final = 86_400.0
HOUR_S: Final = 3600.0


def at(iso: str) -> float:
    return dt.datetime.fromisoformat(iso).timestamp()


def local(time_s: float) -> str:
    """Naive local time, as an export from Norwegian Excel writes it."""
    return dt.datetime.fromtimestamp(time_s, TIMEZONE).strftime("%Y-%m-%d %H:%M")


def comma(value: float) -> str:
    return f"{value:.3f}".replace(".", ",")


def write_school_export(path: Path, *, with_counter: bool = False) -> GroundTruthFault:
    """Five weeks of a simulated school with ventilation left on for three nights, written as
    Norwegian Excel saves a BMS export: ``;``, decimal comma, naive local times, the kWh of each
    15 minutes stamped with the interval's start; and the fault injected.

    ``with_counter`` adds the electricity counter's reading at each row's time, and a last row
    with only the counter's reading at the end of the last interval.
    """
    config = {
        "seed": 7,
        "start": START,
        "interval_s": 900,
        "variability": True,
        "buildings": [
            {
                "id": "skole-01",
                "type": "school",
                "seed": 11,
                "faults": [
                    {"kind": "after_hours_ventilation", "start": FAULT_START, "end": FAULT_END}
                ],
            }
        ],
    }
    portfolio = Portfolio.from_config(config)
    block = portfolio.buildings[0].advance_block(portfolio.start_s + WEEKS * 7 * DAY_S)
    names = [point.point for point in block.points]
    el, dh, outdoor = (
        block.values[names.index(point)]
        for point in ("el.energy", "dh.energy", "ahu1.outdoor_air_temp")
    )
    times = block.times_s.astype(np.float64)
    # The counters are read at the end of each 15 minutes: the difference to the next reading
    # is the energy of the interval starting at this one.
    header = ["tid", "el [kWh]", "dh [kWh]", "utetemp [°C]"]
    lines = []
    for i in range(times.size - 1):
        cells = [local(times[i]), comma(el[i + 1] - el[i]), comma(dh[i + 1] - dh[i])]
        cells.append(comma(outdoor[i]))
        lines.append(cells + [comma(el[i])] * with_counter)
    if with_counter:
        lines.append([local(times[-1]), "", "", comma(outdoor[-1]), comma(el[-1])])
    header += ["el_counter [kWh]"] * with_counter
    path.write_text("\n".join(";".join(cells) for cells in [header, *lines]) + "\n")
    (fault,) = portfolio.ground_truth()
    return fault


def write_synthetic(
    path: Path,
    *,
    days: float = 22,
    step_s: float = HOUR_S,
    header: str = "time,el [kWh]",
    cell: str = "{time},{kwh:.2f}",
    time_format: str = "iso",
) -> None:
    """A meter with a working day's profile, one row each ``step_s`` from a Monday."""
    start = at(START)
    rows = [header]
    for time_s in np.arange(start, start + days * DAY_S, step_s):
        hour = dt.datetime.fromtimestamp(time_s, TIMEZONE).hour
        kwh = (20.0 if 7 <= hour < 17 else 8.0) * step_s / HOUR_S
        stamp = {
            "iso": dt.datetime.fromtimestamp(time_s, TIMEZONE).isoformat(),
            "norwegian": dt.datetime.fromtimestamp(time_s, TIMEZONE).strftime("%d.%m.%Y %H:%M"),
            "epoch": str(int(time_s)),
        }[time_format]
        rows.append(cell.format(time=stamp, kwh=kwh, wh=kwh * 1000))
    path.write_text("\n".join(rows) + "\n", encoding="cp1252")


def assert_found_when(start_s: float, end_s: float, fault: GroundTruthFault) -> None:
    """A finding of ``fault`` begins by the end of its first night (it began at 16:00, in
    opening hours), not days before it, and ends with it, not sooner than its last night."""
    assert fault.start - 3 * DAY_S < start_s <= fault.start + 13 * HOUR_S
    assert fault.end - 8 * HOUR_S <= end_s <= fault.end + 6 * HOUR_S


@pytest.fixture(scope="module")
def school(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, GroundTruthFault]:
    path = tmp_path_factory.mktemp("scan") / "skole.csv"
    return path, write_school_export(path, with_counter=True)


def test_a_norwegian_excel_export_becomes_hourly_meters_from_their_names(
    school: tuple[Path, GroundTruthFault],
) -> None:
    path, _ = school
    export = read_export(path, building_type="school", electricity="el [kWh]")

    data = export.data
    assert (data.building, data.building_type) == ("skole", "school")
    assert [(m.point, m.carrier) for m in data.meters] == [("el", "electricity"), ("dh", "heat")]
    assert set(export.used) == {"electricity", "heat", "outdoor"}
    assert "15 min" in export.used["electricity"]
    assert np.all(np.diff(data.times_s) == HOUR_S)
    assert data.times_s[0] == at(START)  # the first quarter-hour row is 00:15
    assert data.times_s.size == WEEKS * 7 * 24
    el = data.meters[0].energy_kwh
    assert np.isfinite(el).all()
    assert 5 < np.median(el) < 200  # kWh an hour of a school, not per quarter or per day
    assert np.nanmin(data.outdoor_c) > -40
    assert np.nanmax(data.outdoor_c) < 20  # January in °C
    # Two weeks of history, then the first Monday judged.
    assert export.score_from_s == at("2026-01-19T00:00:00+01:00")


def test_the_scan_finds_the_ventilation_left_on_when_it_was(
    school: tuple[Path, GroundTruthFault],
) -> None:
    path, fault = school
    export = read_export(path, building_type="school", electricity="el")

    analysis = analyse(export.data, score_from_s=export.score_from_s)

    after_hours = [d for d in analysis.detections if d.kind == "after_hours_operation"]
    assert len(after_hours) == 1, [(d.kind, local(d.start_s)) for d in analysis.detections]
    (found,) = after_hours
    # The fans' electricity, and the heat their air heating coil used in the same hours.
    assert found.points == ("el", "dh")
    assert_found_when(found.start_s, found.end_s, fault)
    inside = (found.hours_s >= fault.start) & (found.hours_s < fault.end)
    assert found.waste_kwh[inside].sum() > 0.75 * found.own_waste_kwh
    assert 0.5 < found.own_waste_kwh / fault.extra_electricity_kwh < 1.5
    (heat,) = found.also
    assert heat.carrier == "heat"
    assert 0.5 < float(heat.waste_kwh.sum()) / fault.extra_heat_kwh < 1.5
    assert analysis.baselines["el"].out_of_sample.passes


def test_energy_per_quarter_hour_a_counter_and_power_give_the_same_hourly_kwh(
    tmp_path: Path, school: tuple[Path, GroundTruthFault]
) -> None:
    path, _ = school
    with_power = tmp_path / "with_power.csv"
    lines = path.read_text().splitlines()
    rows = [cells.split(";") for cells in lines]
    rows[0].append("el_effekt [kW]")
    for cells in rows[1:]:
        kwh = cells[1].replace(",", ".")
        cells.append("" if not kwh else comma(float(kwh) * 4))
    with_power.write_text("\n".join(";".join(cells) for cells in rows) + "\n")

    def electricity(column: str) -> np.ndarray:
        export = read_export(with_power, building_type="school", electricity=column)
        assert export.data.times_s.size == WEEKS * 7 * 24
        return export.data.meters[0].energy_kwh

    per_interval = electricity("el [kWh]")
    np.testing.assert_allclose(electricity("el_counter"), per_interval, atol=1e-6)
    np.testing.assert_allclose(electricity("el_effekt"), per_interval, atol=1e-6)


def test_a_column_called_a_counter_is_read_as_one(
    school: tuple[Path, GroundTruthFault],
) -> None:
    path, _ = school
    export = read_export(path, electricity="el_counter [kWh]")
    assert "a counter in kWh" in export.used["electricity"]
    (counter,) = (r for r in export.data.readings if r.point == "el_counter")
    assert counter.counter
    assert np.all(np.diff(counter.values) >= 0)  # its readings as they are, for the checks


def test_the_repeated_hour_of_the_october_clock_change_is_read_in_file_order() -> None:
    cells = ["2026-10-25 01:30", "2026-10-25 02:00", "2026-10-25 02:30"]
    cells += ["2026-10-25 02:00", "2026-10-25 02:30", "2026-10-25 03:00"]

    times = parse_times(cells, header="tid")

    assert np.all(np.diff(times) == 1800)
    assert times[1] == at("2026-10-25T02:00:00+02:00")
    assert times[3] == at("2026-10-25T02:00:00+01:00")


def test_iso_with_an_offset_norwegian_dates_and_epoch_seconds_are_the_same_times() -> None:
    iso = parse_times(["2026-01-05T07:00:00+01:00", "2026-01-05T06:00:00Z"], header="time")
    norwegian = parse_times(["05.01.2026 07:00", "05.01.2026 07:00:00"], header="dato")
    epoch = parse_times([str(int(at("2026-01-05T07:00:00+01:00")))] * 2, header="time")

    assert iso.tolist() == norwegian.tolist() == epoch.tolist()


def test_commas_wh_and_norwegian_dates_read_as_kwh_hourly(tmp_path: Path) -> None:
    path = tmp_path / "portal.csv"
    write_synthetic(
        path,
        header='Dato,"Hovedmåler el (Wh)"',
        cell='{time},"{wh:.1f}"',
        time_format="norwegian",
        step_s=900,
    )

    export = read_export(path)

    (meter,) = export.data.meters
    assert meter.point == "Hovedmåler el"
    assert meter.carrier == "electricity"
    assert sorted(set(np.round(meter.energy_kwh, 6).tolist())) == [8.0, 20.0]
    assert any("outdoor temperature" in note for note in export.notes)


def test_columns_it_has_no_use_for_are_listed_not_refused(tmp_path: Path) -> None:
    path = tmp_path / "bms.csv"
    header = "time;el [kWh];ute_fukt [%RH];utetemp [°C];kommentar"
    write_synthetic(path, header=header, cell="{time};{kwh:.2f};80;-2,5;ok")

    export = read_export(path)

    assert export.used["outdoor"].startswith("utetemp [°C]")
    assert "columns not used: 'ute_fukt [%RH]', 'kommentar'" in export.notes
    assert np.nanmax(export.data.outdoor_c) == -2.5


def test_scoring_starts_on_the_first_monday_with_two_weeks_before_it() -> None:
    wednesday = at("2026-01-07T00:00:00+01:00")
    hours = np.arange(wednesday, wednesday + 30 * DAY_S, HOUR_S)
    assert first_scored_s(hours) == at("2026-01-26T00:00:00+01:00")
    # Across the March clock change, 14 local days are one hour short of 14 * 24 hours.
    monday = at("2026-03-16T00:00:00+01:00")
    hours = np.arange(monday, monday + 30 * DAY_S, HOUR_S)
    assert first_scored_s(hours) == at("2026-04-06T00:00:00+02:00")


#: What a file holds (header, then its rows) -> words its refusal must say.
REFUSALS: Final = {
    "no time column": ("el [kWh];dh [kWh]\n12,5;3,1", ["no time column", "'el [kWh]'"]),
    "a bad time": ("time;el [kWh]\n2026-01-05 07:00;12,5\nyesterday;3,1", ["line 3", "yesterday"]),
    "no energy column": (
        "time;utetemp [°C]\n2026-01-05 07:00;-3,5",
        ["no energy", "--electricity"],
    ),
    "no unit": ("time;el\n2026-01-05 07:00;12,5", ["'el' has no unit", "el [kWh]"]),
    "an unknown unit": ("time;el [kVAh]\n2026-01-05 07:00;12,5", ["unknown unit, 'kVAh'", "kWh"]),
    "not a number": ("time;el [kWh]\n2026-01-05 07:00;twelve", ["line 2", "'twelve' is not a"]),
}


@pytest.mark.parametrize("case", sorted(REFUSALS))
def test_a_file_it_cannot_read_is_refused_saying_what_to_fix(tmp_path: Path, case: str) -> None:
    text, words = REFUSALS[case]
    path = tmp_path / "export.csv"
    path.write_text(f"{text}\n")
    with pytest.raises(ScanError) as refused:
        read_export(path)
    for word in words:
        assert word in str(refused.value)


def test_less_than_three_weeks_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "short.csv"
    write_synthetic(path, days=20)
    with pytest.raises(ScanError, match=r"20\.0 days of meter data .* at least 3 weeks"):
        read_export(path)
    write_synthetic(path, days=21)
    assert read_export(path).data.times_s.size == 21 * 24


def test_a_counter_not_called_one_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "counter.csv"
    write_synthetic(path, header="time,el [kWh]", cell="{time},{kwh:.2f}")
    lines = path.read_text().splitlines()
    total = 0.0
    for i in range(1, len(lines)):
        time, kwh = lines[i].split(",")
        total += float(kwh)
        lines[i] = f"{time},{total:.2f}"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(ScanError, match=r"never decreases.*el_counter"):
        read_export(path)


def test_rows_more_than_an_hour_apart_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "daily.csv"
    write_synthetic(path, days=60, step_s=DAY_S)
    with pytest.raises(ScanError, match=r"24 hours apart.*hourly"):
        read_export(path)


def test_a_named_column_must_exist(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    write_synthetic(path)
    with pytest.raises(ScanError, match=r"--heat fv: the file has no such column.*'el \[kWh\]'"):
        read_export(path, heat="fv")
