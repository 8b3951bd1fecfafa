"""Request dependencies: the request's unit of work, the caller's address, bbox, paging and If-Match."""
from collections.abc import AsyncIterator, Generator, Iterator
from datetime import date
from typing import Annotated

from fastapi import Depends, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy.orm import Session

from app.config import get_settings
from app.db import get_session
from app.errors import AppError, InvalidInput
from app.geo.validate import BBox, CoordinateError
from app.validation import MAX_ID


async def transaction(session: Annotated[Session, Depends(get_session)]) -> AsyncIterator[Session]:
    """The request's unit of work: services only flush; this commits once when the route succeeded and
    rolls back when it raised, so a failure leaves nothing half-written. An error that says so
    (`keeps_writes`, e.g. a failed sign-in's counter) commits what was recorded before it.

    Async, with only the commit or rollback in a worker thread: beginning needs no thread at all."""
    try:
        yield session
    except Exception as exc:
        if isinstance(exc, AppError) and exc.keeps_writes:
            await run_in_threadpool(session.commit)
        else:
            await run_in_threadpool(session.rollback)
        raise
    await run_in_threadpool(session.commit)


# scope="function": the commit runs before the answer is sent, so a 2xx is never sent for a lost write.
SessionDep = Annotated[Session, Depends(transaction, scope="function")]
# Without the request's unit of work, for a route whose work outlives its answer and commits on its own
# (the chat-bot's turn goes on in a worker after Kakao got its polite reply).
OwnTransactionSession = Annotated[Session, Depends(get_session)]

def response_streams(session: Annotated[Session, Depends(get_session)]) -> Iterator[list[Generator]]:
    """Generators that read the database while the answer is sent. They are closed when the request ends
    (sent in full, failed, or cut off by the client) and before its session closes, because they depend on
    it: a cancelled download never leaves a query running on a pooled connection."""
    streams: list[Generator] = []
    try:
        yield streams
    finally:
        for stream in streams:
            stream.close()


ResponseStreams = Annotated[list[Generator], Depends(response_streams)]

# Ids in paths and queries; larger than any key of the schema is refused before any query.
RecordId = Annotated[int, Path(ge=1, le=MAX_ID)]
OptionalRecordId = Annotated[int | None, Query(ge=1, le=MAX_ID)]
DateFrom = Annotated[date | None, Query(alias="from", description="시작일 (포함)")]
DateTo = Annotated[date | None, Query(alias="to", description="종료일 (포함)")]


def client_ip(request: Request) -> str | None:
    """The caller's address; a proxy header is trusted only when configured (its last hop, added by the proxy)."""
    header = get_settings().trusted_proxy_header
    if header and request.headers.get(header):
        return request.headers[header].split(",")[-1].strip()[:45] or None
    return request.client.host if request.client else None


async def bbox_param(bbox: Annotated[str | None, Query(description="서,남,동,북 (WGS84)")] = None) -> BBox | None:
    if bbox is None:
        return None
    try:
        return BBox.parse(bbox)
    except CoordinateError as exc:
        raise InvalidInput(str(exc)) from None


BBoxDep = Annotated[BBox | None, Depends(bbox_param)]


class Page:
    """`limit` (1..500, default 50) and `offset` (≥0) as the API contract says."""

    def __init__(self, limit: Annotated[int, Query(ge=1, le=500)] = 50,
                 offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0):
        self.limit = limit
        self.offset = offset


PageDep = Annotated[Page, Depends()]


def if_match_version(if_match: str | None) -> int | None:
    """The version carried by an If-Match header (`3` or `"3"` or `W/"3"`)."""
    if if_match is None:
        return None
    value = if_match.strip().removeprefix("W/").strip('"')
    if not value.isdigit():
        raise InvalidInput("If-Match 헤더에는 정수 version을 넣으세요.")
    return int(value)
