"""GeoJSON FeatureCollections built inside PostGIS and returned as text (no per-row Python work)."""
from sqlalchemy import BigInteger, Text, cast, func, select, text
from sqlalchemy.dialects.postgresql import ARRAY, JSON, aggregate_order_by
from sqlalchemy.orm import Session


def feature_collection(session: Session, source, geom_column, properties: dict, precision: int = 6,
                       order_by=None) -> str:
    """One FeatureCollection (as JSON text) from a selectable; `properties` maps names to SQL expressions."""
    rows, collection = _collection(source, geom_column, properties, precision, order_by)
    return session.execute(select(collection).select_from(rows)).scalar_one()


def feature_collection_and_ids(session: Session, source, geom_column, properties: dict,
                               precision: int = 6) -> tuple[str, list[int]]:
    """The FeatureCollection and its feature ids from one scan (a layer view records which ids it showed)."""
    rows, collection = _collection(source, geom_column, properties, precision, None)
    ids = func.coalesce(func.array_agg(rows.c.id), cast(text("'{}'"), ARRAY(BigInteger)))
    document, id_list = session.execute(select(collection, ids).select_from(rows)).one()
    return document, list(id_list)


def _collection(source, geom_column, properties: dict, precision: int, order_by):
    """(the features subquery, the FeatureCollection text aggregated over it)."""
    props = func.json_build_object(*[part for name, expr in properties.items() for part in (name, expr)])
    feature = func.json_build_object(
        "type", "Feature",
        "id", properties["id"],
        "geometry", cast(func.ST_AsGeoJSON(geom_column, precision), JSON),
        "properties", props,
    )
    ordinal = func.row_number().over(order_by=order_by if order_by is not None else properties["id"])
    rows = (select(feature.label("f"), ordinal.label("n"), properties["id"].label("id"))
            .select_from(source).subquery("features"))
    collection = func.json_build_object(
        "type", "FeatureCollection",
        "features", func.coalesce(func.json_agg(aggregate_order_by(rows.c.f, rows.c.n)), text("'[]'::json")),
    )
    return rows, cast(collection, Text)
