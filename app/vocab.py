"""The shared codes of DOMAIN.md with their Korean labels (the product's vocabulary)."""

INDICATORS: dict[str, str] = {
    "utility_cutoff": "단전·단수·단가스",
    "rent_arrears": "월세·관리비 체납",
    "insurance_arrears": "건강보험료 체납",
    "unemployment": "실직·휴폐업",
    "serious_illness": "중증질환",
    "disability": "장애",
    "elderly_alone": "독거노인",
    "isolation": "사회적 고립·고독사 위험",
    "housing_crisis": "주거 위기(퇴거·고시원·비닐하우스)",
    "debt": "채무·금융 위기",
    "child_at_risk": "아동 돌봄 공백",
    "disaster": "재난·사고",
    "other": "기타",
}

NEEDS: dict[str, str] = {
    "rental_housing": "임대주택",
    "employment": "고용",
    "food": "식품",
    "house_repair": "집수리",
    "heating_cooling": "냉난방기",
    "medical": "의료",
    "care": "돌봄",
    "finance": "금융·채무 상담",
    "education": "교육",
    "mental_health": "정신건강",
    "legal": "법률",
    "other": "기타",
}

SERVICE_TYPES: dict[str, str] = {
    "benefit_application": "복지급여 신청",
    "cash_support": "현금 지원",
    "in_kind_support": "현물 지원",
    "referral": "타기관 연계",
    "case_management": "통합사례관리",
    "sponsorship": "후원 연계",
}

SERVICE_STATUSES: dict[str, str] = {
    "requested": "요청",
    "in_progress": "진행중",
    "delivered": "제공 완료",
    "declined": "거절",
}

VISITOR_TYPES: dict[str, str] = {
    "official": "담당 공무원",
    "welfare_dong_head": "복지동장",
    "welfare_tongjang": "복지통장",
    "council_member": "지역사회보장협의체 위원",
    "visiting_nurse": "방문간호사",
    "partner_worker": "방문형 직업 종사자(우체국·한전·도시가스·수도·배달)",
    "volunteer": "자원봉사자",
}

CONTACT_TYPES: dict[str, str] = {"visit": "방문", "phone": "전화", "other": "기타"}

REPORT_STATUSES: dict[str, str] = {
    "new": "접수",
    "reviewing": "검토중",
    "converted": "가구 등록",
    "dismissed": "종결",
    "duplicate": "중복",
}

REPORT_CHANNELS: dict[str, str] = {
    "web": "모바일 신고 화면",
    "api": "API 등록",
    "kakao": "카카오톡 채널",
    "open311": "Open311 연계",
}
OPEN_REPORT_STATUSES: tuple[str, ...] = ("new", "reviewing")
NEEDS_LOCATION = "위치 확인 필요"  # a report no point or address placed

# How a household's point was placed: staff put it there, a report's own phone location, a match on a known
# address, or only near (a place or neighbour's address matched); `approximate` points need checking on site.
# From the 도로명주소 table (app.addresses): `entrance`, the matched address's one entrance; `building`, the
# centre of a building's (or a lot's buildings') entrances.
PLACEMENTS: dict[str, str] = {
    "manual": "직접 지정",
    "report": "신고 위치",
    "address": "주소 일치",
    "approximate": "위치 대략",
    "building": "건물 주소 일치",
    "entrance": "출입구 주소 일치",
}

CLOSE_REASONS: dict[str, str] = {"death": "사망", "moved_out": "전출", "merged": "가구 통합", "other": "기타"}

ROLES: dict[str, str] = {
    "admin": "관리자",
    "district_staff": "구청 담당",
    "dong_staff": "동 담당",
    "tongjang": "통장",
    "partner": "협력기관",
}

FACILITY_CATEGORIES: dict[str, str] = {
    "welfare_centre": "복지관",
    "senior_welfare_centre": "노인복지관",
    "disability_welfare_centre": "장애인복지관",
    "senior_centre": "경로당",
    "community_child_centre": "지역아동센터",
    "care_centre": "돌봄센터",
    "food_bank": "푸드뱅크",
    "public_health_centre": "보건소",
    "mental_health_centre": "정신건강복지센터",
    "self_sufficiency_centre": "자활센터",
    "dementia_centre": "치매안심센터",
    "family_centre": "가족센터",
    "senior_care": "노인돌봄·요양",
    "disability_service": "장애인 지원시설",
    "heat_shelter": "무더위쉼터",
    "cold_shelter": "한파쉼터",
    "other": "기타",
}

