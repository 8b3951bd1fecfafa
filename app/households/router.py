"""Household HTTP routes: parse, call the service, shape the answer."""
from typing import Annotated, Literal

from fastapi import APIRouter, Header, Path, Query, Request, Response

from app.deps import BBoxDep, CurrentUser, PageDep, SessionDep, if_match_version
from app.errors import InvalidInput
from app.households import service
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
from app.validation import parse_codes
from app.vocab import NEEDS

router = APIRouter(prefix="/api/v1", tags=["households"])
GEOJSON = "application/geo+json"
HouseholdId = Annotated[int, Path(ge=1, le=2**31 - 1)]


def _resource(request: Request) -> str:
    return f"{request.method} {request.url.path}"


def household_filter(dong_id: int | None = Query(None, ge=1, le=2**31 - 1),
                     tract_id: int | None = Query(None, ge=1, le=2**31 - 1),
                     risk: str | None = Query(None, max_length=60, description="high,medium,low,unvisited"),
                     need: str | None = Query(None, max_length=300),
                     overdue: bool | None = None,
                     q: str | None = Query(None, max_length=100),
                     status: Literal["active", "closed", "all"] = "active",
                     bbox=None) -> service.HouseholdFilter:
    if q is not None and "\x00" in q:
        raise InvalidInput("q: NUL 문자는 쓸 수 없습니다")
    return service.HouseholdFilter(dong_id=dong_id, tract_id=tract_id, risk=service.parse_risk(risk),
                                   need=parse_codes(need, NEEDS, "욕구 코드"), overdue=overdue,
                                   q=(q or "").strip() or None, status=status, bbox=bbox)


@router.get("/households", response_model=HouseholdList)
def list_households(request: Request, principal: CurrentUser, session: SessionDep,
                    page: PageDep, bbox: BBoxDep,
                    dong_id: int | None = Query(None, ge=1, le=2**31 - 1),
                    tract_id: int | None = Query(None, ge=1, le=2**31 - 1),
                    risk: str | None = Query(None, max_length=60),
                    need: str | None = Query(None, max_length=300),
                    overdue: bool | None = None,
                    q: str | None = Query(None, max_length=100),
                    status: Literal["active", "closed", "all"] = "active",
                    sort: Literal["risk", "-last_visit_at", "last_visit_at", "next_visit_due", "address"] = "risk"):
    """Households in the caller's area with filters, sorting and paging."""
    f = household_filter(dong_id, tract_id, risk, need, overdue, q, status, bbox)
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
def get_household(request: Request, household_id: HouseholdId, principal: CurrentUser,
                  session: SessionDep):
    return service.get(session, principal, household_id, _resource(request))


@router.post("/households/{household_id}/unmask", response_model=HouseholdRead)
def unmask_household(request: Request, household_id: HouseholdId, body: UnmaskRequest,
                     principal: CurrentUser, session: SessionDep):
    """Full name and phone for staff, recorded with its purpose."""
    return service.get(session, principal, household_id, _resource(request), reveal=True, purpose=body.purpose)


@router.patch("/households/{household_id}", response_model=HouseholdRead)
def update_household(request: Request, household_id: HouseholdId, body: HouseholdUpdate,
                     principal: CurrentUser, session: SessionDep,
                     if_match: Annotated[str | None, Header()] = None):
    """Edit with optimistic locking: send the version you read (body or If-Match); stale → 409."""
    return service.update(session, principal, household_id, body, if_match_version(if_match), _resource(request))


@router.post("/households/{household_id}/close", response_model=HouseholdRead)
def close_household(request: Request, household_id: HouseholdId, body: HouseholdClose,
                    principal: CurrentUser, session: SessionDep,
                    if_match: Annotated[str | None, Header()] = None):
    return service.close(session, principal, household_id, body, if_match_version(if_match), _resource(request))


@router.get("/layers/households", response_class=Response,
            responses={200: {"content": {GEOJSON: {}}, "description": "GeoJSON FeatureCollection"}})
def households_layer(request: Request, principal: CurrentUser, session: SessionDep, bbox: BBoxDep,
                     dong_id: int | None = Query(None, ge=1, le=2**31 - 1),
                     tract_id: int | None = Query(None, ge=1, le=2**31 - 1),
                     risk: str | None = Query(None, max_length=60),
                     need: str | None = Query(None, max_length=300),
                     overdue: bool | None = None):
    """Household points: id, risk level, colour and overdue only."""
    f = household_filter(dong_id, tract_id, risk, need, overdue, None, "active", bbox)
    return Response(service.layer(session, principal, f, _resource(request)), media_type=GEOJSON)
