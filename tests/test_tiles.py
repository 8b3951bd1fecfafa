"""Vector tiles: exact feature counts at every zoom, one tile per point on an edge, scope, filters, cache, bad z/x/y."""
import math

import pytest
from mapbox_vector_tile import decode
from sqlalchemy import text

from app.geo.tiles import Tile, tile_of
from app.tiles.service import POINT_MIN_ZOOM
from tests.conftest import today


def _features(response, layer: str) -> list[dict]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/vnd.mapbox-vector-tile"
    return decode(response.content).get(layer, {}).get("features", [])


def _covering(session, z: int, where: str = "TRUE", params=None) -> set[Tile]:
    """Every tile at zoom z that holds an active household matching `where`."""
    rows = session.execute(text(f"SELECT ST_X(geom), ST_Y(geom) FROM households WHERE status = 'active' AND {where}"),
                           params or {}).all()
    return {tile_of(lon, lat, z) for lon, lat in rows}


def _household_count(session, where: str = "TRUE", params=None) -> int:
    return session.execute(text(f"SELECT count(*) FROM households WHERE status = 'active' AND {where}"),
                           params or {}).scalar_one()


def _tile_total(client, headers, tile: Tile, query: str = "") -> int:
    response = client.get(f"/api/v1/tiles/households/{tile.z}/{tile.x}/{tile.y}.mvt{query}", headers=headers)
    if tile.z >= POINT_MIN_ZOOM:
        features = _features(response, "households")
        assert len(features) == int(response.headers["X-Feature-Count"])
        return len(features)
    cells = _features(response, "clusters")
    for cell in cells:
        p = cell["properties"]
        assert p["count"] == p["high"] + p["medium"] + p["low"] + p["unvisited"] > 0
    total = sum(c["properties"]["count"] for c in cells)
    assert total == int(response.headers["X-Feature-Count"])
    return total


@pytest.mark.parametrize("z", [11, 13, 15, 16])
def test_tiles_at_a_zoom_add_up_to_the_households(client, as_user, session, z):
    headers = as_user("admin")
    tiles = _covering(session, z)
    assert sum(_tile_total(client, headers, t) for t in tiles) == _household_count(session)


def test_point_tiles_are_exactly_the_households_in_them(client, as_user, session):
    headers = as_user("admin")
    lon, lat = session.execute(text("SELECT ST_X(geom), ST_Y(geom) FROM households WHERE status = 'active' "
                                    "ORDER BY id LIMIT 1")).one()
    tile = tile_of(lon, lat, 17)
    west, south, east, north = tile.edges()
    expected = set(session.execute(text(
        "SELECT id FROM households WHERE status = 'active' AND ST_X(geom) >= :w AND ST_X(geom) < :e "
        "AND ST_Y(geom) > :s AND ST_Y(geom) <= :n"), {"w": west, "e": east, "s": south, "n": north}).scalars())
    features = _features(client.get(f"/api/v1/tiles/households/17/{tile.x}/{tile.y}.mvt", headers=headers),
                         "households")
    assert {f["properties"]["id"] for f in features} == expected
    assert {f["properties"]["risk_level"] for f in features} <= {"high", "medium", "low", "unvisited"}
    assert all(isinstance(f["properties"]["overdue"], bool) for f in features)


def test_a_point_on_a_tile_edge_is_in_exactly_one_tile(client, as_user, session):
    headers = as_user("admin")
    hh = session.execute(text("SELECT id, ST_X(geom), ST_Y(geom) FROM households WHERE status = 'active' "
                              "ORDER BY id LIMIT 1")).one()
    tile = tile_of(hh[1], hh[2], 17)
    west, south, east, north = tile.edges()
    for lon, lat in ((west, north), (east, south), (west, (south + north) / 2), ((west + east) / 2, south)):
        session.execute(text("UPDATE households SET geom = ST_SetSRID(ST_MakePoint(:lon, :lat), 4326) "
                             "WHERE id = :id"), {"lon": lon, "lat": lat, "id": hh[0]})
        holding = []
        for dx in (-1, 0, 1):
            for dy in (-1, 0, 1):
                t = Tile(17, tile.x + dx, tile.y + dy)
                ids = {f["properties"]["id"] for f in _features(
                    client.get(f"/api/v1/tiles/households/17/{t.x}/{t.y}.mvt", headers=headers), "households")}
                if hh[0] in ids:
                    holding.append(t)
        assert holding == [tile_of(lon, lat, 17)], (lon, lat, holding)


