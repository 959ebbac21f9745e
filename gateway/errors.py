"""Errors of the gateway.

ByggpulsError                      (byggpuls.errors)
├── ConfigError                    a setting or the gateway's TOML file is wrong; says what to fix
└── GatewayError                   the gateway cannot go on
    ├── SpoolError                 the disk spool failed (disk full, file damaged, wrong owner)
    └── DriverError                a driver cannot produce readings (device gone, file unreadable)
"""

from __future__ import annotations

from byggpuls.errors import ByggpulsError, ConfigError


class GatewayError(ByggpulsError):
    """The gateway cannot go on as configured."""


class SpoolError(GatewayError):
    """The disk spool cannot store or hand out readings."""


class DriverError(GatewayError):
    """A driver cannot produce readings right now; the gateway retries on the next poll."""


__all__ = ["ConfigError", "DriverError", "GatewayError", "SpoolError"]
