"""Visit and service-link routes: parse, call the service, shape the answer."""
from typing import Annotated, Literal

from fastapi import APIRouter, Header, Request, Response

from app.auth.deps import CurrentUser
from app.deps import OptionalRecordId, PageDep, RecordId, SessionDep, if_match_version
from app.visits import links, referrals, service
from app.visits.schemas import (
    ServiceLinkCreate,
    ServiceLinkList,
    ServiceLinkRead,
    ServiceLinkUpdate,
    VisitCreate,
    VisitCreated,
    VisitList,
)

router = APIRouter(prefix="/api/v1", tags=["visits"])


def _resource(request: Request) -> str:
    return f"{request.method} {request.url.path}"


IdempotencyKey = Annotated[str | None, Header(
    alias="Idempotency-Key", min_length=1, max_length=100, pattern=r"^[\x21-\x7e]+$",
    description="초안마다 하나의 키(예: UUID). 같은 키로 다시 보내면 처음 기록과 현재 가구를 200으로 돌려줍니다")]
VISIT_ANSWERS = {
    200: {"model": VisitCreated,
          "description": "같은 Idempotency-Key로 이미 기록됨: 처음 기록과 현재 가구 (새로 쓰지 않음)"},
    409: {"description": "household_version이 지난 값(본문에 household·latest_visit), 또는 같은 키에 다른 내용"},
}


@router.post("/households/{household_id}/visits", response_model=VisitCreated, status_code=201,
             responses=VISIT_ANSWERS)
def record_visit(request: Request, response: Response, household_id: RecordId, body: VisitCreate,
                 principal: CurrentUser, session: SessionDep, idempotency_key: IdempotencyKey = None):
    """Record a visit or phone check-in; the household's level, colour and next due change with it. A phone's
    queued draft sends an Idempotency-Key (a resend answers 200 with the first visit) and the household
    version it was based on (changed since → 409 with the household and its newest visit)."""
    answer, created = service.record(session, principal, household_id, body, _resource(request), idempotency_key)
    if not created:
        response.status_code = 200
    return answer


@router.get("/households/{household_id}/visits", response_model=VisitList)
def list_visits(request: Request, household_id: RecordId, principal: CurrentUser,
                session: SessionDep, page: PageDep):
    """A household's visits, newest first."""
    return service.list_(session, principal, household_id, page.limit, page.offset, _resource(request))


@router.post("/households/{household_id}/services", response_model=ServiceLinkRead, status_code=201)
def create_service_link(request: Request, household_id: RecordId, body: ServiceLinkCreate,
                        principal: CurrentUser, session: SessionDep):
    """Link the household to a service, optionally at a facility and for one of its needs."""
    return links.create(session, principal, household_id, body, _resource(request))


@router.get("/households/{household_id}/services", response_model=ServiceLinkList)
def list_service_links(request: Request, household_id: RecordId, principal: CurrentUser,
                       session: SessionDep):
    """A household's service links with their status history (a partner sees only its own referrals)."""
    return links.list_(session, principal, household_id, _resource(request))


@router.patch("/households/{household_id}/services/{link_id}", response_model=ServiceLinkRead)
def update_service_link(request: Request, household_id: RecordId, link_id: RecordId,
                        body: ServiceLinkUpdate, principal: CurrentUser, session: SessionDep,
                        if_match: Annotated[str | None, Header()] = None):
    """Change a link's status with the version you read (body or If-Match); stale → 409."""
    return links.update(session, principal, household_id, link_id, body, if_match_version(if_match),
                        _resource(request))


@router.get("/referrals")
def list_referrals(request: Request, principal: CurrentUser, session: SessionDep, page: PageDep,
                   facility_id: OptionalRecordId = None,
                   status: Literal["open", "requested", "in_progress", "delivered", "declined", "all"] = "open"):
    """A facility's referral inbox (a partner's own agency by default): oldest open referral first."""
    statuses = {"open": referrals.OPEN_STATUSES, "all": ()}.get(status, (status,))
    return referrals.list_(session, principal, facility_id, statuses, page.limit, page.offset, _resource(request))
