"""RFC 9457 problem details: the one shape every error of the API takes.

A problem is ``application/problem+json`` with ``type``, ``title``, ``status``, ``detail`` and
``instance``. ``type`` is a relative URI (``/problems/not-found``) that resolves against the
API's own address, where a page explains the problem; HTTP errors with nothing to add
(405, 413, ...) use ``about:blank`` and the status phrase as title, as the RFC says.

Routes raise :class:`ProblemError` (or let :mod:`byggpuls.errors` types through); the handlers
in :mod:`api.errors` turn each into a response.
"""

from __future__ import annotations

import http
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import JSONResponse

PROBLEM_MEDIA_TYPE: Final = "application/problem+json"
PROBLEM_PATH: Final = "/problems/"
#: Seconds a client should wait before retrying when the store or registry did not answer.
RETRY_AFTER_S: Final = 10


@dataclass(frozen=True, slots=True)
class ProblemKind:
    """One kind of problem: its ``type`` URI, title, status and an explanation for people."""

    slug: str
    title: str
    status: int
    description: str

    @property
    def type(self) -> str:
        return f"{PROBLEM_PATH}{self.slug}"


NOT_FOUND: Final = ProblemKind(
    "not-found",
    "Not found",
    404,
    "There is no resource at this URL: an unknown route, building, point or finding. Check the"
    " id against GET /api/v1/buildings or GET /api/v1/findings.",
)
INVALID_PARAMETERS: Final = ProblemKind(
    "invalid-parameters",
    "Invalid parameters",
    422,
    "One or more parameters have a value the API cannot use. The ``errors`` member lists each"
    " one: ``parameter`` and ``in`` name it (or ``pointer`` a member of a JSON body), ``detail``"
    " says what is wrong.",
)
INVALID_RANGE: Final = ProblemKind(
    "invalid-range",
    "Invalid time range",
    400,
    "The time range is empty or reversed: ``start`` must lie before ``end``.",
)
TOO_MANY_POINTS: Final = ProblemKind(
    "too-many-points",
    "Too many points",
    400,
    "The series would carry more samples than one response may (``max_points``). Ask for a"
    " larger ``every`` (``suggested_every`` fits the range) or a shorter range.",
)
INVALID_TRANSITION: Final = ProblemKind(
    "invalid-transition",
    "Finding cannot make this change",
    409,
    "A finding moves open → acknowledged → resolved, and resolved → open again. ``status`` is"
    " where it is now and ``allowed`` the actions it accepts.",
)
CROSS_SITE: Final = ProblemKind(
    "cross-site-request",
    "Cross-site request refused",
    403,
    "A browser sent this change from another site, or without the dashboard session's CSRF"
    " token. Changes are accepted from the dashboard itself (which sends its X-CSRF-Token) and"
    " from programs with an API key.",
)
UNAUTHENTICATED: Final = ProblemKind(
    "unauthenticated",
    "Authentication required",
    401,
    "The request carried no valid credentials. Programs send an API key as 'Authorization:"
    " Bearer bpk_...' (an admin creates one with `byggpuls admin create-key`); people log in on"
    " the dashboard.",
)
FORBIDDEN: Final = ProblemKind(
    "forbidden",
    "Forbidden",
    403,
    "The credentials are valid but do not allow this: a partner's access is read-only, and"
    " partners, grants and the audit trail are for admins.",
)
SERVICE_UNAVAILABLE: Final = ProblemKind(
    "service-unavailable",
    "Service unavailable",
    503,
    "The reading store or the registry database did not answer. Try again after the number of"
    " seconds in the Retry-After header; GET /healthz shows which one is down.",
)
UNHEALTHY: Final = ProblemKind(
    "unhealthy",
    "Unhealthy",
    503,
    "At least one dependency failed its health check; ``checks`` says which.",
)
BROKER_CREDENTIALS_MISSING: Final = ProblemKind(
    "broker-credentials-missing",
    "Broker credentials cannot be issued",
    503,
    "Broker passwords are derived from a key this server was not given: set"
    " BYGGPULS_BROKER_CREDENTIAL_KEY (at least 32 characters, `openssl rand -base64 32`) and"
    " restart the API. Nothing was created.",
)
INTERNAL_ERROR: Final = ProblemKind(
    "internal-error",
    "Internal server error",
    500,
    "The server failed in a way it did not expect. The ``error_id`` names the log entry that"
    " operators can look up.",
)

KINDS: Final[Mapping[str, ProblemKind]] = {
    kind.slug: kind
    for kind in (
        NOT_FOUND,
        INVALID_PARAMETERS,
        INVALID_RANGE,
        TOO_MANY_POINTS,
        INVALID_TRANSITION,
        UNAUTHENTICATED,
        FORBIDDEN,
        CROSS_SITE,
        SERVICE_UNAVAILABLE,
        UNHEALTHY,
        BROKER_CREDENTIALS_MISSING,
        INTERNAL_ERROR,
    )
}


