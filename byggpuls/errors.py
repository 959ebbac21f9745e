"""Errors shared by the services.

ByggpulsError
├── ConfigError            a setting is wrong; the message says which and how to fix it
├── ContractError          input does not follow the wire contract (dead-letter it)
│   ├── SenMLError         the payload is not valid SenML (RFC 8428)
│   ├── TopicError         the topic does not follow the topic grammar
│   └── PayloadError       valid SenML/JSON that breaks a Byggpuls rule
└── StoreError             a store failed
    ├── StoreUnavailable   transient: the same call may succeed later (retry)
    └── StoreRejected      permanent: the store will never accept this (dead-letter it)
"""

from __future__ import annotations


class ByggpulsError(Exception):
    """Base of every error Byggpuls raises on purpose."""


class ConfigError(ByggpulsError):
    """A configuration value is invalid; the message says what to fix."""


class ContractError(ByggpulsError):
    """Input breaks the wire contract; such input goes to the dead-letter store."""


class SenMLError(ContractError):
    """The payload is not a valid SenML pack (RFC 8428)."""


class TopicError(ContractError):
    """The topic does not follow ``byggpuls/v1/{building}/...``."""


class PayloadError(ContractError):
    """A well-formed payload breaks a Byggpuls rule (missing sequence number, unknown unit, ...)."""


class StoreError(ByggpulsError):
    """A store operation failed."""


class StoreUnavailable(StoreError):
    """The store cannot be reached or is overloaded; retrying later may succeed."""


class StoreRejected(StoreError):
    """The store refused the data and always will (e.g. a field type conflict)."""
