"""``/healthz``: whether the reading store and the registry database answer."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Final

from fastapi import APIRouter

from api import problems, schemas
from api.deps import RegistryDep, StoreDep, WorkersDep
from api.openapi import responses
from api.workers import Workers

logger = logging.getLogger(__name__)

router = APIRouter(tags=["operations"])

#: A probe that has not answered by then counts as failed; load balancers give up soon too.
CHECK_TIMEOUT_S: Final = 5.0


@router.get(
    "/healthz",
    summary="Health check",
    response_model=schemas.Health,
    responses=responses(problems.UNHEALTHY, common=False),
)
async def healthz(store: StoreDep, registry: RegistryDep, workers: WorkersDep) -> schemas.Health:
    """200 when the reading store and the registry database answer their pings, each within
    5 s; 503 (problem details listing the checks) when either does not."""
    store_check, registry_check = await asyncio.gather(
        _check("store", workers, store.ping),
        # The registry's ping reads every table: a database that answers but has lost its
        # schema is as unusable as one that is down.
        _check("registry", workers, registry.ping),
    )
    checks = {"store": store_check, "registry": registry_check}
    if all(check.status == "ok" for check in checks.values()):
        return schemas.Health(status="ok", checks=checks)
    failed = [name for name, check in checks.items() if check.status != "ok"]
    raise problems.ProblemError(
        problems.UNHEALTHY,
        f"Failed: {', '.join(failed)}.",
        extensions={"checks": {name: check.model_dump() for name, check in checks.items()}},
    )


async def _check(name: str, workers: Workers, probe: Callable[[], object]) -> schemas.Check:
    started = time.perf_counter()
    try:
        await asyncio.wait_for(workers.run(probe), CHECK_TIMEOUT_S)
    except TimeoutError:
        detail = f"no answer within {CHECK_TIMEOUT_S:g} s"
    except Exception as exc:  # any failure: unhealthy
        # The message may name hosts and databases: it goes to the log, the class to the client.
        logger.warning("health check of the %s failed: %s", name, exc)
        detail = type(exc).__name__
    else:
        return schemas.Check(status="ok", duration_ms=_ms_since(started))
    return schemas.Check(status="failed", duration_ms=_ms_since(started), detail=detail)


def _ms_since(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 3)
