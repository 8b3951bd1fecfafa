"""The permission matrix as data: role × operation × scope. Whatever is not listed here is refused.

A route names one operation (ROUTES); an operation lists, per role, the scopes in which that role may use
it (a role not listed gets 403). The scope of a request is the relation between the caller and the record
its path or `dong_id`/`tract_id`/`household_id` query addresses: in their own dong (own tract or own report
for a 통장), in another dong, or a household referred to their agency. A record outside every granted
scope answers 404 with an empty body, exactly like a missing one.
"""
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from app.vocab import ROLES as VOCAB_ROLES

OWN = "own_dong"  # own dong(s); a 통장's own tract; a report the caller filed
OTHER = "other_dong"  # any other dong of the district
REFERRED = "referred"  # a household with a service link to the caller's agency
SCOPES = (OWN, OTHER, REFERRED)
EVERYWHERE = frozenset(SCOPES)
OWN_ONLY = frozenset({OWN})
REFERRED_ONLY = frozenset({REFERRED})

ROLES = tuple(VOCAB_ROLES)  # the order of the matrix table
SCOPE_LABELS = {OWN: "자기 동", OTHER: "다른 동", REFERRED: "연계받은 가구"}

# Path and query parameters that address a record whose scope is checked before the route runs.
RECORD_PARAMS = {"household_id": "household", "report_id": "report", "tract_id": "tract", "dong_id": "dong"}


@dataclass(frozen=True)
class Operation:
    """One thing a caller can do, who may do it where, and whether its answer carries personal data."""

    name: str
    label: str  # Korean, for the matrix table and error messages
    grants: Mapping[str, frozenset[str]] = field(default_factory=dict)
    personal: bool = False  # the answer holds personal data: an access record is written for every 2xx
    action: str | None = None  # access-record action (read, list, create, update, print, export, unmask, ...)
    params: Mapping[str, str] = field(default_factory=dict)  # extra path params → record kind

    def allows_role(self, role: str) -> bool:
        return bool(self.grants.get(role))

    def scopes_for(self, role: str) -> frozenset[str]:
        return self.grants.get(role, frozenset())


def _staff(dong: frozenset[str] = OWN_ONLY) -> dict[str, frozenset[str]]:
    return {"admin": EVERYWHERE, "district_staff": EVERYWHERE, "dong_staff": dong}


def _managers() -> dict[str, frozenset[str]]:
    """Admins manage every account; district staff those of their own district (never an admin's)."""
    return {"admin": EVERYWHERE, "district_staff": EVERYWHERE}


def _all_roles() -> dict[str, frozenset[str]]:
    return {role: EVERYWHERE for role in ROLES}


