"""When a building is meant to be in use: :mod:`byggpuls.hours`, which the API shares."""

from byggpuls.hours import OPENING_HOURS, in_use

__all__ = ["OPENING_HOURS", "in_use"]
