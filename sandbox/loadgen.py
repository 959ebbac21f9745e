"""Synthetic telemetry for load tests and the benchmark, and a publisher that confirms every pack.

:func:`telemetry_messages` makes realistic SenML packs (several buildings and domains, one
gateway per building with its own sequence numbers) where every (building, point, time) occurs
once, so a store that holds each reading exactly once holds :func:`expected_series` counts.
:class:`Publisher` publishes at QoS 1 and returns only when ingest acknowledged every pack
end to end (the broker every other message), publishing again what stays unacknowledged, as
a gateway's spool does.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Final

from byggpuls import topics, wire
from byggpuls.mqtt import MqttSession
from byggpuls.reading import BuildingInfo, PointInfo, Reading
from byggpuls.settings import CommonSettings
from byggpuls.storage.influx import InfluxStore

#: (domain, point prefix, unit, quantity, typical value, spread)
DOMAINS: Final = (
    ("energy", "el.meter", "kWh", "energy", 1200.0, 300.0),
    ("climate", "room.temp", "Cel", "temperature", 21.5, 2.0),
    ("hvac", "ahu.pressure", "Pa", "pressure", 250.0, 50.0),
    ("occupancy", "room.co2", "ppm", "co2", 650.0, 250.0),
)
#: 2025-11-24 00:00 UTC: a Monday, far from any time the relative-time rule would catch.
START_S: Final = 1_763_942_400
STEP_S: Final = 60


@dataclass(frozen=True, slots=True)
class Message:
    topic: str
    payload: bytes
    readings: int
    retain: bool = False
    #: ``(building, gateway, seq)`` of a telemetry pack: confirmed by ingest's acknowledgement
    #: on that gateway's ack topic. Without one, the broker's PUBACK confirms the message.
    origin: tuple[str, str, int] | None = None


def building_id(index: int) -> str:
    return f"bygg-{index:04d}"


def gateway_id(index: int) -> str:
    return f"gw-{index:04d}"


def point_id(domain_index: int, point: int) -> str:
    return f"{DOMAINS[domain_index][1]}{point:03d}"


def telemetry_messages(
    *,
    buildings: int,
    packs_per_building: int,
    points_per_pack: int = 50,
    times_per_pack: int = 4,
    domains: int = 3,
    first_building: int = 0,
    seed: int = 0,
) -> Iterator[Message]:
    """Packs of ``points_per_pack * times_per_pack`` readings, buildings interleaved.

    Pack ``k`` of a building carries domain ``k % domains`` and the time block ``k // domains``
    (``times_per_pack`` minutes), so no reading repeats another.
    """
    rng = random.Random(seed)
    for k in range(packs_per_building):
        domain_index = k % domains
        domain, _, unit, quantity, typical, spread = DOMAINS[domain_index]
        first_time_s = START_S + (k // domains) * times_per_pack * STEP_S
        for b in range(first_building, first_building + buildings):
            building = building_id(b)
            readings = [
                Reading(
                    building=building,
                    point=point_id(domain_index, p),
                    quantity=quantity,
                    time_ms=(first_time_s + t * STEP_S) * 1000,
                    value=round(typical + rng.uniform(-spread, spread), 2),
                    unit=unit,
                )
                for p in range(points_per_pack)
                for t in range(times_per_pack)
            ]
            payload = wire.encode_telemetry(
                readings, building=building, gateway=gateway_id(b), seq=k
            )
            yield Message(
                topics.telemetry(building, domain),
                payload,
                len(readings),
                origin=(building, gateway_id(b), k),
            )


def birth_messages(
    *,
    buildings: int,
    points_per_pack: int = 50,
    domains: int = 3,
    first_building: int = 0,
) -> Iterator[Message]:
    """The retained ``meta`` of each building's gateway: the points :func:`telemetry_messages`
    sends, with their domains, quantities and units, as a gateway announces them on connect."""
    for b in range(first_building, first_building + buildings):
        building = building_id(b)
        points = [
            PointInfo(
                point=point_id(d, p),
                domain=DOMAINS[d][0],
                quantity=DOMAINS[d][3],
                unit=DOMAINS[d][2],
                interval_s=STEP_S,
            )
            for d in range(domains)
            for p in range(points_per_pack)
        ]
        payload = wire.encode_meta(
            gateway=gateway_id(b),
            building=BuildingInfo(id=building, name=f"Bygg {b}", type="school"),
            points=points,
            time_s=START_S,
        )
        yield Message(topics.meta(building, gateway_id(b)), payload, 0, retain=True)


def expected_series(
    *,
    buildings: int,
    packs_per_building: int,
    points_per_pack: int = 50,
    times_per_pack: int = 4,
    domains: int = 3,
    first_building: int = 0,
) -> dict[tuple[str, str], int]:
    """(building, point) -> readings :func:`telemetry_messages` publishes of it."""
    counts: dict[tuple[str, str], int] = {}
    for k in range(packs_per_building):
        domain_index = k % domains
        for b in range(first_building, first_building + buildings):
            for p in range(points_per_pack):
                key = (building_id(b), point_id(domain_index, p))
                counts[key] = counts.get(key, 0) + times_per_pack
    return counts


class Publisher:
    """Publishes messages at QoS 1, as gateways do, and waits until each is confirmed.

    A telemetry pack (a :class:`Message` with an ``origin``) is confirmed by ingest's end-to-end
    acknowledgement on its gateway's ack topic, anything else by the broker's PUBACK. What is
    not confirmed within ``resend_after_s`` is published again, byte for byte: a repeat to
    ingest, as a gateway's spool would send it. :attr:`resent` counts those.
    """

    def __init__(
        self,
        *,
        mqtt_url: str,
        client_id: str,
        max_inflight: int = 1000,
        resend_after_s: float = 10.0,
    ) -> None:
        self._lock = threading.Lock()
        self._resend_after_s = resend_after_s
        #: Messages confirmed by PUBACK, by message id, not confirmed yet.
        self._unconfirmed: dict[int, Message] = {}
        #: Telemetry not acknowledged yet, by origin, with when it was last sent.
        self._packs: dict[tuple[str, str, int], tuple[Message, float]] = {}
        self._confirmed = 0
        self.resent = 0
        #: Confirmations that arrived before publish() returned the mid.
        self._early: set[int] = set()
        self._progress = threading.Condition(self._lock)
        self._subscribed: list[int] = []
        self.session = MqttSession(
            settings=CommonSettings(mqtt_url=mqtt_url),
            client_id=client_id,
            persistent=True,
            max_inflight=max_inflight,
            receive_maximum=1000,
            on_connect=self._on_connect,
            on_publish=self._on_publish,
            on_message=self._on_message,
        )
        self.session.start()

    def _on_connect(self, session: MqttSession) -> None:
        self._subscribed.append(session.subscribe(f"{topics.PREFIX}/+/{topics.ACK}/+", qos=1))

    def _on_publish(self, mid: int) -> None:
        with self._lock:
            if self._unconfirmed.pop(mid, None) is not None:
                self._confirmed += 1
            else:
                self._early.add(mid)
            self._progress.notify_all()

    def _on_message(self, message: Any) -> None:
        where = topics.parse(message.topic)
        if not isinstance(where, topics.AckTopic):
            return
        ranges = wire.decode_ack(bytes(message.payload))
        with self._lock:
            for first, last in ranges:
                for seq in range(first, last + 1):
                    if self._packs.pop((where.building, where.gateway, seq), None) is not None:
                        self._confirmed += 1
            self._progress.notify_all()

    def _send(self, message: Message) -> None:
        # Not under the lock: paho calls on_publish holding its own lock, which publish takes.
        if message.origin is not None:
            with self._lock:
                self._packs[message.origin] = (message, time.monotonic())
            self.session.publish(message.topic, message.payload, qos=1, retain=message.retain)
            return
        info = self.session.publish(message.topic, message.payload, qos=1, retain=message.retain)
        with self._lock:
            if info.mid in self._early:
                self._early.discard(info.mid)
                self._confirmed += 1
            else:
                self._unconfirmed[info.mid] = message

    def publish(
        self, messages: Sequence[Message], *, timeout_s: float = 120.0, stall_s: float = 15.0
    ) -> int:
        """Publish ``messages``; return how many were confirmed (all, unless timed out).

        Messages confirmed by PUBACK are published again after ``stall_s`` without progress
        (what a broker restart lost; duplicates overwrite).
        """
        if not self.session.wait_connected(timeout_s):
            raise TimeoutError("publisher could not connect to the broker")
        wait_until(lambda: bool(self._subscribed), timeout_s=timeout_s, every_s=0.01)
        self.session.wait_subscribed(self._subscribed[-1], timeout_s)
        for message in messages:
            self._send(message)
        deadline = time.monotonic() + timeout_s
        last_progress = time.monotonic()
        last_confirmed = -1
        while time.monotonic() < deadline:
            with self._lock:
                if not self._unconfirmed and not self._packs:
                    return len(messages)
                if self._confirmed != last_confirmed:
                    last_confirmed = self._confirmed
                    last_progress = time.monotonic()
                self._progress.wait(0.5)
                now = time.monotonic()
                stalled = now - last_progress > stall_s
                pending = list(self._unconfirmed.items()) if stalled else []
                overdue = [
                    message
                    for message, sent_s in self._packs.values()
                    if now - sent_s > self._resend_after_s
                ]
            if not self.session.connected:
                continue
            if stalled:
                with self._lock:
                    for mid, _ in pending:
                        self._unconfirmed.pop(mid, None)
                for _, message in pending:
                    self._send(message)
                last_progress = time.monotonic()
            for message in overdue:
                self.resent += 1
                self._send(message)
        with self._lock:
            return len(messages) - len(self._unconfirmed) - len(self._packs)

    def close(self) -> None:
        self.session.stop()


def influx_series_counts(influx_url: str) -> dict[tuple[str, str], int]:
    """(building, point) -> readings stored in the InfluxDB of ``influx_url`` (all quantities)."""
    store = InfluxStore.from_url(influx_url)
    try:
        series = store._select('SELECT count("value") FROM /.*/ GROUP BY "building", "point"')
    finally:
        store.close()
    counts: dict[tuple[str, str], int] = {}
    for one in series:
        key = (one["tags"]["building"], one["tags"]["point"])
        counts[key] = counts.get(key, 0) + int(one["values"][0][1])
    return counts


def wait_until(condition: Callable[[], bool], *, timeout_s: float, every_s: float = 0.2) -> bool:
    """Poll ``condition`` until it holds or ``timeout_s`` passed; whether it held."""
    deadline = time.monotonic() + timeout_s
    while True:
        if condition():
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(every_s)