_OPS = [
    Operation("auth.me", "내 계정 정보", _all_roles()),
    Operation("auth.logout", "로그아웃", _all_roles()),
    Operation("ui.config", "지도 화면 설정", _all_roles()),
    Operation("ui.vocab", "코드·용어 목록", _all_roles()),
    Operation("places.dongs", "행정동 목록·경계", _all_roles()),
    Operation("places.tracts", "통 목록(가구 수 포함)", {**_staff(), "tongjang": OWN_ONLY}),
    Operation("layers.tracts", "통 레이어(위험도 집계)", {**_staff(), "tongjang": OWN_ONLY}),
    Operation("layers.households", "가구 점 레이어", _staff(), personal=True, action="list"),
    Operation("tiles.households", "가구 지도 타일(점·묶음)", _staff(), personal=True, action="list"),
    Operation("tiles.tracts", "통 지도 타일(위험도 집계)", {**_staff(), "tongjang": OWN_ONLY}),
    Operation("facilities.read", "복지기관 조회·레이어", _all_roles()),
    Operation("facilities.manage", "복지기관 등록·수정", _staff(EVERYWHERE)),
    Operation("facilities.import", "복지기관 CSV 가져오기", {"admin": EVERYWHERE, "district_staff": EVERYWHERE}),
    Operation("facilities.confirm", "의뢰 가능 여부 확인(자기 기관)", {**_staff(EVERYWHERE), "partner": EVERYWHERE}),
    Operation("households.list", "가구 목록", _staff(), personal=True, action="list"),
    Operation("households.create", "가구 등록", _staff(), personal=True, action="create"),
    Operation("households.read", "가구 상세(이름·전화 가림)", {**_staff(), "partner": REFERRED_ONLY},
              personal=True, action="read"),
    Operation("households.unmask", "실명·전화 열람(사유 기록)", _staff(), personal=True, action="unmask"),
    Operation("households.update", "가구 수정·종결", _staff(), personal=True, action="update"),
    Operation("households.lookup_rrn", "주민등록번호로 가구 찾기", _staff(), personal=True, action="lookup"),
    Operation("households.nearby", "가구 주변 복지기관", _staff()),
    Operation("visits.list", "방문 기록 조회", _staff(), personal=True, action="read"),
    Operation("visits.create", "방문 기록 등록", _staff(), personal=True, action="create"),
    Operation("services.list", "서비스 연계 조회", {**_staff(), "partner": REFERRED_ONLY}, personal=True,
              action="read"),
    Operation("services.create", "서비스 연계 등록", _staff(), personal=True, action="create"),
    Operation("referrals.list", "기관별 의뢰 목록", {**_staff(), "partner": REFERRED_ONLY}, personal=True,
              action="list"),
    Operation("services.update", "서비스 제공 결과 기록", {**_staff(), "partner": REFERRED_ONLY}, personal=True,
              action="update"),
    Operation("stats.read", "통계", _staff()),
    Operation("reports.create", "사각지대 신고 접수", _all_roles(), personal=True, action="create"),
    Operation("reports.list", "신고 목록", {**_staff(), "tongjang": OWN_ONLY, "partner": OWN_ONLY}, personal=True,
              action="list"),
    Operation("reports.read", "신고 상세", {**_staff(), "tongjang": OWN_ONLY, "partner": OWN_ONLY}, personal=True,
              action="read"),
    Operation("reports.triage", "신고 처리(가구 등록·종결·중복)", _staff(), personal=True, action="update"),
    Operation("print", "출력(PDF·오프라인 지도)", _staff(), personal=True, action="print"),
    Operation("rounds.read", "오늘의 순회(통별 방문 순서·오프라인 받기)", _staff(), personal=True, action="list"),
    Operation("export", "내려받기(엑셀·CSV)", _staff(), personal=True, action="export"),
    Operation("imports.read", "가져온 명단 보기(미리보기·행·결과)", _staff(), personal=True, action="list"),
    Operation("imports.manage", "명단 가져오기(올리기·연결 고치기·반영·취소)", _staff(), personal=True,
              action="create"),
    Operation("discovery.read", "발굴 차수별 진행 현황", _staff()),
    Operation("discovery.record", "발굴 대상자 조사 결과 기록", _staff(), personal=True, action="update"),
    Operation("placement.read", "위치 지정 대기 목록", _staff(), personal=True, action="list"),
    Operation("placement.place", "위치 지정 대기 행을 지도에 두기", _staff(), personal=True, action="create"),
    Operation("registry.read", "주민등록 변동 확인함 보기", _staff(), personal=True, action="list"),
    Operation("registry.resolve", "주민등록 변동 반영·반영 안 함", _staff(), personal=True, action="update"),
    Operation("docs", "API 문서(운영 환경은 관리자만)", {"admin": EVERYWHERE}),
    Operation("admin.users.read", "계정 목록·상세", _managers()),
    Operation("admin.users.manage", "계정 만들기·역할·담당 구역·사용 중지·잠금 해제·비밀번호 재설정", _managers()),
    Operation("admin.permission_events", "권한 변경 이력", _managers()),
    Operation("admin.access_review", "개인정보 접근 기록 점검(월별)", _managers(), personal=True, action="read"),
    Operation("admin.access_review_export", "개인정보 접근 기록 점검 내보내기", _managers(), personal=True,
              action="export"),
]
OPERATIONS: dict[str, Operation] = {op.name: op for op in _OPS}

