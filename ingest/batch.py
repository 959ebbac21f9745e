"""A batch: received messages, in the order they arrived, with what they decoded to.

Every message joins a batch, also a birth, a status or a dead letter, because acknowledgements
go out in the order the messages came in, and only once the whole batch is durable.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ingest.decode import Decoded, TelemetryPack


@dataclass(frozen=True, slots=True)
class Inbound:
    """A message as received: enough to decode it, dead-letter it and acknowledge it."""

    topic: str
    payload: bytes
    mid: int
    qos: int
    #: The connection it arrived on; an acknowledgement on a later one is not sent.
    generation: int
    #: ``time.monotonic()`` at receipt.
    received_s: float
    #: Set when the topic itself was unreadable (not UTF-8).
    topic_error: str | None = None


@dataclass(frozen=True, slots=True)
class Item:
    inbound: Inbound
    decoded: Decoded


@dataclass(slots=True)
class Batch:
    """Messages whose readings are written together and then acknowledged together."""

    items: list[Item] = field(default_factory=list)
    readings: int = 0

    def add(self, item: Item) -> None:
        self.items.append(item)
        if isinstance(item.decoded, TelemetryPack):
            self.readings += len(item.decoded.readings)

    @property
    def opened_s(self) -> float:
        """When the oldest message of the batch was received (monotonic)."""
        return self.items[0].inbound.received_s

    def __len__(self) -> int:
        return len(self.items)
