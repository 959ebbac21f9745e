"""Zones (rooms) of a building: their indoor climate in occupied hours, a window left open
while the heating runs, and a setpoint kept too high.

- :func:`~analytics.zones.climate.occupied_climate`: hours and degree-hours out of the
  19-26 °C / 1000 ppm band in opening hours, a summary for the health score.
- :class:`~analytics.zones.window_open.WindowOpenDetector`: a zone colder than the rest of
  its building explains while its setpoint and radiators work as usual.
- :class:`~analytics.zones.setpoint.SetpointTooHighDetector`: a setpoint above the comfort
  limit of the building type, or well above its own usual, for days; with the heat it costs.
"""

from __future__ import annotations

from analytics.zones.climate import ZoneClimate, occupied_climate
from analytics.zones.setpoint import SetpointTooHighDetector, extra_heat_kwh
from analytics.zones.window_open import WindowOpenDetector, others_offset_c

__all__ = [
    "SetpointTooHighDetector",
    "WindowOpenDetector",
    "ZoneClimate",
    "extra_heat_kwh",
    "occupied_climate",
    "others_offset_c",
]
