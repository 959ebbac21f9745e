"""The energy references of each building category, in kWh per m² heated floor area and year.

The analytics score a building's energy use per m² against them (``analytics.health``) and the
API shows a building's use next to them; both take the table from here.

A metered building is compared with two references for its category, because neither alone
answers the question "is this much?":

* **TEK17 § 14-2 (1), the energy frame** (energiramme): the total *net* energy need, in kWh per
  m² heated floor area (oppvarmet BRA) per year, that a new building of the category may not
  exceed. Byggteknisk forskrift (TEK17) § 14-2, table "Energirammer", as published by
  Direktoratet for byggkvalitet, https://www.dibk.no/regelverk/byggteknisk-forskrift-tek17/14/14-2
  (the values have been unchanged since TEK10 as amended 1 January 2016). Net need is a
  *calculated* figure (NS 3031:2014, standard use, Oslo climate) before the losses of the
  heating system and without the efficiency of heat pumps: not what a meter shows. Nursing
  homes: 195; the frame's 230 applies only to areas where heat recovery risks spreading
  infection.
* **Delivered energy of the existing stock**: what buildings of the category use, metered, in
  kWh per m² heated floor area per year, all carriers (electricity, district heat, oil, gas,
  bio). Statistics Norway (SSB), "Energibruk i tjenesteytende næringer", table 1 "Energibruk,
  etter bygningstype og energivare, kWh/m2", year 2011 (the survey's last year; it has since
  been discontinued), https://statbank.ssb.no/a/kortnavn/entjeneste/tab-2012-12-19-01.html.
  Not temperature-corrected (2011 was 1.8 °C warmer than the 1961-1990 normal; SSB gives
  244 kWh/m² corrected against 230 uncorrected over all types, 6.3 % more). Building types are
  NS 3457 groups: kindergartens have no line of their own and fall in group 61 "Skolebygning"
  (type 612 Barnehage), so they share the schools' figure.

The stock figure is the one a measured figure is comparable with; the frame says what is
possible today. ``other`` buildings have no reference (TEK17 would have one pick the most
similar category, which the platform cannot know).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

from byggpuls.reading import BuildingType

TEK17_SOURCE: Final = (
    "TEK17 § 14-2 (1), table Energirammer: total net energy need, kWh/m² heated BRA per year "
    "(https://www.dibk.no/regelverk/byggteknisk-forskrift-tek17/14/14-2)"
)
SSB_SOURCE: Final = (
    "SSB, Energibruk i tjenesteytende næringer, 2011, table 1: delivered energy, kWh/m², "
    "not temperature-corrected (https://statbank.ssb.no/a/kortnavn/entjeneste/tab-2012-12-19-01.html)"
)


@dataclass(frozen=True, slots=True)
class EnergyReference:
    """The two energy references of one building type, each with the category it is taken from.

    ``frame_kwh_m2``: TEK17's net energy need for a new building (kWh/m²·year);
    ``stock_kwh_m2``: the existing stock's delivered energy (kWh/m²·year).
    """

    building_type: BuildingType
    frame_kwh_m2: float
    frame_category: str
    stock_kwh_m2: float
    stock_category: str

    def __post_init__(self) -> None:
        if not 0.0 < self.frame_kwh_m2 < self.stock_kwh_m2:
            msg = (
                f"{self.building_type}: the frame ({self.frame_kwh_m2}) must be positive and "
                f"below the stock's delivered energy ({self.stock_kwh_m2})"
            )
            raise ValueError(msg)


#: The references per building type (see the module's docstring for the sources).
REFERENCES: Final[Mapping[BuildingType, EnergyReference]] = MappingProxyType(
    {
        BuildingType.SCHOOL: EnergyReference(
            BuildingType.SCHOOL, 110.0, "Skolebygning", 163.0, "61 Skolebygning"
        ),
        BuildingType.KINDERGARTEN: EnergyReference(
            BuildingType.KINDERGARTEN,
            135.0,
            "Barnehage",
            163.0,
            "61 Skolebygning (with 612 Barnehage)",
        ),
        BuildingType.NURSING_HOME: EnergyReference(
            BuildingType.NURSING_HOME, 195.0, "Sykehjem", 256.0, "72 Sykehjem"
        ),
        BuildingType.OFFICE: EnergyReference(
            BuildingType.OFFICE, 115.0, "Kontorbygning", 229.0, "31 Kontorbygning"
        ),
        BuildingType.SPORTS_HALL: EnergyReference(
            BuildingType.SPORTS_HALL, 145.0, "Idrettsbygning", 232.0, "65 Idrettsbygning"
        ),
    }
)


def reference_for(building_type: str) -> EnergyReference | None:
    """The energy references of ``building_type`` (a :class:`BuildingType` value), or None for
    ``other`` and for a type the platform does not know."""
    try:
        return REFERENCES.get(BuildingType(building_type))
    except ValueError:
        return None


__all__ = ["REFERENCES", "SSB_SOURCE", "TEK17_SOURCE", "EnergyReference", "reference_for"]
