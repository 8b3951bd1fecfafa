"""Facility routes."""
from fastapi import APIRouter, Query, Response

from app.deps import BBoxDep, CurrentUser, SessionDep
from app.errors import InvalidInput
from app.facilities import service
from app.vocab import FACILITY_CATEGORIES

router = APIRouter(prefix="/api/v1", tags=["facilities"])
GEOJSON = "application/geo+json"


@router.get("/layers/facilities", response_class=Response,
            responses={200: {"content": {GEOJSON: {}}, "description": "GeoJSON FeatureCollection"}})
def facilities_layer(principal: CurrentUser, session: SessionDep, bbox: BBoxDep,
                     category: str | None = Query(None, max_length=300)):
    """Welfare facilities as points with their category."""
    categories = tuple(c.strip() for c in (category or "").split(",") if c.strip())
    unknown = [c for c in categories if c not in FACILITY_CATEGORIES]
    if unknown:
        raise InvalidInput(f"알 수 없는 기관 분류: {', '.join(unknown)}")
    return Response(service.layer(session, bbox, categories), media_type=GEOJSON)