# Heat and cold shelters (무더위쉼터·한파쉼터) are facilities with an operating period; they are an overlay of
# their own, not welfare facilities: the directory, the 복지기관 layer and the facility counts leave them out.
SHELTER_CATEGORIES: tuple[str, ...] = ("heat_shelter", "cold_shelter")

# A facility's map marker: one character and its colour, by category.
FACILITY_MARKERS: dict[str, tuple[str, str]] = {
    "welfare_centre": ("복", "#6A1B9A"),
    "senior_welfare_centre": ("노", "#4E342E"),
    "disability_welfare_centre": ("장", "#00695C"),
    "senior_centre": ("경", "#795548"),
    "community_child_centre": ("아", "#C2185B"),
    "care_centre": ("돌", "#AD1457"),
    "food_bank": ("식", "#2E7D32"),
    "public_health_centre": ("보", "#0277BD"),
    "mental_health_centre": ("정", "#283593"),
    "self_sufficiency_centre": ("자", "#558B2F"),
    "dementia_centre": ("치", "#4527A0"),
    "family_centre": ("가", "#00838F"),
    "senior_care": ("요", "#5D4037"),
    "disability_service": ("지", "#00796B"),
    "heat_shelter": ("더", "#D84315"),
    "cold_shelter": ("한", "#1565C0"),
    "other": ("기", "#455A64"),
}

OVERDUE_LABEL = "방문 기한 경과"

HOUSEHOLD_SORTS: dict[str, str] = {
    "risk": "위험도 순 (긴급한 가구 먼저)",
    "-last_visit_at": "최근 방문 순",
    "last_visit_at": "오래전 방문 순",
    "next_visit_due": "다음 방문 예정일 순",
    "address": "주소 순",
}

# What an access record (접속기록) says was done with personal data.
ACCESS_ACTIONS: dict[str, str] = {
    "read": "조회",
    "list": "목록 조회",
    "create": "등록",
    "update": "수정",
    "delete": "삭제",
    "print": "출력",
    "export": "내려받기",
    "unmask": "실명 열람",
    "lookup": "주민번호 조회",
}

# The changes of an account kept in its permission history.
PERMISSION_ACTIONS: dict[str, str] = {
    "create": "계정 생성",
    "role": "역할 변경",
    "grant_dong": "담당 동 부여",
    "revoke_dong": "담당 동 회수",
    "grant_tract": "담당 통 부여",
    "revoke_tract": "담당 통 회수",
    "profile": "이름·기관 변경",
    "disable": "사용 중지",
    "enable": "다시 사용",
    "unlock": "잠금 해제",
    "password": "비밀번호 재설정",
}

# Imported lists (app/imports): the kinds of file, what preview found for each row, and what follows a row.
IMPORT_KINDS: dict[str, str] = {
    "households": "가구 명단",
    "discovery_list": "복지사각지대 발굴 대상자 명단",
    "registry_changes": "주민등록 변동 자료",
}
IMPORT_OUTCOMES: dict[str, str] = {
    "new": "새 가구",
    "matched": "기존 가구와 일치",
    "unplaced": "위치 지정 필요",
    "error": "오류",
    "out_of_scope": "관할 밖",
}
# A 발굴 list entry: whether the 조사 reached the person, and the outcome keyed back into 발굴관리시스템.
DISCOVERY_CONTACTS: dict[str, str] = {"reached": "연락됨", "unreachable": "연락두절", "absent": "부재"}
DISCOVERY_OUTCOMES: dict[str, str] = {
    "basic_livelihood": "기초생활보장",
    "near_poor": "차상위",
    "emergency_aid": "긴급복지",
    "other_public": "기타 공공서비스",
    "private_link": "민간서비스 연계",
    "no_support_needed": "지원 불필요",
    "regular_care": "정기 관리",
    "locate": "소재 파악 필요",
}
REGISTRY_CHANGES: dict[str, str] = {"death": "사망", "moved_out": "전출", "moved_in": "전입", "merged": "세대 합가"}
REGISTRY_STATES: dict[str, str] = {
    "pending": "확인 대기",
    "applied": "반영함",
    "dismissed": "반영 안 함",
    "unmatched": "일치하는 가구 없음",
}
