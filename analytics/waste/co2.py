"""Greenhouse-gas emissions of energy use: a factor per energy carrier, and where it comes from.

The defaults (set in :mod:`analytics.settings`, where each is explained) are:

- electricity: 136 g CO2e/kWh, the European mix of NS 3720:2018. Norway's physical mix (NVE,
  some 10-20 g/kWh) would make wasted electricity look almost free of emissions, yet a kWh
  not used in Norway is a kWh exported into the interconnected European market; NS 3720 is
  the Norwegian standard for greenhouse-gas accounts of buildings and its figure does not
  move from year to year, so findings of different years compare;
- district heat: an order of magnitude for Norwegian networks on waste incineration with some
  oil, gas and electric peak load; each network publishes its own at fjernkontrollen.no.

The source text travels with the factor into every finding's evidence.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final

#: A kWh of anything emits far less than 2 kg CO2e (lignite is about 1.1): above is a unit error.
MAX_KG_PER_KWH: Final = 2.0


@dataclass(frozen=True, slots=True)
class Co2Factor:
    """Emissions per kWh delivered, and the source a person can look the number up in."""

    kg_per_kwh: float
    source: str

    def __post_init__(self) -> None:
        if not (math.isfinite(self.kg_per_kwh) and 0 <= self.kg_per_kwh <= MAX_KG_PER_KWH):
            raise ValueError(
                f"a CO2e factor is kg per kWh, between 0 and {MAX_KG_PER_KWH}"
                f" (136 g/kWh is 0.136), not {self.kg_per_kwh}"
            )
        if not self.source.strip():
            raise ValueError("say where the CO2e factor comes from")

    def co2e_kg(self, energy_kwh: float) -> float:
        """The emissions of ``energy_kwh``."""
        return energy_kwh * self.kg_per_kwh
