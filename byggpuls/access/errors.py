"""Errors of the broker access control.

AccessError (a ByggpulsError)
├── BrokerUnavailable   transient: the broker or its access plugin did not answer (retry)
└── BrokerRefused       permanent: the broker answered a command with an error (the message
                        names the command, the object and the broker's reason)
"""

from __future__ import annotations

from byggpuls.errors import ByggpulsError


class AccessError(ByggpulsError):
    """Changing or reading the broker's access control failed."""


class BrokerUnavailable(AccessError):
    """The broker cannot be reached, or its access plugin did not answer in time."""


class BrokerRefused(AccessError):
    """The broker refused a command (bad admin credentials, an unknown role, ...)."""