class Problem(BaseModel):
    """An error, as RFC 9457 problem details (``application/problem+json``)."""

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "examples": [
                {
                    "type": "/problems/not-found",
                    "title": "Not found",
                    "status": 404,
                    "detail": "There is no building 'nordnes-skole'.",
                    "instance": "/api/v1/buildings/nordnes-skole",
                }
            ]
        },
    )

    type: str = Field(
        default="about:blank",
        description="A URI reference naming the kind of problem; relative ones resolve against"
        " the API's address, where a page explains the problem.",
    )
    title: str = Field(description="A short summary of the kind of problem; the same every time.")
    status: int = Field(description="The HTTP status code, repeated for convenience.")
    detail: str | None = Field(
        default=None, description="What went wrong with this request, for a person to read."
    )
    instance: str | None = Field(
        default=None, description="The path (and query) of the request that failed."
    )


class InvalidParameter(BaseModel):
    """One invalid parameter of a request."""

    detail: str = Field(description="What is wrong with the value.", examples=["not a duration"])
    parameter: str | None = Field(
        default=None,
        description="The parameter's name (query, path or header).",
        examples=["every"],
    )
    in_: Literal["query", "path", "header", "cookie"] | None = Field(
        default=None, alias="in", description="Where the parameter is.", examples=["query"]
    )
    pointer: str | None = Field(
        default=None,
        description="A JSON Pointer (RFC 6901, as a URI fragment) to an invalid member of a body.",
    )

    model_config = ConfigDict(populate_by_name=True)


class ValidationProblem(Problem):
    """Problem details of a request with invalid parameters, listing each one."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "type": "/problems/invalid-parameters",
                    "title": "Invalid parameters",
                    "status": 422,
                    "detail": "1 parameter is invalid: every.",
                    "instance": "/api/v1/buildings/nordnes-skole/series?point=el.power&every=1y",
                    "errors": [
                        {
                            "detail": "years and months vary in length; use days or weeks",
                            "parameter": "every",
                            "in": "query",
                        }
                    ],
                }
            ]
        }
    )

    errors: list[InvalidParameter] = Field(description="Each invalid parameter.")


class TooManyPointsProblem(Problem):
    """Problem details of a series request that would return too many samples."""

    max_points: int = Field(description="The most samples one response may carry.")
    requested_points: int = Field(description="How many samples the request could produce.")
    suggested_every: str = Field(
        description="The smallest ``every`` that fits the range.", examples=["1h"]
    )


class TransitionProblem(Problem):
    """Problem details of a finding lifecycle change that its current status does not allow."""

    finding_status: str = Field(description="The finding's status now.", examples=["resolved"])
    allowed: list[str] = Field(
        description="The actions the finding accepts now.", examples=[["reopen"]]
    )


class UnhealthyProblem(Problem):
    """Problem details of a failed health check."""

    checks: dict[str, dict[str, Any]] = Field(
        description="One entry per dependency (store, registry): status (ok or failed),"
        " duration_ms, and detail (why it failed)."
    )


class ProblemError(Exception):
    """An error a route raises to answer with problem details."""

    def __init__(
        self,
        kind: ProblemKind,
        detail: str,
        *,
        extensions: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.kind = kind
        self.detail = detail
        self.extensions = dict(extensions or {})
        self.headers = dict(headers or {})


def not_found(detail: str) -> ProblemError:
    """A 404 problem with ``detail``."""
    return ProblemError(NOT_FOUND, detail)


def invalid_parameter(parameter: str, detail: str, *, in_: str = "query") -> ProblemError:
    """A 422 problem for one invalid parameter, in the same shape as request validation's."""
    return invalid_parameters([{"detail": detail, "parameter": parameter, "in": in_}])


def invalid_parameters(errors: Sequence[Mapping[str, Any]]) -> ProblemError:
    """A 422 problem listing ``errors`` (each a dict in the shape of :class:`InvalidParameter`)."""
    names = [str(error.get("parameter") or error.get("pointer") or "?") for error in errors]
    noun = "parameter is" if len(errors) == 1 else "parameters are"
    detail = f"{len(errors)} {noun} invalid: {', '.join(names)}."
    return ProblemError(INVALID_PARAMETERS, detail, extensions={"errors": list(errors)})


def problem_body(
    *,
    kind: ProblemKind | None,
    status: int,
    detail: str | None,
    instance: str | None,
    extensions: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The JSON object of a problem; ``kind=None`` is ``about:blank`` with the status phrase."""
    if kind is None:
        body: dict[str, Any] = {"type": "about:blank", "title": status_phrase(status)}
    else:
        body = {"type": kind.type, "title": kind.title}
    body["status"] = status
    if detail:
        body["detail"] = detail
    if instance:
        body["instance"] = instance
    for key, value in (extensions or {}).items():
        body.setdefault(key, value)
    return body


def status_phrase(status: int) -> str:
    """The reason phrase of an HTTP status code (``Not Found``)."""
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return "Error"


class ProblemResponse(JSONResponse):
    """A JSON response served as ``application/problem+json``."""

    media_type = PROBLEM_MEDIA_TYPE


def problem_response(
    body: Mapping[str, Any], *, headers: Mapping[str, str] | None = None
) -> ProblemResponse:
    """The response carrying problem ``body``."""
    return ProblemResponse(dict(body), status_code=int(body["status"]), headers=headers)
