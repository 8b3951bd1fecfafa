"""What the map page needs to know about this deployment (base-map tiles), behind sign-in like all of /api/v1."""
from fastapi import APIRouter
from pydantic import BaseModel

from app.config import get_settings
from app.deps import CurrentUser

router = APIRouter(prefix="/api/v1", tags=["ui"])


class UiConfigRead(BaseModel):
    tile_url: str | None
    tile_attribution: str


@router.get("/ui-config", response_model=UiConfigRead)
def ui_config(principal: CurrentUser) -> UiConfigRead:
    """The base-map tile URL template (null: offline map of dong outlines only) and its attribution."""
    settings = get_settings()
    return UiConfigRead(tile_url=settings.tile_url or None, tile_attribution=settings.tile_attribution)
