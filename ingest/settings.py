"""Settings of an ingest worker: ``BYGGPULS_INGEST_*`` on top of the common ones."""

from __future__ import annotations

import re
import socket
from typing import Self

from pydantic import Field, field_validator, model_validator
from pydantic_settings import SettingsConfigDict

from byggpuls.reading import is_id
from byggpuls.settings import ENV_PREFIX, CommonSettings
from byggpuls.wire import PACK_MAX_BYTES

INGEST_PREFIX = f"{ENV_PREFIX}INGEST_"
_CLIENT_ID_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")


def default_client_id() -> str:
    """``ingest-<hostname>``: stable across restarts, so the broker's log tells workers apart.

    Several workers on one host need ids of their own (``--client-id ingest-<host>-2``).
    """
    host = _CLIENT_ID_UNSAFE.sub("-", socket.gethostname()) or "host"
    return f"ingest-{host}"[:64]


class IngestSettings(CommonSettings):
    """How one ingest worker subscribes, batches, writes and reports."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore", frozen=True)

    #: Readings per write. InfluxDB advises about 5 000 points a request.
    ingest_batch_size: int = Field(default=5000, ge=1, le=1_000_000)
    #: The longest a received message waits for its batch to be written. Bounds the delay from
    #: the gateway to the store when traffic is light.
    ingest_batch_max_wait_ms: int = Field(default=250, ge=1, le=60_000)
    #: Unacknowledged messages the broker may send before waiting for acknowledgements (MQTT 5
    #: Receive Maximum). Every message of a batch stays unacknowledged until it is written, so
    #: this must hold several batches: 1000 packs of up to 500 readings. For MQTT 3.1.1 the
    #: broker's max_inflight_messages applies (1000 in deploy/mosquitto/conf.d).
    ingest_receive_maximum: int = Field(default=1000, ge=1, le=65535)
    #: MiB of unacknowledged messages (their payloads) the worker holds at most, whatever the
    #: broker sends: telemetry beyond it is acknowledged to the broker and dropped (its gateway
    #: sends it again). Bytes, not a count, as memory is what it bounds; and above what the
    #: Receive Maximum allows, since brokers overshoot that: Mosquitto 2.0.11 moves up to a
    #: Receive Maximum of queued messages in flight on each acknowledgement of the oldest, and
    #: was measured holding a subscriber at 4 to 250 times its Receive Maximum.
    ingest_max_held_mb: float = Field(default=256.0, gt=0, le=65_536)
    #: The MQTT client id; it must differ between workers (a broker disconnects the older of
    #: two clients with one id). The session is not persistent: gateways hold their packs.
    ingest_client_id: str = Field(default_factory=default_client_id, min_length=1, max_length=64)
    #: Workers of one shared subscription group split the telemetry between them.
    ingest_shared_group: str = "ingest"
    #: Off for brokers without MQTT 5 shared subscriptions (the demo's embedded broker): then the
    #: telemetry filter is subscribed plainly and only one worker may run.
    ingest_shared_subscription: bool = True
    #: Prometheus /metrics and /healthz. 0 picks a free port (logged); loopback by default, set
    #: the host to 0.0.0.0 for a Prometheus on another machine.
    ingest_metrics_host: str = "127.0.0.1"
    ingest_metrics_port: int = Field(default=9464, ge=0, le=65535)
    #: /healthz fails once the broker, the store or the registry has been unreachable this long.
    ingest_health_threshold_s: float = Field(default=60.0, gt=0)
    #: Upper bound of the jittered backoff between retries of a failing write.
    ingest_retry_max_s: float = Field(default=30.0, gt=0)
    #: Pack receipts older than this are pruned; a pack repeated later is counted again. Two
    #: weeks is longer than any gateway keeps resending a pack ingest has acknowledged.
    ingest_receipt_retention_days: float = Field(default=14.0, gt=0)
    #: On shutdown, how long to go on writing what was received before giving up (it is not
    #: acknowledged, so its gateway sends it again).
    ingest_shutdown_grace_s: float = Field(default=10.0, ge=0)

    @model_validator(mode="after")
    def _check_held(self) -> Self:
        needed_mb = self.ingest_receive_maximum * PACK_MAX_BYTES / 2**20
        if self.ingest_max_held_mb < needed_mb:
            raise ValueError(
                f"BYGGPULS_INGEST_MAX_HELD_MB ({self.ingest_max_held_mb:g}) must be at least "
                f"{needed_mb:g}: BYGGPULS_INGEST_RECEIVE_MAXIMUM ({self.ingest_receive_maximum}) "
                "packs of the largest size; the worker would drop what it asked the broker for"
            )
        return self

    @property
    def max_held_bytes(self) -> int:
        return int(self.ingest_max_held_mb * 2**20)

    @field_validator("ingest_shared_group")
    @classmethod
    def _check_group(cls, value: str) -> str:
        if not is_id(value):
            raise ValueError(f"{value!r}: use 1-64 of a-z, 0-9, '_' and '-'")
        return value

    @field_validator("ingest_client_id")
    @classmethod
    def _check_client_id(cls, value: str) -> str:
        if _CLIENT_ID_UNSAFE.search(value):
            raise ValueError(f"{value!r}: use A-Z, a-z, 0-9, '_' and '-'")
        return value

    @property
    def max_messages_per_batch(self) -> int:
        """Messages that close a batch even below ``batch_size`` readings.

        A quarter of the in-flight window keeps a batch being written while the next fills,
        also when packs are small.
        """
        return max(1, self.ingest_receive_maximum // 4)
