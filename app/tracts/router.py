"""Dongs, tracts and their map layers."""
from fastapi import APIRouter, Response

from app.auth.deps import CurrentUser
from app.deps import OptionalRecordId, SessionDep
from app.tracts import service

router = APIRouter(prefix="/api/v1", tags=["places"])
GEOJSON = "application/geo+json"
_GEO_DOC = {200: {"content": {GEOJSON: {}}, "description": "GeoJSON FeatureCollection"}}


@router.get("/dongs")
def list_dongs(principal: CurrentUser, session: SessionDep):
    """The deployment's dongs (행정동)."""
    items = service.list_dongs(session)
    return {"items": items, "total": len(items)}


@router.get("/tracts")
def list_tracts(principal: CurrentUser, session: SessionDep,
                dong_id: OptionalRecordId = None):
    """Tracts (통) in the caller's area with their household counts."""
    items = service.list_tracts(session, principal, dong_id)
    return {"items": items, "total": len(items)}


@router.get("/layers/dongs", response_class=Response, responses=_GEO_DOC)
def dongs_layer(principal: CurrentUser, session: SessionDep):
    return Response(service.dongs_layer(session), media_type=GEOJSON)


@router.get("/layers/tracts", response_class=Response, responses=_GEO_DOC)
def tracts_layer(principal: CurrentUser, session: SessionDep,
                 dong_id: OptionalRecordId = None):
    """Tracts coloured by their most urgent household, with counts per level."""
    return Response(service.tracts_layer(session, principal, dong_id), media_type=GEOJSON)
