"""Facility queries: the map layer (search and management grow here)."""
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.facilities.models import Facility
from app.geo.geojson import feature_collection
from app.geo.validate import BBox


def layer(session: Session, bbox: BBox | None, categories: tuple[str, ...]) -> str:
    """Facility points with id, name and category."""
    conds = []
    if bbox is not None:
        conds.append(Facility.geom.intersects(func.ST_MakeEnvelope(bbox.west, bbox.south, bbox.east, bbox.north,
                                                                   4326)))
    if categories:
        conds.append(Facility.category.in_(categories))
    src = select(Facility.id, Facility.name, Facility.category, Facility.geom).where(*conds).subquery()
    return feature_collection(session, src, src.c.geom,
                              {"id": src.c.id, "name": src.c.name, "category": src.c.category})
