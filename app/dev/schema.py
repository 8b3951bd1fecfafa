"""What schema comparisons (Alembic autogenerate and the migrations test) leave out."""
from geoalchemy2 import alembic_helpers

POSTGIS_TABLES = {"spatial_ref_sys", "topology", "layer"}


def include_object(obj, name, type_, reflected, compare_to):
    """Leave PostGIS's own tables out; let GeoAlchemy2 handle its spatial indexes."""
    if type_ == "table" and name in POSTGIS_TABLES:
        return False
    return alembic_helpers.include_object(obj, name, type_, reflected, compare_to)
