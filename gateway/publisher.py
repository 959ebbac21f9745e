"""The publisher: moves packs from the spool to the broker, and tells the broker how it is doing.

One publisher per gateway, with its own MQTT session (its own client id, Last Will and
persistent session: see :func:`session_options`), given to it, and one thread. It

- on every (re)connect, before any telemetry, publishes the retained ``meta`` (the gateway's
  points) and a retained ``online`` status; the Last Will is ``offline``;
- publishes packs in spool order, QoS 1, at most ``max_inflight_packs`` awaiting PUBACK;
- deletes a pack from the spool only when the broker acknowledged it with a PUBACK that says
  it reached a subscriber (MQTT 5: neither an error nor "no matching subscribers"); a pack not
  delivered is sent again after a backoff, so readings wait in the spool until ingest listens;
- after a reconnect, publishes again every pack of the window that was not acknowledged —
  itself, in order, after the birth messages — instead of leaving that to the session, which
  would resend from memory before our ``meta`` (and not at all after a restart);
- republishes its status every ``status_interval_s`` and whenever the spool dropped readings,
  with the spool's depth and dropped count;
- on a clean stop, publishes a retained ``offline`` status itself and waits (briefly) for it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Final, TypedDict

from byggpuls import topics, wire
from byggpuls.errors import ConfigError, PayloadError
from byggpuls.mqtt import Outgoing, Session, Will
from byggpuls.mqtt.backoff import reconnect_delay
from byggpuls.reading import BuildingInfo, PointInfo
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


class SessionOptions(TypedDict):
    """What a :class:`SpoolPublisher` needs of the :class:`~byggpuls.mqtt.MqttSession` it is
    given, as that session's keyword arguments."""

    client_id: str
    will: Will
    max_inflight: int
    require_subscribers: bool


def session_options(*, building: str, gateway: str, max_inflight_packs: int) -> SessionOptions:
    """The session of gateway ``gateway`` of ``building``: its id is the client id, its Last
    Will says ``offline`` (retained), and a publish that reached no subscriber is not delivered.
    """
    return SessionOptions(
        client_id=gateway,
        will=Will(topic=topics.status(building, gateway), payload=wire.OFFLINE, retain=True),
        max_inflight=max_inflight_packs + CONTROL_MESSAGES,
        # A pack nobody subscribed to (no ingest worker yet, or one whose subscription a
        # broker restart lost) is not delivered: it stays in the spool and is sent again.
        require_subscribers=True,
    )


@dataclass(slots=True)
class _InFlight:
    """A pack published on the current connection (or waiting for the next) without PUBACK."""

    pack: SpooledPack
    info: Outgoing
    refused: bool = False
    #: Refusals in a row; the resend waits longer after each.
    refusals: int = 0
    resend_at: float = 0.0


