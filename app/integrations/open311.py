"""Open311 GeoReport v2 endpoints (filled in by its issue)."""
from fastapi import APIRouter

router = APIRouter(prefix="/open311/v2", tags=["open311"])
