"""Map layers built inside PostGIS and answered as text (GeoJSON FeatureCollections)."""
