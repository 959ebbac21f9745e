"""The routers: ``/api/v1`` (JSON), operations (``/healthz``, ``/metrics``) and the dashboard."""

from fastapi import APIRouter

from api.routes import (
    audit,
    buildings,
    catalog,
    completeness,
    energy,
    findings,
    gateways,
    partners,
    series,
)

api_router = APIRouter()
api_router.include_router(buildings.router)
api_router.include_router(series.router)
api_router.include_router(completeness.router)
api_router.include_router(findings.router)
api_router.include_router(findings.building_router)
api_router.include_router(gateways.router)
api_router.include_router(energy.router)
api_router.include_router(catalog.router)
api_router.include_router(partners.router)
api_router.include_router(audit.router)
