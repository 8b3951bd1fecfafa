"""GeoJSON FeatureCollections built inside PostGIS and returned as text (no per-row Python work)."""
from sqlalchemy import Text, cast, func, select, text
from sqlalchemy.dialects.postgresql import JSON, aggregate_order_by
from sqlalchemy.orm import Session


def feature_collection(session: Session, source, geom_column, properties: dict, precision: int = 6,
                       order_by=None) -> str:
    """One FeatureCollection (as JSON text) from a selectable; `properties` maps names to SQL expressions."""
    props = func.json_build_object(*[part for name, expr in properties.items() for part in (name, expr)])
    feature = func.json_build_object(
        "type", "Feature",
        "id", properties["id"],
        "geometry", cast(func.ST_AsGeoJSON(geom_column, precision), JSON),
        "properties", props,
    )
    ordinal = func.row_number().over(order_by=order_by if order_by is not None else properties["id"])
    rows = select(feature.label("f"), ordinal.label("n")).select_from(source).subquery("features")
    collection = func.json_build_object(
        "type", "FeatureCollection",
        "features", func.coalesce(func.json_agg(aggregate_order_by(rows.c.f, rows.c.n)), text("'[]'::json")),
    )
    return session.execute(select(cast(collection, Text))).scalar_one()
