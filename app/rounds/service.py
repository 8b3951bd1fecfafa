"""A tract's round for the phone: its active households in the printout's walking order, recorded as read."""
import json

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.access import service as access
from app.config import get_settings
from app.households.models import Household
from app.households.service import HouseholdFilter, filter_conditions, read_query, require_staff, to_read
from app.policy.principal import Principal
from app.printing.route import plan_round
from app.printing.service import dong_row, round_start
from app.tracts import service as places
from app.tracts.models import Dong, Tract

OFFLINE_PURPOSE = "오프라인 순회 받기"
COORD_DIGITS = 7


def _tract(session: Session, tract_id: int):
    return session.execute(
        select(Tract.id, Tract.name, Tract.number, Tract.dong_id, Dong.name.label("dong_name"),
               func.ST_AsGeoJSON(Tract.geom, COORD_DIGITS).label("geometry"))
        .join(Dong, Dong.id == Tract.dong_id).where(Tract.id == tract_id)
    ).one()


def tract_round(session: Session, principal: Principal, tract_id: int, start: tuple[float, float] | None,
                urgent_first: bool, offline: bool, resource: str) -> dict:
    """The round of one tract from `start` (default: the dong's 주민센터, as printed); 404 outside the caller's
    area. One access record: `list`, or `export` with its purpose when the phone keeps it offline."""
    places.ensure_tract_visible(session, principal, tract_id)
    require_staff(principal)
    tract = _tract(session, tract_id)
    start_lonlat, start_label = round_start(dong_row(session, tract.dong_id), start)
    conds = [Household.tract_id == tract_id, *filter_conditions(principal, HouseholdFilter())]
    rows = session.execute(read_query(principal).where(*conds).order_by(Household.id)).all()
    households = [to_read(r, principal) for r in rows]
    plan = plan_round(start_lonlat, households, urgent_first)
    stops = [households[i] | {"order": n, "distance_m": round(leg, 1), "open_needs": households[i]["needs"]}
             for n, (i, leg) in enumerate(zip(plan.order, plan.legs_m(), strict=True), start=1)]
    access.record(session, principal, "export" if offline else "list", resource, [h["id"] for h in households],
                  OFFLINE_PURPOSE if offline else None)
    return {
        "tract": {"id": tract.id, "name": tract.name, "number": tract.number, "dong_id": tract.dong_id,
                  "dong_name": tract.dong_name, "geometry": json.loads(tract.geometry)},
        "start": {"lon": round(start_lonlat[0], COORD_DIGITS), "lat": round(start_lonlat[1], COORD_DIGITS),
                  "label": start_label},
        "route_m": round(plan.route_m, 1),
        "urgent_first": urgent_first,
        "offline": offline,
        "generated_at": get_settings().now(),
        "households": stops,
    }
