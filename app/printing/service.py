"""Gathering a printout from PostGIS inside the caller's area, and recording it in the access records."""
from collections.abc import Sequence

import numpy as np
import shapely
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.access import service as access
from app.auth.models import User
from app.config import get_settings
from app.errors import Forbidden, NotFound
from app.geo.crs import KOREA_CENTRAL, WGS84, to_metric, transformer
from app.households.models import Household
from app.households.service import HouseholdFilter, filter_conditions, to_read
from app.policy.principal import Principal
from app.printing.offline_map import render_html
from app.printing.pdf import render_pdf
from app.printing.route import plan_round
from app.printing.schemas import Outline, PrintJob, PrintOptions, Sheet, Stop
from app.tracts.models import District, Dong, Tract
from app.vocab import ROLES

NO_PRINT = "출력 권한이 없습니다. 동 담당 이상만 현장 지도를 출력할 수 있습니다."
CONTEXT_MARGIN_DEG = 0.006  # neighbours fetched this far (and at least a tract's size) around the area


def _metric(geom):
    """A WGS84 shapely geometry in EPSG:5186 metres."""
    t = transformer(WGS84, KOREA_CENTRAL)
    return shapely.transform(geom, lambda c: np.column_stack(t.transform(c[:, 0], c[:, 1])))


def _in_deployment():
    return District.code.in_(get_settings().deployment_district_codes)


def _require_staff(principal: Principal) -> None:
    """403 for a place the caller sees but may not print (a 통장's own tract); outside the area is 404 first."""
    if not principal.is_staff:
        raise Forbidden(NO_PRINT)


def _place_visible(principal: Principal, dong_id: int, tract_id: int | None = None) -> bool:
    if principal.is_staff:
        return principal.may_see_dong(dong_id)
    if principal.role == "tongjang":
        return tract_id in principal.tract_ids if tract_id is not None else dong_id in principal.dong_ids
    return False


def dong_row(session: Session, dong_id: int):
    """A dong of the deployment with its round start (the 주민센터, else a point inside it), or None."""
    start = func.coalesce(Dong.office_geom, func.ST_PointOnSurface(Dong.geom))
    return session.execute(
        select(Dong.id, Dong.name, Dong.office_geom.is_not(None).label("has_office"),
               func.ST_X(start).label("lon"), func.ST_Y(start).label("lat"))
        .join(District, District.id == Dong.district_id).where(Dong.id == dong_id, _in_deployment())
    ).first()


def _tract_rows(session: Session, condition) -> list:
    return session.execute(
        select(Tract.id, Tract.dong_id, Tract.number, Tract.name, func.ST_AsBinary(Tract.geom).label("wkb"))
        .join(Dong, Dong.id == Tract.dong_id).join(District, District.id == Dong.district_id)
        .where(condition, _in_deployment()).order_by(Tract.number)
    ).all()


def _printed_by(session: Session, principal: Principal) -> str:
    display = session.execute(select(User.display_name).where(User.id == principal.user_id)).scalar()
    role = ROLES.get(principal.role, principal.role)
    return f"{principal.username} ({display or role})"


def _households(session: Session, principal: Principal, tract_ids: Sequence[int], options: PrintOptions) -> list:
    same_filter = HouseholdFilter(risk=options.risk, need=options.need, overdue=options.overdue)
    conds = [Household.tract_id.in_(list(tract_ids)), *filter_conditions(principal, same_filter)]
    return session.execute(
        select(Household, func.ST_X(Household.geom).label("lon"), func.ST_Y(Household.geom).label("lat"),
               Dong.name.label("dong_name"), Tract.name.label("tract_name"))
        .join(Dong, Dong.id == Household.dong_id).join(Tract, Tract.id == Household.tract_id)
        .where(*conds).order_by(Household.tract_id, Household.id)
    ).all()


def _extent(geom) -> float:
    west, south, east, north = geom.bounds
    return max(east - west, north - south)


def _overlaps(a, b) -> bool:
    return a[0] <= b[2] and b[0] <= a[2] and a[1] <= b[3] and b[1] <= a[3]


def _context(session: Session, bounds: tuple[float, float, float, float], margin: float) -> tuple[list, list]:
    """Tracts and dongs (any dong of the deployment) near a lon/lat box, for orientation."""
    west, south, east, north = bounds
    box = func.ST_MakeEnvelope(west - margin, south - margin, east + margin, north + margin, 4326)
    tracts = session.execute(
        select(Tract.id, Tract.dong_id, Tract.number, func.ST_AsBinary(Tract.geom).label("wkb"))
        .where(Tract.geom.intersects(box))
    ).all()
    dongs = session.execute(
        select(Dong.id, Dong.name, func.ST_AsBinary(Dong.geom).label("wkb"))
        .join(District, District.id == Dong.district_id).where(Dong.geom.intersects(box), _in_deployment())
    ).all()
    return tracts, dongs


def round_start(dong, start: tuple[float, float] | None) -> tuple[tuple[float, float], str]:
    """Where a round starts (lon, lat) and its label: the point asked for, else the dong's 주민센터 (or its centre
    when the office is not on record)."""
    if start:
        return start, "출발점(지정)"
    return (dong.lon, dong.lat), (f"{dong.name} 주민센터" if dong.has_office else f"{dong.name} 중심")


