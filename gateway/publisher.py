"""The publisher: moves packs from the spool to the broker, and tells the broker how it is doing.

One publisher per gateway, with its own MQTT session (its own client id, Last Will and
persistent session: see :func:`session_options`), given to it, and one thread. It

- on every (re)connect, before any telemetry, subscribes to its acknowledgement topic
  (``byggpuls/v1/{building}/ack/{gateway}``) and publishes the retained ``meta`` (the gateway's
  points) and a retained ``online`` status; the Last Will is ``offline``;
- publishes packs in spool order, QoS 1, at most ``max_inflight_packs`` not yet acknowledged;
- deletes a pack from the spool only when ingest's end-to-end acknowledgement covers it (ingest
  sends one once the pack is stored or kept as a dead letter; see :mod:`ingest.acker`). The
  broker's PUBACK means only "the broker has it": a broker that crashes, a subscriber that is
  not ingest, a worker that dies with the pack in flight all lose a pack *after* its PUBACK;
- sends a pack again, with the same sequence number and bytes (a repeat to ingest, never new
  data), when no acknowledgement came within ``ack_timeout_s`` of sending it, then after
  growing waits (:func:`ack_wait`); a pack the broker refused (an error PUBACK, or MQTT 5's
  "no matching subscribers") after the shorter reconnect backoff;
- after a reconnect, publishes again every pack of the window the broker had not answered —
  itself, in order, after the birth messages — instead of leaving that to the session, which
  would resend from memory before our ``meta`` (and not at all after a restart);
- republishes its status every ``status_interval_s`` and whenever the spool dropped readings,
  with the spool's depth and dropped count and the window's unacknowledged packs;
- on a clean stop, waits (briefly) for the window, publishes a retained ``offline`` status
  itself and waits for it too.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Final, TypedDict

import paho.mqtt.client as paho

from byggpuls import topics, wire
from byggpuls.errors import ConfigError, PayloadError
from byggpuls.mqtt import Outgoing, Session, Will
from byggpuls.mqtt.backoff import backoff_delay, reconnect_delay
from byggpuls.reading import BuildingInfo, PointInfo
from gateway.config import DEFAULT_ACK_TIMEOUT_S
from gateway.errors import SpoolError
from gateway.spool import Spool, SpooledPack

logger = logging.getLogger(__name__)

#: Extra room in the session's own in-flight limit for status and meta messages beside the packs.
CONTROL_MESSAGES: Final = 8
#: Longest wait of the publisher thread when nothing wakes it.
_IDLE_WAIT_SECONDS: Final = 1.0
#: On a clean stop, how long the offline status waits for its PUBACK at least, when the packs
#: in flight have taken the whole stop timeout.
OFFLINE_STATUS_WAIT_S: Final = 1.0
#: On a clean stop, how long the window waits for ingest's acknowledgements once the broker has
#: every pack of it (fewer repeats after the next start; the spool keeps them either way).
STOP_ACK_GRACE_S: Final = 1.0
#: The longest wait between two sends of one pack: a pack waiting through an ingest outage is
#: sent at least this often, so that it goes through soon after ingest is back.
ACK_WAIT_MAX_S: Final = 60.0


def ack_wait(resends: int, *, ack_timeout_s: float) -> float:
    """Seconds a pack sent ``resends`` times before waits for its acknowledgement now:
    ``ack_timeout_s`` the first time, then growing (equal jitter) up to :data:`ACK_WAIT_MAX_S`
    or ``ack_timeout_s``, whichever is longer."""
    if resends <= 0:
        return ack_timeout_s
    longest = max(ack_timeout_s, ACK_WAIT_MAX_S)
    wait = backoff_delay(resends - 1, first_s=min(2 * ack_timeout_s, longest), max_s=longest)
    # Equal jitter draws from half the ceiling up: never below the first wait.
    return max(ack_timeout_s, wait)


class SessionOptions(TypedDict):
    """What a :class:`SpoolPublisher` needs of the :class:`~byggpuls.mqtt.MqttSession` it is
    given, as that session's keyword arguments."""

    client_id: str
    will: Will
    max_inflight: int
    require_subscribers: bool


