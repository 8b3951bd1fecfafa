"""Routes of the 발굴 list rounds: progress, the 조사 outcome of a household, the results file."""
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from app.auth.deps import CurrentUser
from app.deps import RecordId, ResponseStreams, SessionDep
from app.discovery import service
from app.discovery.schemas import RoundList
from app.exports.tabular import MEDIA, Purpose, attachment, clean_purpose
from app.households.schemas import DiscoveryEntry, DiscoveryRecord

router = APIRouter(prefix="/api/v1", tags=["discovery"])


def _resource(request: Request) -> str:
    return f"{request.method} {request.url.path}"


@router.get("/discovery/rounds", response_model=RoundList)
def discovery_rounds(principal: CurrentUser, session: SessionDep):
    """Each 발굴 round's progress in your area: rows, contact results, outcomes, overdue entries."""
    return service.rounds(session, principal)


@router.post("/households/{household_id}/discovery", response_model=DiscoveryEntry)
def record_discovery(request: Request, household_id: RecordId, body: DiscoveryRecord, principal: CurrentUser,
                     session: SessionDep):
    """Record the 조사's contact result and outcome for the household's entry of one round."""
    return service.record(session, principal, household_id, body.import_id, body.contact, body.outcome, body.note,
                          body.version, _resource(request))


@router.get("/exports/discovery-results.xlsx", response_class=Response,
            responses={200: {"content": {MEDIA["xlsx"]: {}}}})
def export_discovery_results(request: Request, import_id: Annotated[int, Query(ge=1, le=2**31 - 1)],
                             purpose: Purpose, principal: CurrentUser, session: SessionDep,
                             streams: ResponseStreams,
                             reveal: Annotated[bool, Query(description="실명·전화번호 포함 (기록됨)")] = False):
    """A round in its own columns plus the outcome columns, ready to key back into 발굴관리시스템 once."""
    export, batch = service.results_export(session, principal, import_id, reveal, clean_purpose(purpose),
                                           _resource(request))
    return attachment(session, streams, export, "discovery-results", f"발굴결과-{batch.round}", "xlsx")
