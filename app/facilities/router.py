"""Facility routes: the map layer, directory search, nearby help for a household, staff edits and CSV import."""
from datetime import date
from typing import Annotated

from fastapi import APIRouter, File, Header, Query, Response, UploadFile
from fastapi.responses import JSONResponse

from app.auth.deps import CurrentUser, require_roles
from app.config import get_settings
from app.deps import BBoxDep, PageDep, RecordId, SessionDep, if_match_version
from app.errors import InvalidInput, PayloadTooLarge
from app.facilities import importer, service
from app.facilities.schemas import (
    FacilityCreate,
    FacilityList,
    FacilityRead,
    FacilityUpdate,
    ImportReport,
    NearestShelter,
    ReferralConfirm,
)
from app.policy.principal import Principal
from app.vocab import FACILITY_CATEGORIES

router = APIRouter(prefix="/api/v1", tags=["facilities"])
GEOJSON = "application/geo+json"
FacilityId = RecordId


class NearbyList(FacilityList):
    household_id: int
    needs: list[str]


@router.get("/layers/facilities", response_class=Response,
            responses={200: {"content": {GEOJSON: {}}, "description": "GeoJSON FeatureCollection"}})
def facilities_layer(principal: CurrentUser, session: SessionDep, bbox: BBoxDep,
                     category: str | None = Query(None, max_length=300,
                                                  description="분류 코드, 쉼표로 여러 개 (생략: 쉼터를 뺀 복지기관)"),
                     open_on: Annotated[date | None, Query(description="이날 운영하는 쉼터만 (YYYY-MM-DD)")] = None):
    """Welfare facilities as points with their category; heat and cold shelters (category heat_shelter,
    cold_shelter) with their capacity and operating period, with `open_on` only those open that day."""
    categories = tuple(c.strip() for c in (category or "").split(",") if c.strip())
    unknown = [c for c in categories if c not in FACILITY_CATEGORIES]
    if unknown:
        raise InvalidInput(f"알 수 없는 기관 분류: {', '.join(unknown)}")
    return Response(service.layer(session, bbox, categories, open_on), media_type=GEOJSON)


@router.get("/facilities", response_model=FacilityList)
def search_facilities(principal: CurrentUser, session: SessionDep, page: PageDep,
                      q: str | None = Query(None, max_length=100, description="기관 이름의 일부 (예: 푸드)"),
                      category: str | None = Query(None, max_length=300, description="분류 코드, 쉼표로 여러 개"),
                      need: str | None = Query(None, max_length=300, description="욕구 코드, 쉼표로 여러 개"),
                      accepting: bool | None = Query(None, description="지금 의뢰를 받는 기관만"),
                      near: str | None = Query(None, max_length=80, description="경도,위도 (WGS84)"),
                      radius_m: float | None = Query(None, description="near에서의 반경 (미터, 최대 50,000)"),
                      unconfirmed: bool | None = Query(None, description="true: 의뢰 가능 여부 확인이 오래된 기관만"),
                      dong_id: str | None = Query(None, max_length=200, description="동 id, 쉼표로 여러 개")):
    """Search the directory by name part, category, need, dong and distance; with `near`, nearest first."""
    f = service.build_filter(q, category, need, accepting, near, radius_m, unconfirmed, dong_id)
    return service.search(session, f, page.limit, page.offset)


@router.get("/households/{household_id}/nearby-facilities", response_model=NearbyList)
def nearby_facilities(principal: CurrentUser, session: SessionDep, page: PageDep,
                      household_id: RecordId,
                      need: str | None = Query(None, max_length=300,
                                               description="생략하면 가구의 열린 욕구, 빈 값이면 모든 기관"),
                      category: str | None = Query(None, max_length=300),
                      accepting: bool | None = None,
                      radius_m: float | None = Query(None, description="반경 (미터, 최대 50,000)")):
    """Facilities nearest to a household in the caller's area, for its open needs unless `need` is given."""
    service.check_radius(radius_m)
    f = service.build_filter(None, category, need, accepting, None, None)
    f.radius_m = radius_m
    return service.nearby_for_household(session, principal, household_id, f, need is None, page.limit,
                                        page.offset)


@router.get("/households/{household_id}/nearest-shelter", response_model=NearestShelter)
def nearest_shelter(principal: CurrentUser, session: SessionDep, household_id: RecordId,
                    on: Annotated[date | None, Query(description="기준일 (YYYY-MM-DD, 생략하면 오늘)")] = None):
    """The nearest heat shelter (in summer) or cold shelter (in winter) open on the day, with its distance."""
    return service.nearest_shelter(session, principal, household_id, on)


@router.post("/facilities/import", response_model=ImportReport,
             responses={422: {"model": ImportReport, "description": "오류가 있어 아무것도 가져오지 않음"}})
def import_facilities(principal: Annotated[Principal, require_roles("admin", "district_staff")],
                      session: SessionDep,
                      file: Annotated[UploadFile, File(description="한글 제목 행이 있는 CSV")],
                      dry_run: bool = Query(False, description="검사만 하고 저장하지 않기"),
                      source: str | None = Query(None, max_length=120),
                      category: str | None = Query(None, max_length=40,
                                                   description="분류 열이 없는 파일에서 모든 행의 분류 (무더위쉼터·"
                                                               "한파쉼터 파일: heat_shelter, cold_shelter)")):
    """Import a facility CSV: every row or none; answers the validation report (422 when refused)."""
    limit = get_settings().max_body_bytes
    data = file.file.read(limit + 1)
    if len(data) > limit:
        raise PayloadTooLarge(f"파일이 너무 큽니다 (최대 {limit // (1024 * 1024)}MB).")
    report = importer.import_csv(session, data, file.filename or "upload.csv", source=source,
                                 default_category=category, dry_run=dry_run)
    return JSONResponse(report, status_code=200 if report["ok"] else 422)


@router.get("/facilities/{facility_id}", response_model=FacilityRead)
def get_facility(principal: CurrentUser, session: SessionDep, facility_id: FacilityId):
    """One facility with its referral status and the date it was last confirmed."""
    return service.get(session, facility_id)


@router.post("/facilities", response_model=FacilityRead, status_code=201)
def create_facility(body: FacilityCreate, principal: CurrentUser, session: SessionDep):
    """Staff add a facility; the server finds its dong from the point."""
    return service.create(session, principal, body)


@router.patch("/facilities/{facility_id}", response_model=FacilityRead)
def update_facility(facility_id: FacilityId, body: FacilityUpdate, principal: CurrentUser, session: SessionDep,
                    if_match: Annotated[str | None, Header()] = None):
    """Staff edit with optimistic locking: send the version you read (body or If-Match); stale → 409."""
    return service.update(session, principal, facility_id, body, if_match_version(if_match))


@router.post("/facilities/{facility_id}/confirm-referrals", response_model=FacilityRead)
def confirm_referrals(facility_id: FacilityId, body: ReferralConfirm, principal: CurrentUser, session: SessionDep,
                      if_match: Annotated[str | None, Header()] = None):
    """Record today whether the facility takes referrals now (its `referrals_confirmed_on` becomes today)."""
    return service.confirm_referrals(session, principal, facility_id, body, if_match_version(if_match))