# (method, path template) → operation name, for every route under /api/v1 (and the gated docs).
ROUTES: dict[tuple[str, str], str] = {
    ("GET", "/api/v1/auth/me"): "auth.me",
    ("POST", "/api/v1/auth/logout"): "auth.logout",
    ("GET", "/api/v1/ui-config"): "ui.config",
    ("GET", "/api/v1/vocab"): "ui.vocab",
    ("GET", "/api/v1/dongs"): "places.dongs",
    ("GET", "/api/v1/layers/dongs"): "places.dongs",
    ("GET", "/api/v1/tracts"): "places.tracts",
    ("GET", "/api/v1/layers/tracts"): "layers.tracts",
    ("GET", "/api/v1/layers/households"): "layers.households",
    ("GET", "/api/v1/layers/facilities"): "facilities.read",
    ("GET", "/api/v1/tiles/households/{z}/{x}/{y}.mvt"): "tiles.households",
    ("GET", "/api/v1/tiles/tracts/{z}/{x}/{y}.mvt"): "tiles.tracts",
    ("GET", "/api/v1/facilities"): "facilities.read",
    ("GET", "/api/v1/facilities/{facility_id}"): "facilities.read",
    ("POST", "/api/v1/facilities"): "facilities.manage",
    ("PATCH", "/api/v1/facilities/{facility_id}"): "facilities.manage",
    ("POST", "/api/v1/facilities/import"): "facilities.import",
    ("POST", "/api/v1/facilities/{facility_id}/confirm-referrals"): "facilities.confirm",
    ("GET", "/api/v1/households"): "households.list",
    ("POST", "/api/v1/households"): "households.create",
    ("POST", "/api/v1/households/lookup-rrn"): "households.lookup_rrn",
    ("GET", "/api/v1/households/{household_id}"): "households.read",
    ("POST", "/api/v1/households/{household_id}/unmask"): "households.unmask",
    ("PATCH", "/api/v1/households/{household_id}"): "households.update",
    ("POST", "/api/v1/households/{household_id}/close"): "households.update",
    ("GET", "/api/v1/households/{household_id}/nearby-facilities"): "households.nearby",
    ("GET", "/api/v1/households/{household_id}/nearest-shelter"): "households.nearby",
    ("GET", "/api/v1/households/{household_id}/visits"): "visits.list",
    ("POST", "/api/v1/households/{household_id}/visits"): "visits.create",
    ("GET", "/api/v1/households/{household_id}/services"): "services.list",
    ("POST", "/api/v1/households/{household_id}/services"): "services.create",
    ("PATCH", "/api/v1/households/{household_id}/services/{link_id}"): "services.update",
    ("GET", "/api/v1/referrals"): "referrals.list",
    ("GET", "/api/v1/stats"): "stats.read",
    ("GET", "/api/v1/stats/quality"): "stats.read",
    ("POST", "/api/v1/reports"): "reports.create",
    ("GET", "/api/v1/reports"): "reports.list",
    ("GET", "/api/v1/reports/{report_id}"): "reports.read",
    ("GET", "/api/v1/reports/{report_id}/photos/{photo_id}"): "reports.read",
    ("POST", "/api/v1/reports/{report_id}/convert"): "reports.triage",
    ("POST", "/api/v1/reports/{report_id}/dismiss"): "reports.triage",
    ("POST", "/api/v1/reports/{report_id}/mark-duplicate"): "reports.triage",
    ("POST", "/api/v1/reports/{report_id}/review"): "reports.triage",
    ("GET", "/api/v1/print/tracts/{tract_id}.pdf"): "print",
    ("GET", "/api/v1/print/tracts/{tract_id}.html"): "print",
    ("GET", "/api/v1/print/dongs/{dong_id}.pdf"): "print",
    ("GET", "/api/v1/rounds/tracts/{tract_id}"): "rounds.read",
    ("GET", "/api/v1/exports/households.{fmt}"): "export",
    ("POST", "/api/v1/imports"): "imports.manage",
    ("GET", "/api/v1/imports"): "imports.read",
    ("GET", "/api/v1/imports/{import_id}"): "imports.read",
    ("POST", "/api/v1/imports/{import_id}/mapping"): "imports.manage",
    ("GET", "/api/v1/imports/{import_id}/rows"): "imports.read",
    ("POST", "/api/v1/imports/{import_id}/commit"): "imports.manage",
    ("DELETE", "/api/v1/imports/{import_id}"): "imports.manage",
    ("GET", "/api/v1/exports/discovery-results.xlsx"): "export",
    ("GET", "/api/v1/discovery/rounds"): "discovery.read",
    ("POST", "/api/v1/households/{household_id}/discovery"): "discovery.record",
    ("GET", "/api/v1/placement-queue"): "placement.read",
    ("POST", "/api/v1/placement-queue/{row_id}/place"): "placement.place",
    ("GET", "/api/v1/registry-changes"): "registry.read",
    ("POST", "/api/v1/registry-changes/{change_id}/apply"): "registry.resolve",
    ("POST", "/api/v1/registry-changes/{change_id}/dismiss"): "registry.resolve",
    ("GET", "/api/v1/exports/visits.{fmt}"): "export",
    ("GET", "/api/v1/admin/users"): "admin.users.read",
    ("POST", "/api/v1/admin/users"): "admin.users.manage",
    ("GET", "/api/v1/admin/users/{user_id}"): "admin.users.read",
    ("PATCH", "/api/v1/admin/users/{user_id}"): "admin.users.manage",
    ("POST", "/api/v1/admin/users/{user_id}/unlock"): "admin.users.manage",
    ("POST", "/api/v1/admin/users/{user_id}/password"): "admin.users.manage",
    ("GET", "/api/v1/admin/permission-events"): "admin.permission_events",
    ("GET", "/api/v1/admin/access-review"): "admin.access_review",
    ("GET", "/api/v1/admin/access-review.csv"): "admin.access_review_export",
    ("GET", "/openapi.json"): "docs",
    ("GET", "/docs"): "docs",
    ("GET", "/redoc"): "docs",
}

