"""Household HTTP routes: parse, call the service, shape the answer."""
from typing import Annotated

from fastapi import APIRouter, Header, Request, Response

from app.auth.deps import CurrentUser
from app.deps import PageDep, RecordId, SessionDep, if_match_version
from app.households import service
from app.households.params import LayerFilter, ListFilter, Sort
from app.households.schemas import (
    HouseholdClose,
    HouseholdCreate,
    HouseholdList,
    HouseholdRead,
    HouseholdUpdate,
    RrnLookup,
    RrnLookupResult,
    UnmaskRequest,
)

router = APIRouter(prefix="/api/v1", tags=["households"])
GEOJSON = "application/geo+json"


def _resource(request: Request) -> str:
    return f"{request.method} {request.url.path}"


@router.get("/households", response_model=HouseholdList)
def list_households(request: Request, principal: CurrentUser, session: SessionDep, page: PageDep,
                    f: ListFilter, sort: Sort = "risk"):
    """Households in the caller's area with filters, sorting and paging."""
    return service.list_(session, principal, f, sort, page.limit, page.offset, _resource(request))


@router.post("/households", response_model=HouseholdRead, status_code=201)
def create_household(request: Request, body: HouseholdCreate, principal: CurrentUser,
                     session: SessionDep):
    """Register a household; the server finds its dong and tract from the point."""
    return service.create(session, principal, body, _resource(request))


@router.post("/households/lookup-rrn", response_model=RrnLookupResult)
def lookup_rrn(request: Request, body: RrnLookup, principal: CurrentUser, session: SessionDep):
    """Households in your area with this 주민등록번호 (sent in the body, never in a URL); the lookup is recorded."""
    return service.lookup_rrn(session, principal, body.rrn, body.purpose, _resource(request))


@router.get("/households/{household_id}", response_model=HouseholdRead)
def get_household(request: Request, household_id: RecordId, principal: CurrentUser,
                  session: SessionDep):
    return service.get(session, principal, household_id, _resource(request))


@router.post("/households/{household_id}/unmask", response_model=HouseholdRead)
def unmask_household(request: Request, household_id: RecordId, body: UnmaskRequest,
                     principal: CurrentUser, session: SessionDep):
    """Full name and phone for staff, recorded with its purpose."""
    return service.get(session, principal, household_id, _resource(request), reveal=True, purpose=body.purpose)


@router.patch("/households/{household_id}", response_model=HouseholdRead)
def update_household(request: Request, household_id: RecordId, body: HouseholdUpdate,
                     principal: CurrentUser, session: SessionDep,
                     if_match: Annotated[str | None, Header()] = None):
    """Edit with optimistic locking: send the version you read (body or If-Match); stale → 409."""
    return service.update(session, principal, household_id, body, if_match_version(if_match), _resource(request))


@router.post("/households/{household_id}/close", response_model=HouseholdRead)
def close_household(request: Request, household_id: RecordId, body: HouseholdClose,
                    principal: CurrentUser, session: SessionDep,
                    if_match: Annotated[str | None, Header()] = None):
    return service.close(session, principal, household_id, body, if_match_version(if_match), _resource(request))


@router.get("/layers/households", response_class=Response,
            responses={200: {"content": {GEOJSON: {}}, "description": "GeoJSON FeatureCollection"}})
def households_layer(request: Request, principal: CurrentUser, session: SessionDep, f: LayerFilter):
    """Household points: id, risk level, colour and overdue only. Recorded with its query (area and filters,
    no personal data), which says which households it showed."""
    resource = _resource(request) + (f"?{request.url.query}" if request.url.query else "")
    return Response(service.layer(session, principal, f, resource), media_type=GEOJSON)
