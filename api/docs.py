"""What the OpenAPI document says about the API as a whole, for partners reading ``/docs``."""

from __future__ import annotations

from typing import Any, Final

TITLE: Final = "Byggpuls API"
SUMMARY: Final = "Buildings, sensor readings and energy findings of a municipal building portfolio."

DESCRIPTION: Final = """
Read the buildings of the portfolio, their points (sensors and meters) with the newest
readings, one point's series over time, and the findings the analytics raise about energy
waste and faults, with their lifecycle.

**Authentication**: send an API key as `Authorization: Bearer bpk_...` (an admin creates one
with `byggpuls admin create-key`); the dashboard uses a login session instead. `GET /api/v1/me`
says who the key is. A facility manager sees the buildings of their scope only: any other
building answers 404, as one that does not exist. Without credentials: 401.

**Partners** read the catalogue (`GET /api/v1/catalog`) and the series of the domains of the
buildings they were granted, nothing else: the routes marked `x-partner-access` here. A point
outside their grants answers 404; any other route 403. Live readings of the same grants come
over MQTT (the partner quick start in the project's `docs/partners.md`).

**Times** in responses are RFC 3339 in UTC (`2025-01-31T06:00:00Z`). Parameters take RFC 3339
with a time zone (`2025-01-31T07:00:00+01:00`) or seconds since the Unix epoch
(`1738303200`); a time without a zone is refused, since Norway changes between UTC+1 and
UTC+2.

**Durations** (`every`) are a number and a unit — `s`, `m`, `h`, `d`, `w` — largest first
(`15m`, `1h30m`, `7d`), or ISO 8601 (`PT15M`, `P1D`). Buckets are aligned to the Unix epoch
(UTC): a daily bucket runs from 00:00 UTC, which is 01:00 or 02:00 in Norway.

**Units** are SenML (RFC 8428/8798): `Cel` (°C), `kW`, `kWh`, `ppm`, `%RH`, `m3`, …; each
response names the unit of its values.

**Errors** are RFC 9457 problem details (`application/problem+json`): `type` (a URI that
names the problem and explains it when opened), `title`, `status`, `detail` and `instance`.
422 lists each invalid parameter in `errors`. 503 means the reading store or the registry
database did not answer: retry after `Retry-After` seconds.

**Operations**: `GET /healthz` (200 or 503), `GET /metrics` (Prometheus).
"""

TAGS: Final[list[dict[str, Any]]] = [
    {"name": "buildings", "description": "The portfolio, and each building with its points."},
    {"name": "series", "description": "One point's readings over time, raw or aggregated."},
    {
        "name": "catalog",
        "description": "What data exists, per building type and building: domains, points,"
        " units, topics, payload and privacy class. A partner sees what its grants allow.",
    },
    {
        "name": "findings",
        "description": "Waste and faults the analytics found: evidence, waste in kWh and NOK,"
        " and the lifecycle open → acknowledged → resolved.",
    },
    {
        "name": "partners",
        "description": "Admins only: innovation partners, their API keys and broker logins"
        " (credentials shown once), and their grants of domains of buildings until a date.",
    },
    {
        "name": "audit",
        "description": "Admins only: who changed what, and whether the broker follows the grants.",
    },
    {"name": "auth", "description": "Who the credentials are."},
    {"name": "operations", "description": "Health check and metrics for operators."},
]
