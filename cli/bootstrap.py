"""The composition root: adapters are chosen from settings here, and nowhere else.

Each ``build_*`` function builds one service from its settings and returns it in a
:class:`Built`: the service, and one exit stack that releases, in reverse order, everything
that was opened for it. Every command calls one of them; nothing else wires adapters.
"""

from __future__ import annotations

import logging
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Generic, TypeVar

from byggpuls.errors import ConfigError, StoreUnavailable
from byggpuls.settings import CommonSettings, redact

# Each builder imports what it builds, so that a command loads only its own service: a gateway
# on a small device has no use for SQLAlchemy, the API none for drivers.
if TYPE_CHECKING:
    from pathlib import Path

    from fastapi import FastAPI
    from sqlalchemy.engine import Engine

    from analytics.service import Analytics
    from analytics.settings import AnalyticsSettings
    from api.settings import ApiSettings
    from byggpuls.access.settings import BrokerAccessSettings
    from byggpuls.access.sync import AccessSync
    from byggpuls.registry.repository import Registry
    from byggpuls.storage.port import ReadingStore
    from gateway.config import GatewayOptions, GatewaySettings
    from gateway.drivers import Driver
    from gateway.runtime import BackfillPlan, Gateway
    from gateway.spool import Spool
    from gateway.supervisor import Run
    from ingest.service import IngestService
    from ingest.settings import IngestSettings

logger = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass
class Built(Generic[T]):
    """A service built from its settings, and what to release when it is done.

    ``with built.resources:`` (or ``built.resources.close()``) closes what the builder opened.
    """

    service: T
    resources: ExitStack = field(default_factory=ExitStack)


def open_store(settings: CommonSettings) -> ReadingStore:
    """The reading store: InfluxDB when ``BYGGPULS_INFLUX_URL`` is set, else embedded SQLite.

    Pinged before it is handed out, so that refused credentials or a missing database stop the
    service at its start with a :class:`ConfigError` naming the setting, not at its first
    write or health check. A store that does not answer yet is not a wrong setting: the
    services wait for it, and their health checks say that it is down.
    """
    from byggpuls.storage.influx import InfluxStore  # a gateway imports none of the stores
    from byggpuls.storage.sqlite import SQLiteStore

    url = settings.readings_url
    store: ReadingStore
    if url.startswith("sqlite:///"):
        setting = "BYGGPULS_DATA_DIR"
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        logger.info("readings go to the embedded store %s", url)
        store = SQLiteStore.from_url(url)
    else:
        setting = "BYGGPULS_INFLUX_URL"
        logger.info("readings go to InfluxDB at %s", redact(url))
        try:
            store = InfluxStore.from_url(url)
        except ConfigError as exc:
            raise ConfigError(f"{setting}: {exc}") from None
    try:
        store.ping()
    except StoreUnavailable as exc:
        logger.warning("the reading store does not answer yet: %s", exc)
    except ConfigError as exc:
        store.close()
        raise ConfigError(f"{setting}: {exc}") from None
    except BaseException:
        store.close()
        raise
    return store


def open_registry_engine(settings: CommonSettings) -> Engine:
    """The registry database's engine, migrated to the current schema; dispose of it at the end.

    For :class:`Registry` and :class:`~byggpuls.registry.accounting.Accounting` alike.
    """
    from byggpuls.registry.db import make_engine, migrate  # SQLAlchemy: not for a gateway

    url = settings.registry_url
    if url.startswith("sqlite:///"):
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(url)
    try:
        migrate(engine)
    except BaseException:
        engine.dispose()
        raise
    logger.info("registry database at %s is up to date", redact(url))
    return engine


def open_registry(settings: CommonSettings) -> Registry:
    """The registry, on a migrated database."""
    from byggpuls.registry.repository import Registry

    return Registry(open_registry_engine(settings))


def build_api(settings: ApiSettings) -> Built[FastAPI]:
    """The HTTP API and dashboard over the checked store and the migrated registry."""
    from api.main import create_app
    from byggpuls.registry.accounting import Accounting
    from byggpuls.registry.repository import Registry

    with ExitStack() as resources:
        store, engine = _open_stores(settings, resources)
        registry = Registry(engine)
        if settings.api_auth == "required" and not registry.users():
            logger.warning(
                "nobody can log in yet: create the first admin with"
                " `byggpuls admin create-user NAME --role admin`"
            )
        app = create_app(
            store=store,
            registry=registry,
            accounting=Accounting(engine),
            settings=settings,
            access=build_access_sync(settings, registry),
        )
        return Built(app, resources.pop_all())


