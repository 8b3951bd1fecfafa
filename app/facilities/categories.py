"""Facility categories: reading a source's type text, and the needs each category can answer."""
import re

from app.vocab import FACILITY_CATEGORIES, NEEDS

# Source type text (Seoul list 시설종류명, or a free label) → category code; the first matching fragment wins.
SOURCE_TYPE_RULES: list[tuple[str, str]] = [
    ("(일반) 사회복지관", "welfare_centre"),
    ("사회복지관", "welfare_centre"),
    ("노인복지관", "senior_welfare_centre"),  # also 노인복지관(소규모)
    ("장애인복지관", "disability_welfare_centre"),
    ("농아인복지관", "disability_welfare_centre"),
    ("푸드뱅크", "food_bank"),
    ("푸드마켓", "food_bank"),
    ("지역아동센터", "community_child_centre"),
    ("다함께돌봄센터", "care_centre"),
    ("자활센터", "self_sufficiency_centre"),
    ("치매", "dementia_centre"),
    ("건강가정", "family_centre"),
    ("다문화가족", "family_centre"),
    ("가족센터", "family_centre"),
    ("(노인) 재가", "senior_care"),
    ("(노인) 노인요양", "senior_care"),
    ("(노인) 장기요양", "senior_care"),
    ("(노인) 양로", "senior_care"),
    ("(장애인)", "disability_service"),
    ("정신건강", "mental_health_centre"),
    ("보건소", "public_health_centre"),
    ("경로당", "senior_centre"),
]

# Groups of the Seoul list; a type in one of these that no rule above names is a real facility of kind "other".
KNOWN_SOURCE_GROUPS = frozenset({
    "일반", "노인", "아동", "장애인", "기타", "저소득", "정신보건", "노숙인등", "다문화가족", "건강가정", "건강",
    "영유아", "결핵한센인",
})

# Needs (DOMAIN.md codes) each category can answer, used when a row does not list its own.
NEEDS_BY_CATEGORY: dict[str, list[str]] = {
    "welfare_centre": ["care", "education", "finance", "mental_health", "food"],
    "senior_welfare_centre": ["care", "food", "education", "mental_health"],
    "disability_welfare_centre": ["care", "education", "employment", "medical"],
    "senior_centre": ["care", "food"],
    "community_child_centre": ["care", "education", "food"],
    "care_centre": ["care", "education"],
    "food_bank": ["food"],
    "public_health_centre": ["medical", "mental_health"],
    "mental_health_centre": ["mental_health", "medical"],
    "self_sufficiency_centre": ["employment", "education"],
    "dementia_centre": ["medical", "care", "mental_health"],
    "family_centre": ["education", "care", "mental_health"],
    "senior_care": ["care", "medical"],
    "disability_service": ["care", "employment", "education"],
    "heat_shelter": [],  # a place to cool down or warm up, not a service a need is referred to
    "cold_shelter": [],
    "other": ["other"],
}

# Types left in "other" whose help is still clear from the source's wording.
NEEDS_BY_SOURCE_TYPE: dict[str, list[str]] = {
    "노인일자리지원기관": ["employment"],
    "노숙인": ["rental_housing", "employment", "food"],
    "정신보건": ["mental_health"],
    "아동양육시설": ["care"],
}

_LABEL_TO_CATEGORY = {label: code for code, label in FACILITY_CATEGORIES.items()}
_LABEL_TO_NEED = {label: code for code, label in NEEDS.items()}
_GROUP = re.compile(r"^\(([^)]+)\)")


def resolve_category(text: str) -> str | None:
    """Category code for a code, a Korean label or a source type text; None when unknown."""
    value = " ".join(text.split())
    if value in FACILITY_CATEGORIES:
        return value
    if value in _LABEL_TO_CATEGORY:
        return _LABEL_TO_CATEGORY[value]
    for fragment, code in SOURCE_TYPE_RULES:
        if fragment in value:
            return code
    group = _GROUP.match(value)
    if group and group.group(1) in KNOWN_SOURCE_GROUPS:
        return "other"
    return None


def resolve_need(text: str) -> str | None:
    """Need code for a code or its Korean label; None when unknown."""
    value = text.strip()
    if value in NEEDS:
        return value
    return _LABEL_TO_NEED.get(value)


def default_needs(category: str, source_type: str | None = None) -> list[str]:
    """What a facility of this category usually helps with (an "other" one: what its source type says)."""
    if category == "other" and source_type:
        for fragment, needs in NEEDS_BY_SOURCE_TYPE.items():
            if fragment in source_type:
                return list(needs)
    return list(NEEDS_BY_CATEGORY.get(category, ["other"]))
