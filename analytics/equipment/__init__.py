"""Equipment rules: faults of air handling units found from the points their gateways publish.

After ASHRAE Guideline 36 (section 5.16.14, AHU fault conditions FC#1-FC#15) and NIST's APAR:
each rule judges the unit only in the operating state its own commands put it in, with the fan
running and the state settled, against the sensors' stated errors.

- :mod:`~analytics.equipment.ahu`: :class:`AhuSeries` (one unit's points in SI units), the G36
  operating modes, the settling gate and the G36 tolerances.
- :mod:`~analytics.equipment.rule`: the estimator contract, the alarm-delay decision and
  :class:`AhuEpisode`, shared by every rule.
- :mod:`~analytics.equipment.coils`: simultaneous heating and cooling (FC#14/#15, FC#5/#12,
  both valves open) with its energy in kWh where the airflow is known.
- :mod:`~analytics.equipment.damper`: outdoor-air damper stuck or out of position (FC#6, FC#10).
- :mod:`~analytics.equipment.supply`: supply air off its setpoint (FC#7, FC#13, persistent).
- :mod:`~analytics.equipment.mixed_air`: mixed air outside its streams' range (FC#2, FC#3).
- :mod:`~analytics.equipment.economiser`: mechanical cooling at 100 % outdoor air cold enough
  on its own (FC#11).
- :mod:`~analytics.equipment.duct_pressure`: duct static pressure off its setpoint with the
  supply fan at full speed (FC#1 and its converse).
- :mod:`~analytics.equipment.fan_schedule`: supply fan running outside opening hours.
- :mod:`~analytics.equipment.points`: a building's units and their :class:`AhuSeries` from the
  points' metadata (Brick classes, SenML units): :func:`ahu_units`, :func:`ahu_series`.
- :mod:`~analytics.equipment.export`: a unit's trend export (CSV: a BMS's, LBNL's) read into
  an :class:`AhuSeries` for ``byggpuls analytics scan``. Imported from there, not here: it
  reads the file as :mod:`analytics.scan` does, which needs the pipeline that imports this
  package.

:data:`RULES` lists the rule classes by kind; :func:`default_rules` builds one of each with its
default tolerances (G36's), the set every unit is judged with.
"""

from __future__ import annotations

from typing import Final

from analytics.equipment.ahu import AhuSeries, Mode, operating_modes, settled
from analytics.equipment.coils import SimultaneousHeatingCooling
from analytics.equipment.damper import DamperOutOfPosition
from analytics.equipment.duct_pressure import DuctPressureOffSetpoint
from analytics.equipment.economiser import CoolingWithColdOutdoorAir
from analytics.equipment.fan_schedule import FanOutsideHours
from analytics.equipment.mixed_air import MixedAirOutOfRange
from analytics.equipment.points import ahu_series, ahu_units
from analytics.equipment.rule import AhuEpisode, AhuRule
from analytics.equipment.supply import SupplyTempOffSetpoint

#: Every AHU rule, by its finding kind.
RULES: Final[dict[str, type[AhuRule]]] = {
    rule.kind: rule
    for rule in (
        SimultaneousHeatingCooling,
        DamperOutOfPosition,
        SupplyTempOffSetpoint,
        MixedAirOutOfRange,
        CoolingWithColdOutdoorAir,
        DuctPressureOffSetpoint,
        FanOutsideHours,
    )
}


def default_rules(*, building_type: str = "other") -> list[AhuRule]:
    """One unfitted rule of each kind with its default tolerances."""
    return [
        FanOutsideHours(building_type=building_type) if cls is FanOutsideHours else cls()
        for cls in RULES.values()
    ]


__all__ = [
    "RULES",
    "AhuEpisode",
    "AhuRule",
    "AhuSeries",
    "CoolingWithColdOutdoorAir",
    "DamperOutOfPosition",
    "DuctPressureOffSetpoint",
    "FanOutsideHours",
    "MixedAirOutOfRange",
    "Mode",
    "SimultaneousHeatingCooling",
    "SupplyTempOffSetpoint",
    "ahu_series",
    "ahu_units",
    "default_rules",
    "operating_modes",
    "settled",
]