class SpoolPublisher:
    """Publishes the packs of ``spool`` as gateway ``gateway`` of ``building`` on ``session``.

    It sets the session's ``on_connect`` and ``on_publish``; the session must be one of
    :func:`session_options`. Its owner may set :attr:`detail` (more for the status message)
    and :attr:`on_delivered` (packs left the spool) before :meth:`start`. ``clock`` is the
    monotonic clock of its backoffs and status interval.
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
        self.max_inflight_packs = max_inflight_packs
        self.status_interval_s = status_interval_s
        self.detail: Callable[[], dict[str, Any]] | None = None
        self.on_delivered: Callable[[], None] | None = None
        self._clock = clock
        self.status_topic = topics.status(building.id, gateway)
        self.meta_topic = topics.meta(building.id, gateway)
        session.on_connect = self._on_connect
        session.on_publish = self._on_publish
        #: Guards the window and every publish; never held by the session when it calls us back
        #: from under its own locks (on_publish), so that cannot deadlock.
        self._lock = threading.Lock()
        self._window: list[_InFlight] = []
        #: Message ids the broker acknowledged without error; filled by the network thread.
        self._acks_lock = threading.Lock()
        self._acked_mids: set[int] = set()
        self._birth_generation = 0
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._status_due_s = 0.0
        self._status_dropped = -1
        self.refused = 0
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
        deadline = time.monotonic() + timeout_s
        # Packs in flight get a moment first (fewer duplicates after the next start), so that
        # the offline status then tells the spool as the gateway leaves it.
        self._collect_acks()
        while self._window and self.session.connected and time.monotonic() < deadline:
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
        return len(self._window)

    # -- network thread ----------------------------------------------------------------------

    def _on_connect(self, session: Session) -> None:
        with self._lock:
            # The session would resend unacknowledged messages from memory right after this
            # callback, ahead of the birth messages; the window is republished below instead.
            session.drop_unacknowledged()
            session.publish(self.meta_topic, self._meta_payload(), qos=1, retain=True)
            session.publish(self.status_topic, self._status_payload("online"), qos=1, retain=True)
            with self._acks_lock:
                acked = {e.info.mid for e in self._window if e.info.mid in self._acked_mids}
            resent = 0
            for entry in self._window:
                if entry.info.mid in acked and entry.info.is_published():
                    continue
                entry.info = session.publish(entry.pack.topic, entry.pack.payload, qos=1)
                entry.refused = False
                resent += 1
            self._birth_generation = session.generation
            self._status_due_s = self._clock() + self.status_interval_s
            self.connects += 1
        if resent:
            logger.info("gateway %s: republished %d unacknowledged packs", self.gateway, resent)
        self._wake.set()

    def _on_publish(self, mid: int) -> None:
        # paho calls this under its message lock: take no lock that is held while publishing.
        with self._acks_lock:
            self._acked_mids.add(mid)
        self._wake.set()

    # -- publisher thread --------------------------------------------------------------------

    def step(self) -> None:
        """One round of the publisher thread's work: take in PUBACKs (delivered packs leave the
        spool), resend refused packs whose backoff is over, publish the status when due, and
        fill the window from the spool."""
        self._collect_acks()
        self._resend_refused()
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

    def _collect_acks(self) -> None:
        """Delete acknowledged packs from the spool and drop them from the window."""
        done: list[int] = []
        with self._lock, self._acks_lock:
            if not self._window:
                self._acked_mids.clear()
                return
            remaining = []
            for entry in self._window:
                info = entry.info
                if info.is_published() and info.mid in self._acked_mids:
                    done.append(entry.pack.seq)
                    self._acked_mids.discard(info.mid)
                    continue
                if info.is_published() and not entry.refused:
                    # Acknowledged with an error reason or "no matching subscribers" (MQTT 5):
                    # kept, and sent again after a backoff or on the next connection.
                    entry.refused = True
                    entry.resend_at = self._clock() + reconnect_delay(entry.refusals)
                    entry.refusals += 1
                    self.refused += 1
                    if entry.refusals == 1:
                        logger.warning(
                            "gateway %s: pack %d not delivered (refused, or no subscriber); "
                            "kept and sent again",
                            self.gateway,
                            entry.pack.seq,
                        )
                remaining.append(entry)
            self._window = remaining
            # What is left belongs to status and meta messages: forget it, so that a message
            # id reused later cannot pass for an acknowledgement.
            self._acked_mids.intersection_update(entry.info.mid for entry in remaining)
        if done:
            self.spool.ack(done)
            if self.on_delivered is not None:
                self.on_delivered()

    def _resend_refused(self) -> None:
        """Send again, in spool order, the packs whose backoff after a refusal has passed."""
        now = self._clock()
        with self._lock:
            if not self._ready():
                return
            for entry in self._window:
                if entry.refused and now >= entry.resend_at:
                    entry.info = self.session.publish(entry.pack.topic, entry.pack.payload, qos=1)
                    entry.refused = False

    def _fill_window(self) -> None:
        with self._lock:
            if not self._ready():
                return
            room = self.max_inflight_packs - len(self._window)
            for pack in self.spool.take(room):
                info = self.session.publish(pack.topic, pack.payload, qos=1)
                self._window.append(_InFlight(pack=pack, info=info))

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
            "in_flight_packs": len(self._window),
        }
        if stats.oldest_age_s is not None:
            detail["oldest_age_s"] = round(stats.oldest_age_s, 1)
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


__all__ = ["CONTROL_MESSAGES", "SessionOptions", "SpoolPublisher", "session_options"]
