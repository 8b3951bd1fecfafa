"""Routes of imported lists and the placement queue: parse, call the service, shape the answer."""
import json
from typing import Annotated, Literal

from fastapi import APIRouter, File, Form, Request, Response, UploadFile

from app.auth.deps import CurrentUser
from app.config import get_settings
from app.deps import OptionalRecordId, PageDep, RecordId, SessionDep
from app.errors import InvalidInput, PayloadTooLarge
from app.imports import service
from app.imports.schemas import (
    ImportList,
    ImportRead,
    ImportRowList,
    MappingBody,
    PlaceBody,
    Placed,
    VersionBody,
)

router = APIRouter(prefix="/api/v1", tags=["imports"])
Kind = Literal["households", "discovery_list", "registry_changes"]
Outcome = Literal["new", "matched", "unplaced", "error", "out_of_scope"]


def _resource(request: Request) -> str:
    return f"{request.method} {request.url.path}"


def _mapping(text: str | None) -> dict | None:
    if text is None or not text.strip():
        return None
    try:
        value = json.loads(text)
    except ValueError:
        raise InvalidInput("mapping: JSON 객체여야 합니다 (필드 이름 → 열 이름).") from None
    if not isinstance(value, dict) or not all(isinstance(k, str) and (v is None or isinstance(v, str))
                                              for k, v in value.items()):
        raise InvalidInput("mapping: 필드 이름 → 열 이름(문자열 또는 null)의 JSON 객체여야 합니다.")
    return value


@router.post("/imports", response_model=ImportRead, status_code=201)
def preview_import(principal: CurrentUser, session: SessionDep,
                   file: Annotated[UploadFile, File(description=".xlsx 또는 .csv (UTF-8·CP949)")],
                   kind: Annotated[Kind, Form()],
                   mapping: Annotated[str | None, Form(description="필드 → 열 이름 JSON (고친 연결)")] = None,
                   round: Annotated[str | None, Form(max_length=30, description="발굴 차수, 예: 2026-6차")] = None):
    """Read a list and plan every row: a preview (nothing in the registry changes until commit)."""
    limit = get_settings().import_max_bytes
    data = file.file.read(limit + 1)
    if len(data) > limit:
        raise PayloadTooLarge(f"파일이 너무 큽니다 (최대 {limit // (1024 * 1024)}MB).")
    return service.preview(session, principal, kind, file.filename or "파일", data, _mapping(mapping), round)


@router.get("/imports", response_model=ImportList)
def list_imports(principal: CurrentUser, session: SessionDep, page: PageDep, kind: Kind | None = None):
    """Recent imports, newest first."""
    return service.list_(session, principal, kind, page.limit, page.offset)


@router.get("/imports/{import_id}", response_model=ImportRead)
def get_import(import_id: RecordId, principal: CurrentUser, session: SessionDep):
    return service.get(session, principal, import_id)


@router.post("/imports/{import_id}/mapping", response_model=ImportRead)
def remap_import(import_id: RecordId, body: MappingBody, principal: CurrentUser, session: SessionDep):
    """Plan the same file again with a corrected column mapping."""
    return service.remap(session, principal, import_id, body.mapping, body.version)


@router.get("/imports/{import_id}/rows", response_model=ImportRowList)
def import_rows(request: Request, import_id: RecordId, principal: CurrentUser, session: SessionDep,
                page: PageDep, outcome: Outcome | None = None):
    """The planned rows (and what became of them), names masked."""
    return service.rows(session, principal, import_id, outcome, page.limit, page.offset, _resource(request))


@router.post("/imports/{import_id}/commit", response_model=ImportRead)
def commit_import(request: Request, import_id: RecordId, body: VersionBody, principal: CurrentUser,
                  session: SessionDep):
    """Apply exactly the previewed rows in one transaction; a second commit is a 409."""
    return service.commit(session, principal, import_id, body.version, _resource(request))


@router.delete("/imports/{import_id}", status_code=204, response_class=Response)
def discard_import(import_id: RecordId, principal: CurrentUser, session: SessionDep):
    """Discard a preview (its rows and the file's bytes go)."""
    service.discard(session, principal, import_id)
    return Response(status_code=204)


@router.get("/placement-queue", response_model=ImportRowList)
def placement_queue(request: Request, principal: CurrentUser, session: SessionDep, page: PageDep,
                    dong_id: OptionalRecordId = None):
    """Imported rows no address placed: they wait here for a person to put them on the map."""
    return service.queue(session, principal, dong_id, page.limit, page.offset, _resource(request))


@router.post("/placement-queue/{row_id}/place", response_model=Placed, status_code=201)
def place_row(request: Request, row_id: RecordId, body: PlaceBody, principal: CurrentUser, session: SessionDep):
    """Put a queued row on the map at the point a person chose; its household is created there."""
    return service.place(session, principal, row_id, body.lon, body.lat, body.version, _resource(request))