def build_access_sync(settings: BrokerAccessSettings, registry: Registry) -> AccessSync | None:
    """What keeps the broker's access control at ``registry``'s grants; None when
    ``BYGGPULS_BROKER_ACCESS`` is off."""
    from byggpuls.access.sync import AccessSync, broker_opener

    opener, passwords = broker_opener(settings), settings.broker_passwords
    if opener is None or passwords is None:
        logger.info("broker access control is not managed here (BYGGPULS_BROKER_ACCESS=off)")
        return None
    logger.info("broker access control follows the registry's grants")
    return AccessSync(
        registry,
        opener,
        passwords,
        sync_s=settings.broker_sync_s,
        full_sync_s=settings.broker_full_sync_s,
    )


def build_analytics(settings: AnalyticsSettings) -> Built[Analytics]:
    """The detectors' service over the checked store and the migrated registry."""
    from analytics.service import Analytics
    from byggpuls.registry.repository import Registry

    with ExitStack() as resources:
        store, engine = _open_stores(settings, resources)
        analytics = Analytics(store=store, registry=Registry(engine), settings=settings)
        return Built(analytics, resources.pop_all())


def _open_stores(settings: CommonSettings, resources: ExitStack) -> tuple[ReadingStore, Engine]:
    """The checked reading store and the migrated registry's engine, released by ``resources``.

    Should a builder fail after this, ``resources`` (its ``with``) releases both on the way out.
    """
    store = open_store(settings)
    resources.callback(store.close)
    engine = open_registry_engine(settings)
    resources.callback(engine.dispose)
    return store, engine


def build_gateways(settings: GatewaySettings, options: GatewayOptions) -> Built[Run]:
    """The gateways ``options`` describe, each a driver, a disk spool, an MQTT session and a
    publisher: the one of a TOML file, or one per simulated building.

    ``resources`` stops every gateway built (and so closes its driver and spool); a gateway
    stops once, so stopping them before is fine.
    """
    # Imported here, as the stores and the registry are: a command imports what it builds only
    # (a gateway on a small device has no use for SQLAlchemy's 30 MB, nor ingest for drivers).
    from gateway.runtime import backfill_plan
    from gateway.supervisor import Run

    plan = backfill_plan(
        now_s=time.time(), days=options.backfill_days, interval_s=options.backfill_interval_s
    )
    built = Built(service=Run(gateways=[]))
    try:
        if options.simulate is not None:
            _add_simulated(
                built, count=options.simulate, settings=settings, options=options, plan=plan
            )
        else:
            _add_configured(built, settings=settings, options=options, plan=plan)
    except BaseException:
        built.resources.close()
        raise
    logger.info(
        "%d gateway(s) publishing to %s, spools in %s",
        len(built.service.gateways),
        redact(settings.mqtt_url),
        settings.spool_dir(),
    )
    return built


def _add_configured(
    built: Built[Run],
    *,
    settings: GatewaySettings,
    options: GatewayOptions,
    plan: BackfillPlan | None,
) -> None:
    """The gateway of the TOML file ``options.config`` (else ``BYGGPULS_GATEWAY_CONFIG``)."""
    from gateway.config import load_config

    path = options.config or settings.gateway_config
    if path is None:
        raise ConfigError(
            "say what to run: --config PATH (or BYGGPULS_GATEWAY_CONFIG) or --simulate N"
        )
    config = load_config(path)
    # The file's [mqtt]: the gateway's own login (and broker), applied to the URL here, as
    # build_gateway(mqtt_login=) would; checked for production against what it ends up with.
    broker = config.broker_settings(settings)
    if config.mqtt is not None:
        logger.info(
            "gateway %s publishes to %s, as [mqtt] in %s says",
            config.gateway.id,
            redact(broker.mqtt_url),
            config.source,
        )
    context = config.context(history_start_s=None if plan is None else plan.start_s)
    _add_gateway(
        built,
        settings=broker,
        plan=plan,
        gateway_id=config.gateway.id,
        driver=config.driver.create(config.driver_options, context),
        driver_name=config.driver.name,
        spool_path=config.spool_path(settings),
        max_readings=options.spool_max_readings or config.spool.max_readings,
        durable=config.spool.durable,
        max_inflight_packs=options.max_inflight_packs or config.gateway.max_inflight_packs,
        status_interval_s=config.gateway.status_interval_s or settings.gateway_status_interval_s,
        ack_timeout_s=config.gateway.ack_timeout_s or settings.gateway_ack_timeout_s,
    )