def session_options(*, building: str, gateway: str, max_inflight_packs: int) -> SessionOptions:
    """The session of gateway ``gateway`` of ``building``: its id is the client id, its Last
    Will says ``offline`` (retained), and a publish that reached no subscriber counts as
    refused."""
    return SessionOptions(
        client_id=gateway,
        will=Will(topic=topics.status(building, gateway), payload=wire.OFFLINE, retain=True),
        max_inflight=max_inflight_packs + CONTROL_MESSAGES,
        # A pack nobody subscribed to (no ingest worker yet, or one whose subscription a broker
        # restart lost) will not be acknowledged: sent again after the short refusal backoff
        # rather than the acknowledgement timeout. Only a hint: a pack that reached some other
        # subscriber and not ingest waits for the timeout.
        require_subscribers=True,
    )


@dataclass(slots=True)
class _InFlight:
    """A pack published and not yet acknowledged by ingest."""

    pack: SpooledPack
    #: Its last publish.
    info: Outgoing
    #: When it was first published (the publisher's clock), for the age of the oldest.
    first_sent_s: float
    #: When it is sent again unless acknowledged first.
    due_s: float
    #: Whether the broker answered its last publish with a PUBACK that accepted it.
    broker_has: bool = False
    #: Whether the broker refused its last publish (an error PUBACK).
    refused: bool = False
    #: Refusals in a row; the resend waits longer after each.
    refusals: int = 0
    #: Times it was sent again because no acknowledgement came.
    resends: int = 0


