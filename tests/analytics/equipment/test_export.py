"""Reading an AHU's trend export: columns by name, times, units from the header or the values."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest

from analytics.equipment.export import fields_of, looks_like_ahu, read_ahu_export, split_unit
from analytics.scan import ScanError

LBNL_HEADER = (
    "Datetime,AHU: Supply Air Temperature,AHU: Supply Air Temperature Set Point,"
    "AHU: Outdoor Air Temperature,AHU: Mixed Air Temperature,AHU: Return Air Temperature,"
    "AHU: Supply Air Fan Status,AHU: Return Air Fan Status,"
    "AHU: Outdoor Air Damper Control Signal  ,AHU: Return Air Damper Control Signal,"
    "AHU: Cooling Coil Valve Control Signal,AHU: Heating Coil Valve Control Signal,"
    "AHU: Supply Air Duct Static Pressure Set Point,Occupancy Mode Indicator,"
    "Fault Detection Ground Truth"
)


def write(tmp_path: Path, text: str, name: str = "ahu.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def lbnl_like(tmp_path: Path) -> Path:
    """Three rows as LBNL writes them: °F without a unit, commands 0-1, M/D/YYYY times."""
    rows = [
        "1/5/2026 7:00,68,55,32,50,72,1,1,0.2,0.8,0,0.5,1.4,1,0",
        "1/5/2026 7:01,69.8,55,32,#VALUE!,72,1,1,0.2,0.8,0,0.5,1.4,1,0",
        "1/5/2026 7:02,71.6,55,32,50,72,0,0,0.2,0.8,0,0.5,1.4,0,1",
    ]
    return write(tmp_path, "\n".join([LBNL_HEADER, *rows]) + "\n")


def test_an_lbnl_file_is_read_in_fahrenheit_with_its_columns_found_by_name(
    tmp_path: Path,
) -> None:
    export = read_ahu_export(lbnl_like(tmp_path), extra_columns=["Fault Detection Ground Truth"])
    series = export.series

    assert series.supply_c == pytest.approx([20.0, 21.0, 22.0])
    assert series.outdoor_c == pytest.approx([0.0] * 3)
    assert series.supply_setpoint_c == pytest.approx([(55 - 32) / 1.8] * 3)
    assert np.isnan(series.mixed_c[1])  # the spreadsheet's #VALUE!
    assert series.damper == pytest.approx([0.2] * 3)  # not the return air damper's 0.8
    assert series.heating_valve == pytest.approx([0.5] * 3)
    assert series.fan_on.tolist() == [True, True, False]  # the supply fan, not the return fan
    assert series.occupied is not None
    assert series.occupied.tolist() == [True, True, False]
    assert series.supply_setpoint_high_c is None
    assert series.airflow_m3_s is None
    assert export.extra["Fault Detection Ground Truth"].tolist() == [0.0, 0.0, 1.0]
    assert (export.rows, export.step_s) == (3, 60.0)
    # M/D/YYYY is wall time in Europe/Oslo.
    assert series.times_s[0] == dt.datetime.fromisoformat("2026-01-05T07:00+01:00").timestamp()
    notes = " | ".join(export.notes)
    assert "read as °F" in notes
    assert "read as month/day/year" in notes
    assert "1 cells hold a spreadsheet error" in notes
    assert export.used["supply_c"] == "AHU: Supply Air Temperature (°F, converted to °C)"
    assert "AHU: Supply Air Duct Static Pressure Set Point" not in export.used.values()


def test_naive_times_can_be_read_in_another_zone(tmp_path: Path) -> None:
    export = read_ahu_export(lbnl_like(tmp_path), timezone=dt.UTC)
    assert export.series.times_s[0] == dt.datetime(2026, 1, 5, 7, tzinfo=dt.UTC).timestamp()


def test_celsius_says_what_the_values_do_not(tmp_path: Path) -> None:
    export = read_ahu_export(lbnl_like(tmp_path), temperature_unit="C")
    assert export.series.supply_c == pytest.approx([68.0, 69.8, 71.6])
    assert not any("°F" in note for note in export.notes)


def test_temperatures_without_a_unit_and_a_celsius_median_stay_celsius(tmp_path: Path) -> None:
    text = "time,supply air temperature,mixed air temperature,heating valve,supply fan status\n"
    text += "2026-01-05 07:00,19.5,12,0.3,1\n2026-01-05 07:01,20.5,12,0.4,1\n"
    export = read_ahu_export(write(tmp_path, text))
    assert export.series.supply_c == pytest.approx([19.5, 20.5])
    assert export.notes == ()


def test_commands_in_percent_are_scaled_to_fractions_with_a_note(tmp_path: Path) -> None:
    text = (
        "time,supply air temperature [°C],heating valve,cooling valve,outdoor air damper,"
        "supply fan speed\n"
        "2026-01-05 07:00,20,0,0,20,0\n"
        "2026-01-05 07:01,20,100,0,20,80\n"
    )
    export = read_ahu_export(write(tmp_path, text))
    series = export.series

    assert series.heating_valve.tolist() == [0.0, 1.0]
    assert series.damper.tolist() == [0.2, 0.2]
    assert series.fan_speed is not None
    assert series.fan_speed.tolist() == [0.0, 0.8]
    # A valve that never opened stays as it is: 0 is 0 in either scale.
    assert series.cooling_valve is not None
    assert series.cooling_valve.tolist() == [0.0, 0.0]
    notes = " | ".join(export.notes)
    assert "'heating valve' goes up to 100: read as percent" in notes
    assert "'outdoor air damper' goes up to 20" in notes
    # No fan status: the fan runs where its speed is above 0.
    assert series.fan_on.tolist() == [False, True]
    assert "no supply fan status column" in notes


def test_norwegian_headers_separators_and_decimal_commas(tmp_path: Path) -> None:
    text = (
        "Tid;360.001 Tilluftstemperatur [°C];Settpunkt tilluft [°C];Avtrekk [°C];"
        "Utetemp [°C];Blandeluft [°C];Varmeventil [%];Kjøleventil [%];Uteluftspjeld [%];"
        "Tilluftsvifte drift;Avtrekksvifte drift;Luftmengde tilluft [m3/h]\n"
        "05.01.2026 07:00;19,5;20;22,5;-3,5;12,25;40;0;25;på;på;3600\n"
        "05.01.2026 07:15;20,5;20;22,5;-3;12,5;35;0;25;av;på;7200\n"
    )
    export = read_ahu_export(write(tmp_path, text))
    series = export.series

    assert series.supply_c.tolist() == [19.5, 20.5]
    assert series.supply_setpoint_c.tolist() == [20.0, 20.0]
    assert series.return_c.tolist() == [22.5, 22.5]
    assert series.outdoor_c.tolist() == [-3.5, -3.0]
    assert series.mixed_c.tolist() == [12.25, 12.5]
    assert series.heating_valve == pytest.approx([0.4, 0.35])
    assert series.damper == pytest.approx([0.25, 0.25])
    assert series.fan_on.tolist() == [True, False]  # the supply fan's, not the extract fan's
    assert series.airflow_m3_s == pytest.approx([1.0, 2.0])
    assert export.step_s == 900.0
    assert series.times_s[0] == dt.datetime.fromisoformat("2026-01-05T07:00+01:00").timestamp()
    assert export.used["heating_valve"] == "Varmeventil [%] (%, converted to 0-1)"
    assert export.used["airflow_m3_s"] == "Luftmengde tilluft [m3/h] (m3/h, converted to m³/s)"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("supply air temperature [°F]", 20.0),
        ("supply air temperature (degF)", 20.0),
        ("supply air temperature degF", 20.0),
        ("supply_air_temperature_°F", 20.0),
        ("supply air temperature [K]", 68.0 - 273.15),
        ("supply air temperature (°C)", 68.0),
    ],
)
def test_a_unit_in_the_header_wins(tmp_path: Path, header: str, expected: float) -> None:
    text = f"time,{header},heating valve,fan status\n2026-01-05 07:00,68,0.5,1\n"
    export = read_ahu_export(write(tmp_path, text), temperature_unit="C")
    assert export.series.supply_c == pytest.approx([expected])
    assert not any("°F" in note for note in export.notes)


@pytest.mark.parametrize(
    ("sensor", "setpoint", "value", "expected_pa", "note"),
    [
        # LBNL logs inch of water without a unit: a median that small is not Pa.
        ("Supply Air Duct Static Pressure", "Supply Air Duct Static Pressure Set Point",
         "1.4", 1.4 * 249.089, "read as inH2O"),
        ("kanaltrykk tilluft", "settpunkt kanaltrykk", "350", 350.0, "read as Pa"),
        ("kanaltrykk tilluft [Pa]", "settpunkt kanaltrykk [Pa]", "1.4", 1.4, None),
        ("duct static pressure (kPa)", "duct static pressure setpoint (kPa)", "0.35", 350.0,
         None),
    ],
)  # fmt: skip
def test_duct_pressure_and_its_setpoint_are_read_in_pa(
    *, tmp_path: Path, sensor: str, setpoint: str, value: str, expected_pa: float, note: str | None
) -> None:
    text = (
        f"time,supply air temperature [°C],heating valve,fan status,{sensor},{setpoint}\n"
        f"2026-01-05 07:00,18,0.5,1,{value},{value}\n"
    )
    export = read_ahu_export(write(tmp_path, text))
    assert export.series.duct_pressure_pa == pytest.approx([expected_pa])
    assert export.series.duct_pressure_setpoint_pa == pytest.approx([expected_pa])
    # The setpoint is not taken for the sensor, nor the sensor for the supply air.
    assert export.used["duct_pressure_pa"].startswith(sensor)
    assert export.used["duct_pressure_setpoint_pa"].startswith(setpoint)
    pressure_notes = [n for n in export.notes if "median" in n]
    if note is None:
        assert pressure_notes == []
    else:
        assert len(pressure_notes) == 2
        assert all(note in n for n in pressure_notes)


def test_a_unit_the_reader_does_not_know_is_refused(tmp_path: Path) -> None:
    text = "time,tilluft [bar],varmeventil,vifte\n2026-01-05 07:00,2,0.5,1\n"
    with pytest.raises(ScanError, match=r"'tilluft \[bar\]' is read as the supply air temperat"):
        read_ahu_export(write(tmp_path, text))


def test_no_supply_air_temperature_says_so_and_lists_the_columns(tmp_path: Path) -> None:
    text = "time,mixed air temperature,heating valve,fan status\n2026-01-05 07:00,12,0.5,1\n"
    with pytest.raises(ScanError) as raised:
        read_ahu_export(write(tmp_path, text))
    message = str(raised.value)
    assert "no supply air temperature column" in message
    assert "the file has: 'time', 'mixed air temperature', 'heating valve'" in message
    assert "--column supply_c=HEADER" in message


def test_no_supply_fan_says_so(tmp_path: Path) -> None:
    text = "time,tilluft,varmeventil\n2026-01-05 07:00,20,0.5\n"
    with pytest.raises(ScanError, match="no supply fan column"):
        read_ahu_export(write(tmp_path, text))


def test_a_cell_that_is_no_number_names_its_line(tmp_path: Path) -> None:
    text = "time,tilluft,varmeventil,vifte\n2026-01-05 07:00,20,0.5,1\n2026-01-05 07:01,x,0,1\n"
    with pytest.raises(ScanError, match="line 3, column 'tilluft': 'x' is not a number"):
        read_ahu_export(write(tmp_path, text))


def test_columns_named_by_the_person_win(tmp_path: Path) -> None:
    text = "time,T1,T2,V1,drift\n2026-01-05 07:00,20,12,0.5,1\n"
    export = read_ahu_export(
        write(tmp_path, text), columns={"supply_c": "T1", "mixed_c": "t2", "heating_valve": "V1"}
    )
    assert export.series.supply_c.tolist() == [20.0]
    assert export.series.mixed_c.tolist() == [12.0]
    assert export.series.heating_valve.tolist() == [0.5]
    with pytest.raises(ScanError, match="no such field"):
        read_ahu_export(write(tmp_path, text), columns={"supply": "T1"})
    with pytest.raises(ScanError, match="no column 'T9'"):
        read_ahu_export(write(tmp_path, text), columns={"supply_c": "T9"})


def test_rows_out_of_order_are_sorted_and_repeats_dropped(tmp_path: Path) -> None:
    text = (
        "time,tilluft,varmeventil,vifte\n"
        "2026-01-05 07:02,22,0.5,1\n2026-01-05 07:00,20,0.5,1\n"
        "2026-01-05 07:01,21,0.5,1\n2026-01-05 07:01,99,0.5,1\n"
    )
    export = read_ahu_export(write(tmp_path, text))
    assert export.series.supply_c.tolist() == [20.0, 21.0, 22.0]
    assert export.rows == 4
    assert any("1 rows repeat an earlier time" in note for note in export.notes)


def test_columns_go_to_the_field_they_name_most_specifically() -> None:
    header = [
        "Tid",
        "Settpunkt tilluft",
        "Tilluft",
        "AHU: Return Air Fan Status",
        "AHU: Supply Air Fan Status",
        "AHU: Exhaust Air Damper Control Signal",
        "Spjeld",
        "Tilluft trykk",
        "Rom 101 settpunkt",
    ]
    assert fields_of(header) == {
        "supply_setpoint_c": 1,
        "supply_c": 2,
        "fan_on": 4,
        "damper": 6,
    }


def test_split_unit() -> None:
    assert split_unit(" Tilluft [°C] ") == ("Tilluft", "°C")
    assert split_unit("SAT (degF)") == ("SAT", "degF")
    assert split_unit("heating valve %") == ("heating valve", "%")
    assert split_unit("AHU: Mixed Air Temperature") == ("AHU: Mixed Air Temperature", None)


def test_an_ahu_export_is_told_from_a_meter_export(tmp_path: Path) -> None:
    assert looks_like_ahu(lbnl_like(tmp_path))
    ahu = write(tmp_path, "tid;tilluft [°C];varmeventil\n05.01.2026 07:00;20;0,4\n", "a.csv")
    assert looks_like_ahu(ahu)
    meter = write(
        tmp_path, "tid;el [kWh];tilluft [°C];varmeventil\n05.01.2026 07:00;12;20;0,4\n", "m.csv"
    )
    assert not looks_like_ahu(meter)
    supply_only = write(tmp_path, "tid;tilluft [°C];utetemp [°C]\n05.01.2026 07:00;20;-3\n")
    assert not looks_like_ahu(supply_only)
    assert not looks_like_ahu(tmp_path / "nowhere.csv")
