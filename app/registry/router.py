"""Routes of the registry-changes inbox: parse, call the service, shape the answer."""
from typing import Literal

from fastapi import APIRouter, Request

from app.auth.deps import CurrentUser
from app.deps import OptionalRecordId, PageDep, RecordId, SessionDep
from app.registry import service
from app.registry.schemas import ApplyBody, DismissBody, RegistryChangeList, RegistryChangeRead

router = APIRouter(prefix="/api/v1", tags=["registry"])
Status = Literal["pending", "applied", "dismissed", "unmatched"]


def _resource(request: Request) -> str:
    return f"{request.method} {request.url.path}"


@router.get("/registry-changes", response_model=RegistryChangeList)
def list_changes(request: Request, principal: CurrentUser, session: SessionDep, page: PageDep,
                 status: Status = "pending", import_id: OptionalRecordId = None):
    """주민등록 변동 inbox: changes waiting for a person (pending), applied, dismissed, or unmatched."""
    return service.list_(session, principal, status, import_id, page.limit, page.offset, _resource(request))


@router.post("/registry-changes/{change_id}/apply", response_model=RegistryChangeRead)
def apply_change(request: Request, change_id: RecordId, body: ApplyBody, principal: CurrentUser,
                 session: SessionDep):
    """Apply what the change proposes (close, move, or mark as seen); stale or already resolved → 409."""
    return service.apply(session, principal, change_id, body.version, _resource(request))


@router.post("/registry-changes/{change_id}/dismiss", response_model=RegistryChangeRead)
def dismiss_change(request: Request, change_id: RecordId, body: DismissBody, principal: CurrentUser,
                   session: SessionDep):
    """Decide the change does not apply, with a reason; stale or already resolved → 409."""
    return service.dismiss(session, principal, change_id, body.reason, body.version, _resource(request))