class SpoolPublisher:
    """Publishes the packs of ``spool`` as gateway ``gateway`` of ``building`` on ``session``.

    It sets the session's ``on_connect``, ``on_message`` and ``on_publish``; the session must be
    one of :func:`session_options`. Its owner may set :attr:`detail` (more for the status
    message) and :attr:`on_delivered` (packs left the spool) before :meth:`start`. ``clock`` is
    the monotonic clock of its acknowledgement waits, backoffs and status interval.
    """

    def __init__(
        self,
        *,
        spool: Spool,
        session: Session,
        gateway: str,
        building: BuildingInfo,
        points: Sequence[PointInfo],
        max_inflight_packs: int,
        status_interval_s: float,
        ack_timeout_s: float = DEFAULT_ACK_TIMEOUT_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.spool = spool
        self.session = session
        self.gateway = gateway
        self.building = building
        self.points = list(points)
        try:  # refused here, at start, not in every connect of the network thread
            self._meta_payload()
        except PayloadError as exc:
            raise ConfigError(f"gateway {gateway}: its points cannot be announced: {exc}") from None
        if ack_timeout_s <= 0:
            raise ConfigError(f"gateway {gateway}: ack_timeout_s must be above 0")
        self.max_inflight_packs = max_inflight_packs
        self.status_interval_s = status_interval_s
        self.ack_timeout_s = ack_timeout_s
        self.detail: Callable[[], dict[str, Any]] | None = None
        self.on_delivered: Callable[[], None] | None = None
        self._clock = clock
        self.status_topic = topics.status(building.id, gateway)
        self.meta_topic = topics.meta(building.id, gateway)
        self.ack_topic = topics.ack(building.id, gateway)
        session.on_connect = self._on_connect
        session.on_publish = self._on_publish
        session.on_message = self._on_message
        #: Guards the window and every publish; never held by the session when it calls us back
        #: from under its own locks (on_publish), so that cannot deadlock.
        self._lock = threading.Lock()
        self._window: list[_InFlight] = []
        #: Filled by the network thread: message ids the broker accepted, and the sequence
        #: ranges ingest acknowledged.
        self._acks_lock = threading.Lock()
        self._acked_mids: set[int] = set()
        self._acked_ranges: list[tuple[int, int]] = []
        self._birth_generation = 0
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._status_due_s = 0.0
        self._status_dropped = -1
        #: Publishes the broker refused; packs sent again for want of an acknowledgement;
        #: acknowledgements that could not be read.
        self.refused = 0
        self.resent = 0
        self.bad_acks = 0
        self.connects = 0

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> None:
        self.session.start()
        self._thread = threading.Thread(
            target=self._run, name=f"publish-{self.gateway}", daemon=True
        )
        self._thread.start()

    def wake(self) -> None:
        """Say that the spool has new packs."""
        self._wake.set()

    def stop(self, *, timeout_s: float = 5.0) -> None:
        """Stop publishing; say ``offline`` (retained) and disconnect cleanly."""
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout_s)
            self._thread = None
        now = time.monotonic()
        deadline = now + timeout_s
        grace_end = now + min(timeout_s, STOP_ACK_GRACE_S)
        # The window gets a moment first: until the broker has all of it, and a little longer
        # for ingest's acknowledgements (fewer repeats after the next start), so that the
        # offline status then tells the spool as the gateway leaves it.
        self._collect_acks()
        while self._window and self.session.connected and time.monotonic() < deadline:
            if time.monotonic() >= grace_end and all(e.broker_has for e in self._window):
                break
            self._wake.wait(0.05)
            self._wake.clear()
            self._collect_acks()
        if self.session.connected:
            with self._lock:
                info = self.session.publish(
                    self.status_topic, self._status_payload("offline"), qos=1, retain=True
                )
            # At least a moment for the status itself, even when the packs took all the time.
            status_deadline = max(deadline, time.monotonic() + OFFLINE_STATUS_WAIT_S)
            while (
                not info.is_published()
                and self.session.connected
                and time.monotonic() < status_deadline
            ):
                self._wake.wait(0.05)
                self._wake.clear()
            if not info.is_published():
                logger.warning("gateway %s: offline status not acknowledged", self.gateway)
        self._collect_acks()
        self.session.stop()

    @property
    def in_flight(self) -> int:
        """Packs published and not acknowledged by ingest yet."""
        return len(self._window)

    # -- network thread ----------------------------------------------------------------------

    def _on_connect(self, session: Session) -> None:
        with self._lock:
            # Subscribed again on every connect: a broker may have lost the session.
            session.subscribe(self.ack_topic, qos=1)
            # The session would resend unacknowledged messages from memory right after this
            # callback, ahead of the birth messages; the window is republished below instead.
            session.drop_unacknowledged()
            session.publish(self.meta_topic, self._meta_payload(), qos=1, retain=True)
            session.publish(self.status_topic, self._status_payload("online"), qos=1, retain=True)
            with self._acks_lock:
                accepted = {e.info.mid for e in self._window if e.info.mid in self._acked_mids}
            now = self._clock()
            resent = 0
            for entry in self._window:
                if entry.broker_has or (entry.info.mid in accepted and entry.info.is_published()):
                    # The broker took it; ingest's acknowledgement (or its absence) decides.
                    continue
                self._send(entry, now)
                resent += 1
            self._birth_generation = session.generation
            self._status_due_s = self._clock() + self.status_interval_s
            self.connects += 1
        if resent:
            logger.info("gateway %s: republished %d unanswered packs", self.gateway, resent)
        self._wake.set()

    def _on_publish(self, mid: int) -> None:
        # paho calls this under its message lock: take no lock that is held while publishing.
        with self._acks_lock:
            self._acked_mids.add(mid)
        self._wake.set()

    def _on_message(self, message: paho.MQTTMessage) -> None:
        if message.topic != self.ack_topic:
            return
        try:
            ranges = wire.decode_ack(bytes(message.payload))
        except PayloadError as exc:
            # Nothing is lost: what it meant to acknowledge is sent again, and acknowledged again.
            self.bad_acks += 1
            logger.warning("gateway %s: %s", self.gateway, exc)
            return
        with self._acks_lock:
            self._acked_ranges.extend(ranges)
        self._wake.set()

    # -- publisher thread --------------------------------------------------------------------

    def step(self) -> None:
        """One round of the publisher thread's work: take in PUBACKs and acknowledgements
        (acknowledged packs leave the spool), send again what is due, publish the status when
        due, and fill the window from the spool."""
        self._collect_acks()
        self._resend_due()
        self._maybe_publish_status()
        self._fill_window()

    def _run(self) -> None:
        while not self._stopping.is_set():
            self._wake.wait(_IDLE_WAIT_SECONDS)
            self._wake.clear()
            try:
                self.step()
            except SpoolError:
                logger.exception("gateway %s: spool failed; retrying", self.gateway)
                self._stopping.wait(_IDLE_WAIT_SECONDS)
            except Exception:
                # A bug here must not end publishing: the packs are safe in the spool.
                logger.exception("gateway %s: publisher error; retrying", self.gateway)
                self._stopping.wait(_IDLE_WAIT_SECONDS)

    def _ready(self) -> bool:
        return self.session.connected and self._birth_generation == self.session.generation

    def _send(self, entry: _InFlight, now: float) -> None:
        """(Re)publish ``entry``; the caller holds the lock."""
        entry.info = self.session.publish(entry.pack.topic, entry.pack.payload, qos=1)
        entry.broker_has = entry.refused = False
        entry.due_s = now + ack_wait(entry.resends, ack_timeout_s=self.ack_timeout_s)

    def _collect_acks(self) -> None:
        """Note the broker's answers; delete what ingest acknowledged from the spool and drop
        it from the window."""
        done: list[int] = []
        now = self._clock()
        with self._lock, self._acks_lock:
            ranges, self._acked_ranges = self._acked_ranges, []
            if not self._window:
                self._acked_mids.clear()
                return
            remaining = []
            for entry in self._window:
                if ranges and _covered(entry.pack.seq, ranges):
                    done.append(entry.pack.seq)
                    self._acked_mids.discard(entry.info.mid)
                    continue
                info = entry.info
                if not entry.broker_has and not entry.refused and info.is_published():
                    if info.mid in self._acked_mids:
                        entry.broker_has = True
                        entry.refusals = 0
                        self._acked_mids.discard(info.mid)
                    else:
                        self._refused(entry, now)
                remaining.append(entry)
            self._window = remaining
            # What is left belongs to status and meta messages: forget it, so that a message
            # id reused later cannot pass for an acceptance.
            self._acked_mids.intersection_update(entry.info.mid for entry in remaining)
        if done:
            self.spool.ack(done)
            if self.on_delivered is not None:
                self.on_delivered()

    def _refused(self, entry: _InFlight, now: float) -> None:
        """The broker answered ``entry``'s publish with an error or "no matching subscribers":
        send it again after a backoff."""
        entry.refused = True
        entry.due_s = now + reconnect_delay(entry.refusals)
        entry.refusals += 1
        self.refused += 1
        if entry.refusals == 1:
            logger.warning(
                "gateway %s: pack %d not delivered (refused, or no subscriber); kept and sent "
                "again",
                self.gateway,
                entry.pack.seq,
            )

    def _resend_due(self) -> None:
        """Send again, in spool order, the packs whose wait (for an acknowledgement, or after a
        refusal) is over."""
        now = self._clock()
        with self._lock:
            if not self._ready():
                return
            timed_out = 0
            for entry in self._window:
                if now < entry.due_s:
                    continue
                if not entry.refused:
                    entry.resends += 1
                    timed_out += 1
                self._send(entry, now)
            self.resent += timed_out
        if timed_out:
            logger.info(
                "gateway %s: sent %d packs again that ingest has not acknowledged",
                self.gateway,
                timed_out,
            )

    def _fill_window(self) -> None:
        with self._lock:
            if not self._ready():
                return
            room = self.max_inflight_packs - len(self._window)
            now = self._clock()
            for pack in self.spool.take(room):
                info = self.session.publish(pack.topic, pack.payload, qos=1)
                due_s = now + ack_wait(0, ack_timeout_s=self.ack_timeout_s)
                self._window.append(_InFlight(pack, info, first_sent_s=now, due_s=due_s))

    def _maybe_publish_status(self) -> None:
        now = self._clock()
        dropped = self.spool.dropped
        if now < self._status_due_s and dropped == self._status_dropped:
            return
        with self._lock:
            if not self._ready():
                return
            self.session.publish(
                self.status_topic, self._status_payload("online"), qos=1, retain=True
            )
            self._status_due_s = now + self.status_interval_s

    # -- payloads ----------------------------------------------------------------------------

    def _meta_payload(self) -> bytes:
        return wire.encode_meta(
            gateway=self.gateway, building=self.building, points=self.points, time_s=time.time()
        )

    def _status_payload(self, state: str) -> bytes:
        stats = self.spool.stats()
        self._status_dropped = stats.dropped
        detail: dict[str, Any] = {
            "appended": stats.appended,
            "delivered": stats.delivered,
            "rejected": stats.rejected,
            "next_seq": stats.next_seq,
            "unacked_packs": len(self._window),
        }
        if self._window:
            oldest = min(entry.first_sent_s for entry in self._window)
            detail["oldest_unacked_age_s"] = round(max(0.0, self._clock() - oldest), 1)
        if stats.oldest_age_s is not None:
            detail["oldest_age_s"] = round(stats.oldest_age_s, 1)
        if self.resent:
            detail["resent_packs"] = self.resent
        if self.refused:
            detail["refused_packs"] = self.refused
        if self.detail is not None:
            detail.update(self.detail())
        status = wire.Status(
            state="online" if state == "online" else "offline",
            time=time.time(),
            spool_depth=stats.depth,
            spool_dropped=stats.dropped,
            detail=detail,
        )
        return wire.encode_status(status)


def _covered(seq: int, ranges: Sequence[tuple[int, int]]) -> bool:
    return any(first <= seq <= last for first, last in ranges)


__all__ = [
    "ACK_WAIT_MAX_S",
    "CONTROL_MESSAGES",
    "SessionOptions",
    "SpoolPublisher",
    "ack_wait",
    "session_options",
]
