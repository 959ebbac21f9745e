"""Errors of the registry database, on top of :mod:`byggpuls.errors`.

ByggpulsError
├── ConfigError              the database URL is wrong or the database cannot be reached
├── StoreError
│   ├── StoreUnavailable     transient: locked, connection lost, deadlock (retry)
│   └── StoreRejected        the database refused the data (a constraint)
└── RegistryError            a registry call was wrong
    ├── InvalidValue         an argument breaks a registry rule (also a ValueError)
    │   └── InvalidTransition    a finding status change the lifecycle does not allow
    └── NotFound             no such row (also a LookupError)
"""

from __future__ import annotations

from byggpuls.errors import ByggpulsError


class RegistryError(ByggpulsError):
    """A registry call was wrong."""


class InvalidValue(RegistryError, ValueError):
    """An argument breaks a registry rule (an id pattern, a building type, a naive datetime)."""


class InvalidTransition(InvalidValue):
    """A finding status change that the lifecycle (open → acknowledged → resolved) forbids."""


class NotFound(RegistryError, LookupError):
    """The row a call refers to does not exist."""
