"""Offline geocoding of free-text report addresses against places already in the database.

No network call is ever made: an address is matched first to a building of the 도로명주소 table
(`app.addresses`), then to an active household's address, a welfare facility's address or name, or a dong name of
the deployment. The interface (`Geocoder`) lets a real geocoder replace it.
"""
import re
import unicodedata
from dataclasses import dataclass
from typing import Protocol

from geoalchemy2 import functions as gf
from sqlalchemy import and_, func, literal, or_, select
from sqlalchemy.orm import Session

from app.addresses.normalise import normalise_address, normalised_sql
from app.addresses.service import match as match_buildings
from app.config import get_settings
from app.facilities.models import Facility
from app.households.models import Household
from app.tracts.models import District, Dong

_HOUSE_NUMBER_END = r"\d호?$"  # a head that names one building or unit ends in its number (12-3, 203호)
MIN_PLACE_NAME = 4  # shorter facility names (e.g. "경로당") match too much free text


def longest_number(normalised: str) -> str | None:
    """The longest run of digits in a normalised address (a cheap, selective LIKE pre-filter), or None."""
    runs = re.findall(r"\d+", normalised)
    return max(runs, key=len) if runs else None


def same_address(column, normalised_values: list[str]):
    """SQL condition: the column normalises to one of the values (a digit LIKE narrows rows first)."""
    digits = {longest_number(v) for v in normalised_values}
    if not normalised_values or None in digits:
        return normalised_sql(column).in_(normalised_values)
    narrow = [column.contains(d, autoescape=True) for d in digits]
    return and_(or_(*narrow), normalised_sql(column).in_(normalised_values))


@dataclass(frozen=True)
class GeocodeResult:
    """Where an address was found: a point (lon, lat) or only a dong; `matched` says what matched."""

    lon: float | None
    lat: float | None
    dong_id: int | None
    precision: str  # building | entrance (the address table) | address (a known address) | place | dong
    matched: str


class Geocoder(Protocol):
    """Turns a free-text address into a place, or None when it cannot."""

    def geocode(self, session: Session, address: str) -> GeocodeResult | None: ...


def _candidates(address: str, district_prefixes: list[str]) -> list[str]:
    """Normalised forms of the address and of its shorter heads (trailing detail like 2층 dropped)."""
    tokens = [t for t in re.split(r"[\s,]+", unicodedata.normalize("NFKC", address)) if t]
    heads = []
    for end in range(len(tokens), 0, -1):
        head = normalise_address(" ".join(tokens[:end]))
        if re.search(_HOUSE_NUMBER_END, head) and head not in heads:
            heads.append(head)
    out = []
    for head in heads:
        out.append(head)
        out.extend(p + head for p in district_prefixes if not head.startswith(p))
    return list(dict.fromkeys(out))


class DatabaseGeocoder:
    """Matches against active households' and facilities' addresses, facility names, then dong names."""

    def geocode(self, session: Session, address: str) -> GeocodeResult | None:
        """The best place for `address` (longest, most precise match first), or None."""
        query = normalise_address(address)
        if not query:
            return None
        codes = get_settings().deployment_district_codes
        prefixes = [normalise_address(n) for n in session.execute(
            select(District.name).where(District.code.in_(codes))).scalars()]
        candidates = _candidates(address, prefixes)
        return (self._by_building(session, address, codes) or self._by_address(session, candidates)
                or self._by_place_name(session, query) or self._by_dong_name(session, query, codes))

    @staticmethod
    def _by_building(session: Session, address: str, codes: list[str]) -> GeocodeResult | None:
        """The address's own building in the 도로명주소 table, when it is one of the deployment's."""
        (found,) = match_buildings(session, [address])
        if found is None or found.legal_dong_code[:5] not in codes:
            return None
        return GeocodeResult(found.lon, found.lat, None, found.placement, found.road_address)

    def _by_address(self, session: Session, candidates: list[str]) -> GeocodeResult | None:
        if not candidates:
            return None
        rank = {c: i for i, c in enumerate(candidates)}
        rows = session.execute(
            select(normalised_sql(Household.address).label("norm"), gf.ST_X(Household.geom),
                   gf.ST_Y(Household.geom), Household.dong_id)
            .where(Household.status == "active", same_address(Household.address, candidates))
            .order_by(Household.id).limit(50)).all()
        rows += session.execute(
            select(normalised_sql(Facility.address).label("norm"), gf.ST_X(Facility.geom), gf.ST_Y(Facility.geom),
                   Facility.dong_id)
            .where(same_address(Facility.address, candidates)).order_by(Facility.id).limit(50)).all()
        if not rows:
            return None
        best = min(rows, key=lambda r: rank[r[0]])
        return GeocodeResult(best[1], best[2], best[3], "address", "주소")

    def _by_place_name(self, session: Session, query: str) -> GeocodeResult | None:
        name = normalised_sql(Facility.name)
        row = session.execute(
            select(Facility.name, gf.ST_X(Facility.geom), gf.ST_Y(Facility.geom), Facility.dong_id)
            .where(func.length(name) >= MIN_PLACE_NAME, func.strpos(literal(query), name) > 0)
            .order_by(func.length(name).desc(), Facility.id).limit(1)).first()
        return GeocodeResult(row[1], row[2], row[3], "place", row[0]) if row else None

    def _by_dong_name(self, session: Session, query: str, codes: list[str]) -> GeocodeResult | None:
        name = normalised_sql(Dong.name)
        row = session.execute(
            select(Dong.id, Dong.name).join(District, District.id == Dong.district_id)
            .where(District.code.in_(codes), func.strpos(literal(query), name) > 0)
            .order_by(func.length(name).desc(), Dong.id).limit(1)).first()
        return GeocodeResult(None, None, row[0], "dong", row[1]) if row else None


default_geocoder: Geocoder = DatabaseGeocoder()
