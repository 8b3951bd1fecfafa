"""Districts, dongs and synthetic tracts from the boundary files in seed/data/."""
import json
import zlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from geoalchemy2.shape import from_shape
from shapely.geometry import MultiPolygon, shape
from shapely.geometry.base import BaseGeometry
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from app.geo.partition import as_multipolygon, partition
from app.tracts.models import District, Dong, Tract
from seed.bulk import insert_returning_ids, insert_rows

DATA = Path(__file__).parent / "data"
OUTLINE_FILE = "seodaemun_eunpyeong_gu_outline.geojson"
DONG_FILES = {"11410": "seodaemun_adm_dong.geojson", "11380": "eunpyeong_adm_dong.geojson"}
ALIASES = {"seodaemun": "11410", "eunpyeong": "11380"}  # names accepted by `python -m seed --district`


@dataclass(frozen=True)
class DongSource:
    code: str  # adm_cd2, 행정기관코드
    stat_code: str  # adm_cd, 통계청 code
    name: str
    geom: MultiPolygon


def district_code(name_or_code: str) -> str:
    """'eunpyeong' → '11380'; a 5-digit code passes through."""
    code = ALIASES.get(name_or_code.lower(), name_or_code)
    if code not in DONG_FILES:
        raise ValueError(f"알 수 없는 구입니다: {name_or_code} "
                         f"(가능: {', '.join(ALIASES)} 또는 {', '.join(DONG_FILES)})")
    return code


def _multi(geom: BaseGeometry) -> MultiPolygon:
    return geom if isinstance(geom, MultiPolygon) else as_multipolygon(geom)


@lru_cache
def district_outline(code: str) -> tuple[str, MultiPolygon]:
    """The district's name and outline."""
    features = json.loads((DATA / OUTLINE_FILE).read_text(encoding="utf-8"))["features"]
    for f in features:
        if f["properties"]["sgg"] == code:
            return f["properties"]["sggnm"], _multi(shape(f["geometry"]))
    raise ValueError(f"구 경계가 없습니다: {code}")


@lru_cache
def dong_sources(code: str) -> tuple[DongSource, ...]:
    """The district's dongs from the boundary file, in 행정기관코드 order."""
    features = json.loads((DATA / DONG_FILES[code]).read_text(encoding="utf-8"))["features"]
    dongs = [
        DongSource(code=p["adm_cd2"], stat_code=p["adm_cd"], name=p["adm_nm"].split()[-1],
                   geom=_multi(shape(f["geometry"])))
        for f in features if (p := f["properties"])["sgg"] == code
    ]
    return tuple(sorted(dongs, key=lambda d: d.code))


def tract_count(dong_code: str) -> int:
    """How many 통 a dong gets: 20..25, fixed by its code."""
    return 20 + zlib.crc32(dong_code.encode()) % 6


@lru_cache
def tract_shapes(dong_code: str, district: str) -> tuple[MultiPolygon, ...]:
    """The dong's synthetic tracts, numbered from 1 in the order returned."""
    dong = next(d for d in dong_sources(district) if d.code == dong_code)
    return tuple(partition(dong.geom, tract_count(dong_code)))


def load_district(session: Session, code: str) -> bool:
    """Insert one district with its dongs and tracts unless its code exists; True when inserted.

    Runs inside the caller's transaction (the caller commits).
    """
    code = district_code(code)
    if session.scalar(select(District.id).where(District.code == code)) is not None:
        return False
    name, outline = district_outline(code)
    district_id = session.scalar(
        insert(District).values(code=code, name=name, geom=from_shape(outline, srid=4326)).returning(District.id))
    sources = dong_sources(code)
    dong_rows = [
        {"district_id": district_id, "code": d.code, "stat_code": d.stat_code, "name": d.name,
         "geom": from_shape(d.geom, srid=4326),
         # The 동 주민센터 stands in for the office: a fixed point surely inside the dong.
         "office_geom": from_shape(d.geom.representative_point(), srid=4326)}
        for d in sources
    ]
    dong_ids = insert_returning_ids(session, Dong, dong_rows)
    tract_rows = []
    for dong_id, d in zip(dong_ids, sources, strict=False):
        for number, geom in enumerate(tract_shapes(d.code, code), start=1):
            tract_rows.append({"dong_id": dong_id, "number": number, "name": f"{d.name} {number}통",
                               "geom": from_shape(geom, srid=4326)})
    insert_rows(session, Tract, tract_rows)
    return True
