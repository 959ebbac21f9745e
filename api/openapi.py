"""The OpenAPI document: problem responses as ``application/problem+json``, with their schemas.

FastAPI files every declared response under ``application/json`` and documents its own
validation error shape for 422; both are corrected here, once, when the document is built.
"""

from __future__ import annotations

from typing import Any, Final, Union

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel

from api import problems
from api.problems import (
    Problem,
    ProblemKind,
    TooManyPointsProblem,
    TransitionProblem,
    UnhealthyProblem,
    ValidationProblem,
)

_JSON: Final = "application/json"

#: Problems every route may answer with.
_COMMON: Final = (problems.SERVICE_UNAVAILABLE, problems.INTERNAL_ERROR)
_MODELS: Final[dict[str, type[BaseModel]]] = {
    problems.INVALID_PARAMETERS.slug: ValidationProblem,
    problems.TOO_MANY_POINTS.slug: TooManyPointsProblem,
    problems.INVALID_TRANSITION.slug: TransitionProblem,
    problems.UNHEALTHY.slug: UnhealthyProblem,
}


def responses(*kinds: ProblemKind, common: bool = True) -> dict[int | str, dict[str, Any]]:
    """The ``responses=`` of a route that may answer with ``kinds`` (and 500/503 if ``common``).

    Kinds that share a status are documented together, their types listed in the description.
    """
    by_status: dict[int, list[ProblemKind]] = {}
    for kind in (*kinds, *(_COMMON if common else ())):
        by_status.setdefault(kind.status, []).append(kind)
    documented: dict[int | str, dict[str, Any]] = {}
    for status, same in sorted(by_status.items()):
        # Kinds with extension members of their own get their model; mixed ones any of them.
        models = list(dict.fromkeys(_MODELS.get(kind.slug, Problem) for kind in same))
        model: Any = models[0] if len(models) == 1 else Union[tuple(models)]  # noqa: UP007
        lines = [f"`{kind.type}`: {kind.description}" for kind in same]
        documented[status] = {"model": model, "description": "\n\n".join(lines)}
    return documented


def install(app: FastAPI) -> None:
    """Make ``app.openapi()`` build the corrected document."""

    def build() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        document = get_openapi(
            title=app.title,
            version=app.version,
            summary=app.summary,
            description=app.description,
            routes=app.routes,
            tags=app.openapi_tags,
        )
        _fix_problem_responses(document)
        app.openapi_schema = document
        return document

    app.openapi = build  # type: ignore[method-assign]


def _fix_problem_responses(document: dict[str, Any]) -> None:
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    for model in (Problem, ValidationProblem):
        _add_schema(schemas, model)
    for path in document.get("paths", {}).values():
        for operation in path.values():
            for status, response in operation.get("responses", {}).items():
                if status[:1] not in ("4", "5"):
                    continue
                content = response.setdefault("content", {})
                media = content.pop(_JSON, None) or content.get(problems.PROBLEM_MEDIA_TYPE) or {}
                if status == "422" and "HTTPValidationError" in str(media):
                    # FastAPI's own entry for a route that declares no 422.
                    response["description"] = responses(problems.INVALID_PARAMETERS, common=False)[
                        422
                    ]["description"]
                    media = {}
                if not media.get("schema"):
                    name = "ValidationProblem" if status == "422" else "Problem"
                    media = {"schema": {"$ref": f"#/components/schemas/{name}"}}
                content[problems.PROBLEM_MEDIA_TYPE] = media


def _add_schema(schemas: dict[str, Any], model: type[BaseModel]) -> None:
    """Put ``model`` (and the models it refers to) among the document's schemas."""
    if model.__name__ in schemas:
        return
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    for name, nested in schema.pop("$defs", {}).items():
        schemas.setdefault(name, nested)
    schemas[model.__name__] = schema
