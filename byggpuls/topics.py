"""The MQTT topic grammar.

    byggpuls/v1/{building}/{domain}            telemetry: one SenML pack per message
    byggpuls/v1/{building}/status/{gateway}    retained gateway status (birth / Last Will)
    byggpuls/v1/{building}/meta/{gateway}      retained point metadata ("birth certificate")
    byggpuls/v1/{building}/ack/{gateway}       ingest to gateway: which packs are stored

Ids follow :data:`byggpuls.reading.ID_PATTERN`; ``status``, ``meta`` and ``ack`` are not domains.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from byggpuls.errors import TopicError
from byggpuls.reading import is_id

PREFIX: Final = "byggpuls/v1"
STATUS: Final = "status"
META: Final = "meta"
ACK: Final = "ack"
RESERVED_DOMAINS: Final = frozenset({STATUS, META, ACK})
#: Data classes that access is granted by. Others are accepted if they are valid ids, so a new
#: class of data needs no code change; these are the ones the platform itself produces.
KNOWN_DOMAINS: Final = ("energy", "climate", "hvac", "occupancy", "water")

#: Every telemetry topic, for ingest's shared subscription (see :func:`shared`).
TELEMETRY_FILTER: Final = f"{PREFIX}/+/+"
STATUS_FILTER: Final = f"{PREFIX}/+/{STATUS}/+"
META_FILTER: Final = f"{PREFIX}/+/{META}/+"


@dataclass(frozen=True, slots=True)
class TelemetryTopic:
    building: str
    domain: str


@dataclass(frozen=True, slots=True)
class StatusTopic:
    building: str
    gateway: str


@dataclass(frozen=True, slots=True)
class MetaTopic:
    building: str
    gateway: str


@dataclass(frozen=True, slots=True)
class AckTopic:
    building: str
    gateway: str


Topic = TelemetryTopic | StatusTopic | MetaTopic | AckTopic


def _check(kind: str, value: str) -> str:
    if not is_id(value):
        raise TopicError(
            f"invalid {kind} id {value[:80]!r}: use 1-64 of a-z, 0-9, '_' and '-', "
            "starting with a letter or digit"
        )
    return value


def telemetry(building: str, domain: str) -> str:
    """The topic a gateway publishes ``domain`` readings of ``building`` on."""
    _check("building", building)
    _check("domain", domain)
    if domain in RESERVED_DOMAINS:
        raise TopicError(f"{domain!r} is reserved and cannot be a domain")
    return f"{PREFIX}/{building}/{domain}"


def status(building: str, gateway: str) -> str:
    """The retained status topic of ``gateway`` in ``building``."""
    return f"{PREFIX}/{_check('building', building)}/{STATUS}/{_check('gateway', gateway)}"


def meta(building: str, gateway: str) -> str:
    """The retained point-metadata topic of ``gateway`` in ``building``."""
    return f"{PREFIX}/{_check('building', building)}/{META}/{_check('gateway', gateway)}"


def ack(building: str, gateway: str) -> str:
    """The topic ingest tells ``gateway`` of ``building`` on which of its packs are stored."""
    return f"{PREFIX}/{_check('building', building)}/{ACK}/{_check('gateway', gateway)}"


def shared(topic_filter: str, group: str) -> str:
    """``topic_filter`` as a shared subscription of ``group`` (MQTT 5 ``$share``)."""
    return f"$share/{_check('group', group)}/{topic_filter}"


def parse(topic: str) -> Topic:
    """Parse a topic name (not a filter) into what it addresses.

    Raises :class:`TopicError` with the reason when ``topic`` is not in the grammar.
    """
    parts = topic.split("/")
    if len(parts) < 4 or f"{parts[0]}/{parts[1]}" != PREFIX:
        raise TopicError(f"topic {topic[:120]!r} is not under {PREFIX}/")
    building = _check("building", parts[2])
    if len(parts) == 4:
        domain = _check("domain", parts[3])
        if domain in RESERVED_DOMAINS:
            raise TopicError(f"topic {topic[:120]!r} lacks the gateway id after {domain!r}")
        return TelemetryTopic(building=building, domain=domain)
    if len(parts) == 5 and parts[3] in RESERVED_DOMAINS:
        gateway = _check("gateway", parts[4])
        if parts[3] == STATUS:
            return StatusTopic(building=building, gateway=gateway)
        if parts[3] == ACK:
            return AckTopic(building=building, gateway=gateway)
        return MetaTopic(building=building, gateway=gateway)
    raise TopicError(
        f"topic {topic[:120]!r} has {len(parts)} levels; expected "
        f"{PREFIX}/{{building}}/{{domain}} or {PREFIX}/{{building}}/status|meta|ack/{{gateway}}"
    )