def _sheets(session: Session, principal: Principal, dong, tracts: list, options: PrintOptions) -> list[Sheet]:
    """One sheet per tract with its households in walking order and its surroundings."""
    if not tracts:
        return []
    start_lonlat, start_label = round_start(dong, options.start)
    start = to_metric(*start_lonlat)
    by_tract: dict[int, list] = {t.id: [] for t in tracts}
    for row in _households(session, principal, list(by_tract), options):
        by_tract[row[0].tract_id].append(row)

    lonlat_geoms = {t.id: shapely.from_wkb(t.wkb) for t in tracts}
    # A map frame shows at most about one tract size around its tract (the page's aspect ratio).
    margin = max(CONTEXT_MARGIN_DEG, *(_extent(g) for g in lonlat_geoms.values()))
    union_bounds = shapely.total_bounds(list(lonlat_geoms.values()))
    near_tracts, near_dongs = _context(session, tuple(union_bounds), margin)
    dong_names = {d.id: d.name for d in near_dongs}

    def label(t) -> str:  # neighbours in another dong carry its name
        return f"{t.number}통" if t.dong_id == dong.id else f"{dong_names.get(t.dong_id, '')} {t.number}통".strip()

    tract_outlines = [Outline(label(t), _metric(shapely.from_wkb(t.wkb)), t.dong_id == dong.id) for t in near_tracts]
    tract_ids = [t.id for t in near_tracts]
    dong_outlines = [Outline(d.name, _metric(shapely.from_wkb(d.wkb)), d.id == dong.id) for d in near_dongs]

    sheets = []
    for t in tracts:
        rows = by_tract[t.id]
        households = [to_read(r, principal) for r in rows]
        plan = plan_round(start_lonlat, households, options.urgent_first)
        stops = [Stop(n, households[i], *plan.points[i]) for n, i in enumerate(plan.order, start=1)]
        metric = _metric(lonlat_geoms[t.id])
        grow = _extent(metric)
        minx, miny, maxx, maxy = metric.bounds
        around = (minx - grow, miny - grow, maxx + grow, maxy + grow)
        sheets.append(Sheet(
            tract_id=t.id, number=t.number, name=t.name, dong_name=dong.name, geom=metric,
            lonlat_geom=lonlat_geoms[t.id], stops=stops, start=start, start_lonlat=start_lonlat,
            start_label=start_label, route_m=plan.route_m,
            tracts=[o for o, tid in zip(tract_outlines, tract_ids, strict=True)
                    if tid != t.id and _overlaps(o.geom.bounds, around)],
            dongs=[o for o in dong_outlines if _overlaps(o.geom.bounds, around)],
        ))
    return sheets


def tract_job(session: Session, principal: Principal, tract_id: int, options: PrintOptions) -> PrintJob:
    """The field round of one tract, or 404 outside the caller's area."""
    tracts = _tract_rows(session, Tract.id == tract_id)
    if not tracts or not _place_visible(principal, tracts[0].dong_id, tract_id):
        raise NotFound("통을 찾을 수 없습니다.")
    _require_staff(principal)
    dong = dong_row(session, tracts[0].dong_id)
    sheets = _sheets(session, principal, dong, tracts, options)
    return PrintJob(title=tracts[0].name, dong_name=dong.name, sheets=sheets, options=options,
                    printed_at=get_settings().now(), printed_by=_printed_by(session, principal))


def dong_job(session: Session, principal: Principal, dong_id: int, options: PrintOptions) -> PrintJob:
    """Every tract of a dong in tract order (an atlas), or 404 outside the caller's area."""
    dong = dong_row(session, dong_id)
    if dong is None or not _place_visible(principal, dong_id):
        raise NotFound("동을 찾을 수 없습니다.")
    _require_staff(principal)
    tracts = _tract_rows(session, Tract.dong_id == dong_id)
    sheets = _sheets(session, principal, dong, tracts, options)
    return PrintJob(title=dong.name, dong_name=dong.name, sheets=sheets, options=options,
                    printed_at=get_settings().now(), printed_by=_printed_by(session, principal))


def record_printout(session: Session, principal: Principal, job: PrintJob, resource: str) -> None:
    """Write the printout with every household id it contains to the access records."""
    access.record(session, principal, "print", resource, job.household_ids, job.options.purpose)


def tract_pdf(session: Session, principal: Principal, tract_id: int, options: PrintOptions,
              resource: str) -> tuple[bytes, str]:
    """One tract's map and list as PDF bytes and a file title; recorded as a printout."""
    job = tract_job(session, principal, tract_id, options)
    body = render_pdf(job)
    record_printout(session, principal, job, resource)
    return body, job.title


def dong_pdf(session: Session, principal: Principal, dong_id: int, options: PrintOptions,
             resource: str) -> tuple[bytes, str]:
    """A dong's atlas (cover page, then every tract) as PDF bytes; recorded as a printout."""
    job = dong_job(session, principal, dong_id, options)
    body = render_pdf(job)
    record_printout(session, principal, job, resource)
    return body, job.title


def tract_html(session: Session, principal: Principal, tract_id: int, options: PrintOptions,
               resource: str) -> tuple[str, str]:
    """One tract's round as a self-contained offline HTML map; recorded as a printout."""
    job = tract_job(session, principal, tract_id, options)
    body = render_html(job)
    record_printout(session, principal, job, resource)
    return body, job.title
