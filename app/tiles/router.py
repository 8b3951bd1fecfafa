"""Vector tile routes: parse the tile address, build the tile in PostGIS, answer with ETag and a short cache."""
from typing import Annotated

from fastapi import APIRouter, Header, Request, Response
from isal import igzip

from app.auth.deps import CurrentUser
from app.deps import SessionDep
from app.errors import InvalidInput
from app.geo.tiles import Tile
from app.geo.validate import CoordinateError
from app.households.params import TileFilter
from app.tiles import service

router = APIRouter(prefix="/api/v1/tiles", tags=["tiles"])
MVT = "application/vnd.mapbox-vector-tile"
_DOC = {200: {"content": {MVT: {}}, "description": "Mapbox Vector Tile"}, 304: {"description": "바뀌지 않음"}}
# Personal data: only the browser that asked may keep it, briefly, so a pan back does not ask again; after that
# the ETag lets an unchanged tile come back as a bodiless 304.
CACHE = "private, max-age=30"
GZIP_FROM = 1024


def _tile(z: str, x: str, y: str) -> Tile:
    try:
        return Tile.parse(z, x, y)
    except CoordinateError as exc:
        raise InvalidInput(str(exc)) from None


def _answer(answer: service.TileAnswer, request: Request, if_none_match: str | None) -> Response:
    # Weak: the same tile may go out gzipped or not.
    headers = {"ETag": f"W/{answer.etag}", "Cache-Control": CACHE, "Vary": "Authorization, Accept-Encoding",
               "X-Feature-Count": str(answer.features)}
    sent = {tag.strip().removeprefix("W/") for tag in (if_none_match or "").split(",")}
    if answer.etag in sent or "*" in sent:
        return Response(status_code=304, headers=headers)
    body = answer.body
    if len(body) > GZIP_FROM and "gzip" in request.headers.get("accept-encoding", ""):
        # ISA-L level 1, as the app's gzip: tiles are many and small, and it halves them all the same.
        body = igzip.compress(body, compresslevel=1, mtime=0)
        headers["Content-Encoding"] = "gzip"
    return Response(body, media_type=MVT, headers=headers)


@router.get("/households/{z}/{x}/{y}.mvt", response_class=Response, responses=_DOC)
def households_tile(request: Request, z: str, x: str, y: str, principal: CurrentUser, session: SessionDep,
                    f: TileFilter, if_none_match: Annotated[str | None, Header()] = None):
    """Households of the caller's area in one tile: points (id, risk_level, overdue) from zoom 16, below it
    grid cells (count, per-level counts, overdue, risk_level = the worst present)."""
    tile = _tile(z, x, y)
    resource = f"{request.method} {request.url.path}" + (f"?{request.url.query}" if request.url.query else "")
    return _answer(service.households_tile(session, principal, f, tile, resource), request, if_none_match)


@router.get("/tracts/{z}/{x}/{y}.mvt", response_class=Response, responses=_DOC)
def tracts_tile(request: Request, z: str, x: str, y: str, principal: CurrentUser, session: SessionDep,
                if_none_match: Annotated[str | None, Header()] = None):
    """Tract polygons with household counts per level, colour of the most urgent (a 통장: outline only)."""
    return _answer(service.tracts_tile(session, principal, _tile(z, x, y)), request, if_none_match)
