"""Errors of pricing waste.

ByggpulsError                 (byggpuls.errors)
└── PriceError                spot prices cannot be used: price with the flat default instead
    ├── PriceUnavailable      the source has no price for an hour asked for, or cannot be reached
    └── PriceMalformed        a price file or document is not in the documented shape

A bad price area or bad input arrays are programming or configuration errors and raise
:class:`ValueError` (settings refuse a bad area at start).
"""

from __future__ import annotations

from byggpuls.errors import ByggpulsError


class PriceError(ByggpulsError):
    """Spot prices cannot be used; :func:`~analytics.waste.prices.electricity_prices` falls
    back to the flat default on any of these."""


class PriceUnavailable(PriceError):
    """No price for an hour asked for: the day is not published (HTTP 404), the file lacks it,
    or the source cannot be reached. A later run may succeed."""


class PriceMalformed(PriceError):
    """A price file or document breaks the documented format; the message says where."""


__all__ = ["PriceError", "PriceMalformed", "PriceUnavailable"]