# Routes outside /api/v1 that carry no personal data or authenticate by their own keys.
PUBLIC_ROUTES: dict[tuple[str, str], str] = {
    ("POST", "/api/v1/auth/token"): "로그인 (아이디·비밀번호)",
    ("GET", "/healthz"): "상태 확인",
    ("GET", "/"): "지도 화면 (데이터는 /api/v1에서 로그인 후)",
    ("GET", "/stats"): "통계 화면 (지도 화면과 같은 페이지, 데이터는 /api/v1에서 로그인 후)",
    ("GET", "/report"): "신고 화면 (데이터는 /api/v1에서 로그인 후)",
    ("GET", "/admin"): "관리 화면 (데이터는 /api/v1에서 로그인 후, 관리자·구청 담당만)",
    ("GET", "/imports"): "가져오기 화면 (데이터는 /api/v1에서 로그인 후, 담당 공무원만)",
    ("GET", "/vocab.js"): "화면의 코드·용어 목록 (개인정보 없음)",
    ("GET", "/sw.js"): "서비스 워커 (앱 파일만 보관, /api/ 응답은 보관하지 않음)",
    ("GET", "/manifest.webmanifest"): "웹 앱 매니페스트 (홈 화면에 설치)",
    ("POST", "/integrations/kakao/skill"): "카카오 챗봇 웹훅 (설정의 키로 인증)",
    ("GET", "/open311/v2/discovery.{fmt}"): "Open311 안내 (공개)",
    ("GET", "/open311/v2/services.{fmt}"): "Open311 서비스 목록 (공개)",
    ("GET", "/open311/v2/services/{service_code}.{fmt}"): "Open311 서비스 정의 (공개)",
    ("GET", "/open311/v2/requests.{fmt}"): "Open311 신고 목록 (api_key, 개인정보 없음)",
    ("POST", "/open311/v2/requests.{fmt}"): "Open311 신고 접수 (api_key)",
    ("GET", "/open311/v2/requests/{service_request_id}.{fmt}"): "Open311 신고 상태 (api_key, 개인정보 없음)",
    ("GET", "/open311/v2/tokens/{token}.{fmt}"): "Open311 토큰 확인 (api_key)",
}
PUBLIC_MOUNTS = ("/vendor", "/static", "/ui")  # front-end files only


def operation_for(method: str, path: str) -> Operation | None:
    """The operation a route performs, or None (which means: refused)."""
    name = ROUTES.get((method.upper(), path))
    return OPERATIONS.get(name) if name else None


def record_params(op: Operation) -> dict[str, str]:
    """Parameter name → record kind whose scope the gate checks for this operation."""
    return {**RECORD_PARAMS, **op.params}


def iter_routes(app) -> Iterator[tuple[str, str, object]]:
    """(method, path, route) for every HTTP route of the app, including those of included routers."""
    try:
        from fastapi.routing import iter_route_contexts
    except ImportError:  # older FastAPI keeps included routes flat in app.routes
        contexts = app.routes
    else:
        contexts = iter_route_contexts(app.routes)
    for ctx in contexts:
        route = getattr(ctx, "original_route", ctx)
        methods = getattr(ctx, "methods", None) or getattr(route, "methods", None)
        path = getattr(ctx, "path", None) or getattr(route, "path", None)
        if not methods:
            yield "MOUNT", path, route
            continue
        for method in sorted(set(methods) - {"HEAD", "OPTIONS"}):
            yield method, path, route


def matrix_markdown() -> str:
    """The matrix as a markdown table (roles across, operations down, allowed scopes in each cell)."""
    own = {"tongjang": "자기 동·통·자기 신고", "partner": "자기 신고"}
    head = "| 작업 | " + " | ".join(ROLES) + " |\n|---|" + "---|" * len(ROLES) + "\n"
    rows = []
    for op in _OPS:
        cells = []
        for role in ROLES:
            scopes = op.scopes_for(role)
            short = {OWN: own.get(role, "자기 동"), OTHER: "다른 동", REFERRED: "연계받은 가구"}
            if not scopes:
                cells.append("✗")
            elif scopes == EVERYWHERE:
                cells.append("전체")
            else:
                cells.append("·".join(short[s] for s in SCOPES if s in scopes))
        flag = " 🔒" if op.personal else ""
        rows.append(f"| {op.name} ({op.label}){flag} | " + " | ".join(cells) + " |")
    return head + "\n".join(rows) + "\n"