def _add_simulated(
    built: Built[Run],
    *,
    count: int,
    settings: GatewaySettings,
    options: GatewayOptions,
    plan: BackfillPlan | None,
) -> None:
    """A gateway for each of the first ``count`` buildings of the simulation, which keeps
    writing its ground truth; each with its own broker login when ``options.broker_logins``
    names a file of them."""
    from gateway.config import DEFAULT_MAX_INFLIGHT_PACKS, DEFAULT_SPOOL_MAX_READINGS
    from gateway.drivers import simulated  # the simulation's numpy only when simulating
    from gateway.logins import load_logins, logins_for
    from gateway.memory import release_free_memory

    # Read before the simulation is built: a file that is wrong stops the start at once.
    source = options.broker_logins
    known = {} if source is None else load_logins(source)
    release_free_memory()  # what compiling numpy's modules left, before the spools allocate
    portfolio = simulated.portfolio_drivers(
        count,
        seed=options.seed,
        start_s=plan.start_s if plan is not None else time.time(),
        interval_s=options.interval_s,
        speed=options.speed,
        # Faults fall into the backfill's history, after its first quarter (clean baseline).
        fault_window_days=plan.days if plan is not None else simulated.DEFAULT_FAULT_WINDOW_DAYS,
    )
    ground_truth = options.ground_truth or settings.data_dir / "ground_truth.jsonl"
    gateway_ids = [simulated.gateway_id(driver.building().id) for driver in portfolio.drivers]
    logins: list[tuple[str, str] | None] = [None] * len(gateway_ids)
    if source is not None:  # simulated drivers hold nothing to close should this refuse
        logins = list(logins_for(gateway_ids, known, source=source))
    portfolio.write_ground_truth(ground_truth)

    def write_ground_truth() -> None:
        portfolio.write_ground_truth(ground_truth)

    built.service.on_tick = write_ground_truth
    built.service.announcement = (
        f"simulating {len(portfolio.drivers)} buildings (seed {options.seed}) with "
        f"{portfolio.fault_count} injected faults; ground truth of those begun in {ground_truth}"
    )
    for driver, gateway_id, login in zip(portfolio.drivers, gateway_ids, logins, strict=True):
        _add_gateway(
            built,
            settings=settings,
            plan=plan,
            gateway_id=gateway_id,
            driver=driver,
            driver_name="simulated",
            spool_path=settings.spool_dir() / f"{gateway_id}.spool.sqlite3",
            max_readings=options.spool_max_readings or DEFAULT_SPOOL_MAX_READINGS,
            durable=True,
            max_inflight_packs=options.max_inflight_packs or DEFAULT_MAX_INFLIGHT_PACKS,
            status_interval_s=settings.gateway_status_interval_s,
            ack_timeout_s=settings.gateway_ack_timeout_s,
            mqtt_login=login,
        )


def _add_gateway(
    built: Built[Run],
    *,
    settings: GatewaySettings,
    plan: BackfillPlan | None,
    gateway_id: str,
    driver: Driver,
    driver_name: str,
    spool_path: Path,
    max_readings: int,
    durable: bool,
    max_inflight_packs: int,
    status_interval_s: float,
    ack_timeout_s: float,
    mqtt_login: tuple[str, str] | None = None,
) -> None:
    """Open ``driver``'s spool and add the gateway of both to ``built``; ``mqtt_login`` as
    for :func:`build_gateway`."""
    from gateway.spool import Spool

    with ExitStack() as parts:  # released here on failure; the gateway's own once it exists
        parts.callback(driver.close)
        spool = Spool(
            spool_path,
            building=driver.building().id,
            gateway=gateway_id,
            max_readings=max_readings,
            durable=durable,
        )
        parts.callback(spool.close)
        gateway = build_gateway(
            settings,
            gateway_id=gateway_id,
            driver=driver,
            spool=spool,
            max_inflight_packs=max_inflight_packs,
            status_interval_s=status_interval_s,
            ack_timeout_s=ack_timeout_s,
            backfill=plan,
            driver_name=driver_name,
            mqtt_login=mqtt_login,
        )
        parts.pop_all()
    built.resources.callback(gateway.stop)
    built.service.gateways.append(gateway)


