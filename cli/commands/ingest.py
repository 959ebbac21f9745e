"""``byggpuls ingest``: run one ingest worker until SIGTERM or SIGINT."""

from __future__ import annotations

import argparse
import gc
import logging
import signal
import threading
from types import FrameType
from typing import Any

from byggpuls.errors import ConfigError

logger = logging.getLogger(__name__)

#: Young-generation threshold of the cyclic garbage collector (Python's default is 700). A
#: worker makes and drops hundreds of thousands of small objects a second, hardly any in
#: cycles, while a few batches stay alive: with the default, collections took a third of the
#: decoding time (bench/ingest.py, py-spy). Measured there: about 20 % more readings a second
#: for about 60 MB more peak RSS (180 -> 240 MB) while a million readings arrive at once.
GC_YOUNG_THRESHOLD = 50_000

#: Option -> IngestSettings field. Unset options leave the environment's value alone.
_OPTIONS = {
    "mqtt_url": "mqtt_url",
    "influx_url": "influx_url",
    "database_url": "database_url",
    "data_dir": "data_dir",
    "batch_size": "ingest_batch_size",
    "batch_max_wait_ms": "ingest_batch_max_wait_ms",
    "receive_maximum": "ingest_receive_maximum",
    "client_id": "ingest_client_id",
    "shared_group": "ingest_shared_group",
    "shared_subscription": "ingest_shared_subscription",
    "metrics_host": "ingest_metrics_host",
    "metrics_port": "ingest_metrics_port",
    "health_threshold_s": "ingest_health_threshold_s",
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``byggpuls ingest``; each overrides its ``BYGGPULS_*`` variable."""
    add = parser.add_argument
    add("--mqtt-url", help="broker, e.g. mqtt://127.0.0.1:1883 (BYGGPULS_MQTT_URL)")
    add("--influx-url", help="InfluxDB http://user:pw@host:8086/db (BYGGPULS_INFLUX_URL)")
    add("--database-url", help="registry database (BYGGPULS_DATABASE_URL)")
    add("--data-dir", help="state of the embedded stores (BYGGPULS_DATA_DIR)")
    add("--batch-size", type=int, help="readings per write (BYGGPULS_INGEST_BATCH_SIZE)")
    add(
        "--batch-max-wait-ms",
        type=int,
        help="longest wait before a batch is written (BYGGPULS_INGEST_BATCH_MAX_WAIT_MS)",
    )
    add(
        "--receive-maximum",
        type=int,
        help="unacknowledged messages in flight, MQTT 5 (BYGGPULS_INGEST_RECEIVE_MAXIMUM)",
    )
    add("--client-id", help="stable, unique MQTT client id (BYGGPULS_INGEST_CLIENT_ID)")
    add("--shared-group", help="shared subscription group (BYGGPULS_INGEST_SHARED_GROUP)")
    add(
        "--no-shared-subscription",
        dest="shared_subscription",
        action="store_const",
        const=False,
        help="subscribe plainly, for brokers without $share; one worker only "
        "(BYGGPULS_INGEST_SHARED_SUBSCRIPTION=false)",
    )
    add("--metrics-host", help="address of /metrics and /healthz (BYGGPULS_INGEST_METRICS_HOST)")
    add(
        "--metrics-port",
        type=int,
        help="port of /metrics and /healthz, 0 for any (BYGGPULS_INGEST_METRICS_PORT)",
    )
    add(
        "--health-threshold-s",
        type=float,
        help="outage after which /healthz fails (BYGGPULS_INGEST_HEALTH_THRESHOLD_S)",
    )


def run(args: argparse.Namespace) -> int:
    """Run the worker; 0 after a signal, 1 when it failed, 2 for a configuration error."""
    # Heavy imports here: `byggpuls --help` must stay fast.
    from byggpuls.settings import load
    from cli.bootstrap import build_ingest
    from ingest.settings import IngestSettings

    overrides: dict[str, Any] = {
        field: getattr(args, option, None) for option, field in _OPTIONS.items()
    }
    built = build_ingest(load(IngestSettings, **overrides))
    service = built.service
    # What startup built lives as long as the process: no collection needs to look at it again.
    gc.freeze()
    gc.set_threshold(GC_YOUNG_THRESHOLD, 20, 100)
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        logger.info("received %s; stopping", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    with built.resources:
        service.start()
        while not stop.is_set() and not service.failed.is_set():
            stop.wait(0.5)
        service.stop()
    if service.error is not None and service.wrong_setting:
        raise ConfigError(service.error)
    if service.error is not None:
        logger.error("ingest stopped: %s", service.error)
        return 1
    return 0