def test_a_dong_account_sees_only_its_dong(client, as_user, session):
    headers = as_user("dong01")
    dong = session.execute(text("SELECT d.dong_id FROM user_dongs d JOIN users u ON u.id = d.user_id "
                                "WHERE u.username = 'dong01'")).scalar_one()
    for z in (13, 16):
        tiles = _covering(session, z)
        total = sum(_tile_total(client, headers, t) for t in tiles)
        assert total == _household_count(session, "dong_id = :d", {"d": dong})
    other = _covering(session, 16, "dong_id <> :d AND NOT ST_DWithin(geom::geography, (SELECT geom FROM dongs "
                      "WHERE id = :d)::geography, 1500)", {"d": dong})
    tile = sorted(other, key=lambda t: (t.x, t.y))[0]
    assert _tile_total(client, headers, tile) == 0
    # Another dong named in the filter is refused like a missing one, before any tile is built.
    other_dong = session.execute(text("SELECT id FROM dongs WHERE id <> :d ORDER BY id LIMIT 1"), {"d": dong}).scalar()
    answer = client.get(f"/api/v1/tiles/households/16/{tile.x}/{tile.y}.mvt?dong_id={other_dong}", headers=headers)
    assert answer.status_code in (403, 404)


def test_filters_narrow_the_tiles(client, as_user, session):
    headers = as_user("admin")
    for query, where in (("?risk=high", "risk_level = 'high'"),
                         ("?risk=high,unvisited&overdue=true", "risk_level IN ('high', 'unvisited') AND "
                                                               "next_visit_due < :today"),
                         ("?need=food", "'food' = ANY(open_needs)")):
        for z in (12, 16):
            tiles = _covering(session, z, where, {"today": today()})
            assert sum(_tile_total(client, headers, t, query) for t in tiles) == \
                _household_count(session, where, {"today": today()})


def test_clusters_carry_the_worst_level_and_overdue(client, as_user, session):
    headers = as_user("admin")
    for tile in _covering(session, 12):
        for cell in _features(client.get(f"/api/v1/tiles/households/12/{tile.x}/{tile.y}.mvt", headers=headers),
                              "clusters"):
            p = cell["properties"]
            worst = next(level for level in ("high", "medium", "unvisited", "low") if p[level] > 0)
            assert p["risk_level"] == worst
            assert 0 <= p["overdue"] <= p["count"]