def build_gateway(
    settings: CommonSettings,
    *,
    gateway_id: str,
    driver: Driver,
    spool: Spool,
    max_inflight_packs: int,
    status_interval_s: float,
    ack_timeout_s: float | None = None,
    backfill: BackfillPlan | None = None,
    driver_name: str = "",
    mqtt_login: tuple[str, str] | None = None,
) -> Gateway:
    """The gateway of ``driver`` and ``spool``, with the MQTT session and publisher built here.

    For :func:`build_gateways`, and for tests that bring a driver of their own. It owns the
    driver and the spool: stopping it closes them. ``mqtt_login`` (username, password) is the
    gateway's own broker login, in place of the one ``BYGGPULS_MQTT_URL`` carries. In
    production the connection it ends up with must have a login and use TLS to another host.
    """
    from urllib.parse import urlsplit

    from byggpuls.settings import Environment, with_login
    from gateway.config import broker_problems

    if mqtt_login is not None:
        url = with_login(settings.mqtt_url, *mqtt_login)
        settings = settings.model_copy(update={"mqtt_url": url})
    if settings.environment is Environment.PRODUCTION:
        where = f"gateway {gateway_id}'s broker URL (BYGGPULS_MQTT_URL, --broker-logins or [mqtt])"
        problems = broker_problems(urlsplit(settings.mqtt_url), what=where)
        if problems:
            raise ConfigError("; ".join(problems))
    from byggpuls.mqtt import MqttSession
    from gateway.config import DEFAULT_ACK_TIMEOUT_S
    from gateway.publisher import SpoolPublisher, session_options
    from gateway.runtime import Gateway

    building = driver.building()
    session = MqttSession(
        settings=settings,
        **session_options(
            building=building.id, gateway=gateway_id, max_inflight_packs=max_inflight_packs
        ),
    )
    publisher = SpoolPublisher(
        spool=spool,
        session=session,
        gateway=gateway_id,
        building=building,
        points=driver.points(),
        max_inflight_packs=max_inflight_packs,
        status_interval_s=status_interval_s,
        ack_timeout_s=ack_timeout_s or DEFAULT_ACK_TIMEOUT_S,
    )
    return Gateway(
        gateway_id=gateway_id,
        driver=driver,
        spool=spool,
        publisher=publisher,
        backfill=backfill,
        driver_name=driver_name,
    )


def build_ingest(settings: IngestSettings) -> Built[IngestService]:
    """An ingest worker on the store, registry (migrated) and broker that ``settings`` name.

    Start the service and stop it; then close the resources (store, registry engine).
    """
    # Here, not at the top: a gateway's command must not import the ingest service.
    from byggpuls.mqtt import MqttSession, check_settings
    from byggpuls.registry.accounting import Accounting
    from byggpuls.registry.repository import Registry
    from ingest.metrics import IngestMetrics
    from ingest.service import IngestService
    from ingest.subscriber import Subscriber

    check_settings(settings)
    with ExitStack() as resources:
        store, engine = _open_stores(settings, resources)
        metrics = IngestMetrics()
        # Not persistent: the gateways' spools hold every pack until ingest acknowledges it,
        # so the broker keeps nothing for an absent worker, and a dead worker's share of the
        # shared subscription goes to the living ones at once. Acknowledged to the broker only
        # once stored, so the Receive Maximum bounds what the worker holds unacknowledged.
        session = MqttSession(
            settings=settings,
            client_id=settings.ingest_client_id,
            persistent=False,
            manual_ack=True,
            receive_maximum=settings.ingest_receive_maximum,
        )
        service = IngestService(
            settings,
            store=store,
            registry=Registry(engine),
            accounting=Accounting(engine),
            subscriber=Subscriber(settings, session=session, metrics=metrics),
            metrics=metrics,
        )
        return Built(service, resources.pop_all())


__all__ = [
    "Built",
    "ConfigError",
    "build_access_sync",
    "build_analytics",
    "build_api",
    "build_gateway",
    "build_gateways",
    "build_ingest",
    "open_registry",
    "open_registry_engine",
    "open_store",
]
