"""GeoJSON FeatureCollections built inside PostGIS and returned as text (no per-row Python work)."""
from sqlalchemy import Select, Text, cast, func, select, text
from sqlalchemy.dialects.postgresql import JSON, aggregate_order_by
from sqlalchemy.orm import Session


def feature_collection(session: Session, source, geom_column, properties: dict, precision: int = 6,
                       order_by=None) -> str:
    """One FeatureCollection (as JSON text) from a selectable; `properties` maps names to SQL expressions."""
    collection = _collection(geom_column, properties, precision, order_by)
    return session.execute(select(collection).select_from(source)).scalar_one()


def collection_and_count(source, geom_column, properties: dict, precision: int = 6) -> Select:
    """A statement answering the FeatureCollection and how many features it holds, from one scan (a layer view
    is recorded by its query and count, as a map tile is)."""
    collection = _collection(geom_column, properties, precision, None)
    return select(collection, func.count()).select_from(source)


def _collection(geom_column, properties: dict, precision: int, order_by):
    """The FeatureCollection text, aggregated over the rows it is selected from (in id order by default)."""
    props = func.json_build_object(*[part for name, expr in properties.items() for part in (name, expr)])
    feature = func.json_build_object(
        "type", "Feature",
        "id", properties["id"],
        "geometry", cast(func.ST_AsGeoJSON(geom_column, precision), JSON),
        "properties", props,
    )
    order = order_by if order_by is not None else [properties["id"]]
    collection = func.json_build_object(
        "type", "FeatureCollection",
        "features", func.coalesce(func.json_agg(aggregate_order_by(feature, *order)), text("'[]'::json")),
    )
    return cast(collection, Text)