def test_etag_gives_304_and_a_private_cache(client, as_user):
    headers = as_user("admin")
    lon, lat = 126.9368, 37.5791  # 서대문구
    tile = tile_of(lon, lat, 14)
    url = f"/api/v1/tiles/households/14/{tile.x}/{tile.y}.mvt"
    first = client.get(url, headers=headers)
    assert first.status_code == 200
    assert first.headers["cache-control"] == "private, max-age=30"
    again = client.get(url, headers={**headers, "If-None-Match": first.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    assert client.get(url, headers={**headers, "If-None-Match": '"other"'}).status_code == 200


def test_tiles_need_a_staff_account(client, as_user):
    tile = tile_of(126.9368, 37.5791, 15)
    url = f"/api/v1/tiles/households/15/{tile.x}/{tile.y}.mvt"
    assert client.get(url).status_code == 401
    assert client.get(url, headers=as_user("tongjang01")).status_code == 403
    assert client.get(url, headers=as_user("partner01")).status_code == 403


@pytest.mark.parametrize("address", ["-1/0/0", "3/8/0", "3/0/8", "23/0/0", "1.5/0/0", "14/abc/1", "14/1/1e3",
                                     "99999999999/0/0", "14/ 1/1", "%EC%A7%80/0/0"])
def test_bad_tile_addresses_are_refused_in_korean(client, as_user, address):
    for layer in ("households", "tracts"):
        response = client.get(f"/api/v1/tiles/{layer}/{address}.mvt", headers=as_user("admin"))
        assert 400 <= response.status_code < 500, (address, response.status_code)
        assert response.status_code != 404 or address.startswith("%"), response.text
        detail = response.json()["detail"]
        assert any("\uac00" <= ch <= "\ud7a3" for ch in str(detail)), detail


def test_tract_tiles_carry_counts_and_colour(client, as_user, session):
    headers = as_user("admin")
    tract = session.execute(text("SELECT t.id, ST_X(ST_PointOnSurface(t.geom)), ST_Y(ST_PointOnSurface(t.geom)) "
                                 "FROM tracts t WHERE EXISTS (SELECT 1 FROM households h WHERE h.tract_id = t.id "
                                 "AND h.risk_level = 'high' AND h.status = 'active') ORDER BY t.id LIMIT 1")).one()
    tile = tile_of(tract[1], tract[2], 15)
    features = _features(client.get(f"/api/v1/tiles/tracts/15/{tile.x}/{tile.y}.mvt", headers=headers), "tracts")
    mine = next(f for f in features if f["properties"]["id"] == tract[0])
    p = mine["properties"]
    counts = dict(session.execute(text("SELECT risk_level, count(*) FROM households WHERE tract_id = :t AND "
                                       "status = 'active' GROUP BY 1"), {"t": tract[0]}).all())
    assert {lvl: p[lvl] for lvl in ("high", "medium", "low", "unvisited")} == \
        {lvl: counts.get(lvl, 0) for lvl in ("high", "medium", "low", "unvisited")}
    assert p["household_count"] == sum(counts.values())
    assert p["risk_level"] == "high" and p["color"] == "#E53935"
    # A 통장 sees their own tract's outline, without counts.
    own = session.execute(text("SELECT t.tract_id FROM user_tracts t JOIN users u ON u.id = t.user_id "
                                "WHERE u.username = 'tongjang01'")).scalar_one()
    lon, lat = session.execute(text("SELECT ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom)) FROM tracts "
                                    "WHERE id = :t"), {"t": own}).one()
    tile = tile_of(lon, lat, 15)
    features = _features(client.get(f"/api/v1/tiles/tracts/15/{tile.x}/{tile.y}.mvt", headers=as_user("tongjang01")),
                         "tracts")
    assert [f["properties"]["id"] for f in features] == [own]
    assert "high" not in features[0]["properties"]


def test_a_tile_view_leaves_one_compact_access_record(client, as_user, session):
    headers = as_user("admin")
    tile = tile_of(126.9368, 37.5791, 13)
    before = session.execute(text("SELECT max(id) FROM access_records")).scalar()
    response = client.get(f"/api/v1/tiles/households/13/{tile.x}/{tile.y}.mvt?risk=high", headers=headers)
    shown = int(response.headers["X-Feature-Count"])
    assert shown > 0
    rows = session.execute(text("SELECT action, resource, household_count, household_ids FROM access_records "
                                "WHERE id > :b"), {"b": before or 0}).all()
    assert len(rows) == 1
    action, resource, count, ids = rows[0]
    assert action == "list" and count == shown and not ids
    assert resource == f"GET /api/v1/tiles/households/13/{tile.x}/{tile.y}.mvt?risk=high"


def test_tile_of_agrees_with_the_edges():
    for lon, lat in ((126.9368, 37.5791), (127.0, 37.5), (126.95, 37.56)):
        for z in (0, 5, 12, 17, 22):
            west, south, east, north = tile_of(lon, lat, z).edges()
            assert west <= lon < east and south < lat <= north
    assert math.isclose(Tile(0, 0, 0).edges()[3], 85.0511287798, abs_tol=1e-9)
