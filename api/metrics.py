"""Prometheus metrics of the API: requests and their latency per route template, and the
portfolio's state per building.

Each app has a registry of its own (several apps live in one test process). Routes are labelled
by their template (``/api/v1/buildings/{building_id}``), never the raw path, so a scan of
random URLs cannot blow up the number of series; unmatched paths share one label.

The per-building gauges (:class:`PortfolioCollector`) are computed when Prometheus scrapes, from
:class:`BuildingFigures` the route reads just before: nothing to keep in step between scrapes.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    GCCollector,
    Histogram,
    PlatformCollector,
    ProcessCollector,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from starlette.routing import Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from byggpuls.access.sync import SyncStatus

UNMATCHED: Final = "<unmatched>"
_METHODS: Final = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
#: Seconds: a latest-values query is milliseconds, a 28-day series on InfluxDB may take seconds.
_BUCKETS_S: Final = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class ApiMetrics:
    """The collectors of one app."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        ProcessCollector(registry=self.registry)
        PlatformCollector(registry=self.registry)
        GCCollector(registry=self.registry)
        self.requests = Counter(
            "byggpuls_api_requests",
            "HTTP requests answered, by method, route template and status code.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.duration = Histogram(
            "byggpuls_api_request_duration_seconds",
            "Time from receiving a request to the end of its response, by route template.",
            ["method", "route"],
            buckets=_BUCKETS_S,
            registry=self.registry,
        )
        self.in_progress = Gauge(
            "byggpuls_api_requests_in_progress",
            "Requests being answered right now.",
            registry=self.registry,
        )


class MetricsMiddleware:
    """ASGI middleware counting and timing every HTTP request of the app it wraps."""

    def __init__(self, app: ASGIApp, *, metrics: ApiMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500  # unless a response starts: an exception escaped every handler
        started = time.perf_counter()

        async def send_counted(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        self.metrics.in_progress.inc()
        try:
            await self.app(scope, receive, send_counted)
        finally:
            self.metrics.in_progress.dec()
            elapsed_s = time.perf_counter() - started
            method = scope["method"] if scope["method"] in _METHODS else "OTHER"
            route = route_template(scope)
            self.metrics.requests.labels(method, route, str(status)).inc()
            self.metrics.duration.labels(method, route).observe(elapsed_s)


def route_template(scope: Scope) -> str:
    """The template of the route that answered (``/api/v1/buildings/{building_id}``).

    A route included with a prefix knows only its own part of the template; the prefix is
    taken from the request path, segment for segment. Prefixes are fixed strings (the router
    matched them), so this adds no label values an outsider could choose.
    """
    route = scope.get("route")
    template = getattr(route, "path", None)
    if not isinstance(template, str):
        return UNMATCHED
    if isinstance(route, Mount):
        return f"{template}/{{path}}"
    path = scope.get("path", "")
    root = scope.get("root_path", "")
    if root and path.startswith(root):
        path = path[len(root) :]
    segments = path.split("/")
    own = template.count("/")
    if own > len(segments) - 1:
        return UNMATCHED
    prefix = "/".join(segments[: len(segments) - own])
    return f"{prefix}{template}" if template else prefix or "/"


@dataclass(frozen=True, slots=True)
class BuildingFigures:
    """What the gauges say about one building."""

    building: str
    open_findings: int
    acknowledged_findings: int
    #: Waste of the unresolved (open and acknowledged) findings.
    waste_kwh: float
    waste_nok: float
    #: Time of the newest reading of any point; None without readings, or when the reading
    #: store did not answer for it.
    newest_reading_at: datetime | None


class PortfolioCollector(Collector):
    """Per-building gauges of a moment: unresolved findings, their waste, the data's age.

    ``complete`` is False when the registry or the reading store did not answer for all
    buildings: ``byggpuls_portfolio_metrics_complete`` then says 0, so an alert can tell a
    quiet portfolio from one it cannot see.
    """

    def __init__(
        self, figures: Sequence[BuildingFigures], *, now: datetime, complete: bool = True
    ) -> None:
        self.figures = figures
        self.now = now
        self.complete = complete

    def describe(self) -> Iterator[Metric]:
        yield from self._families()

    def collect(self) -> Iterator[Metric]:
        families = self._families()
        opened, acknowledged, kwh, nok, age, complete = families
        for row in self.figures:
            labels = [row.building]
            opened.add_metric(labels, row.open_findings)
            acknowledged.add_metric(labels, row.acknowledged_findings)
            kwh.add_metric(labels, row.waste_kwh)
            nok.add_metric(labels, row.waste_nok)
            if row.newest_reading_at is not None:
                age.add_metric(labels, (self.now - row.newest_reading_at).total_seconds())
        complete.add_metric([], 1.0 if self.complete else 0.0)
        yield from families

    @staticmethod
    def _families() -> list[GaugeMetricFamily]:
        by_building = ["building"]
        return [
            GaugeMetricFamily(
                "byggpuls_open_findings",
                "Findings nobody has acknowledged yet, per building.",
                labels=by_building,
            ),
            GaugeMetricFamily(
                "byggpuls_acknowledged_findings",
                "Findings acknowledged but not resolved, per building.",
                labels=by_building,
            ),
            GaugeMetricFamily(
                "byggpuls_waste_kwh",
                "Energy wasted according to the unresolved findings, kWh, per building.",
                labels=by_building,
            ),
            GaugeMetricFamily(
                "byggpuls_waste_nok",
                "The unresolved findings' waste in NOK, per building.",
                labels=by_building,
            ),
            GaugeMetricFamily(
                "byggpuls_newest_reading_age_seconds",
                "Seconds since the newest reading of any of the building's points; absent for a"
                " building without readings.",
                labels=by_building,
            ),
            GaugeMetricFamily(
                "byggpuls_portfolio_metrics_complete",
                "1 when the registry and the reading store answered for every building, else 0.",
            ),
        ]


class AccessCollector(Collector):
    """The broker access sync's health (:class:`~byggpuls.access.sync.SyncStatus`): when the
    broker last matched the registry's grants, and whether the last look failed. An alert on
    ``byggpuls_broker_access_ok == 0`` tells that revocations may not reach the broker."""

    def __init__(self, status: SyncStatus) -> None:
        self.status = status

    def describe(self) -> Iterator[Metric]:
        yield from self._families()

    def collect(self) -> Iterator[Metric]:
        ok, last = self._families()
        ok.add_metric([], 1.0 if self.status.last_error is None else 0.0)
        if self.status.last_success is not None:
            last.add_metric([], self.status.last_success.timestamp())
        yield from (ok, last)

    @staticmethod
    def _families() -> list[GaugeMetricFamily]:
        return [
            GaugeMetricFamily(
                "byggpuls_broker_access_ok",
                "1 when the last look at the broker's access control succeeded, else 0.",
            ),
            GaugeMetricFamily(
                "byggpuls_broker_access_last_success_timestamp_seconds",
                "When the broker last held the registry's grants and logins (Unix time).",
            ),
        ]
