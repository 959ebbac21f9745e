"""The settings of ``byggpuls admin``: the registry's, and how the broker's access control is
driven (``BYGGPULS_BROKER_*``), since the partners' and gateways' commands issue broker logins
and bring the broker up to date.

A module of its own, imported when a command runs: building the command line needs no pydantic.
"""

from __future__ import annotations

from byggpuls.access.settings import BrokerAccessSettings
from byggpuls.settings import CommonSettings


class AdminSettings(CommonSettings, BrokerAccessSettings):
    """``BYGGPULS_*`` of every service, and ``BYGGPULS_BROKER_*`` of the broker's access control
    (:mod:`byggpuls.access.settings`), as ``byggpuls api`` reads them."""
