"""Risk rules: crisis indicators found on a visit → score → level, and the visit cycle.

Pure Python on purpose (no database, no web framework) so the rules can be read, tested and
argued about on their own.
"""
from dataclasses import dataclass
from datetime import date, timedelta

from app.risk.levels import LABELS
from app.vocab import INDICATORS

# How much each indicator weighs (one row each, heaviest first). Loss of utilities or of housing,
# and isolation, predict the worst outcomes (동사, 고독사), so they weigh most; arrears, debt and
# unemployment are warning signs that matter when they pile up.
WEIGHTS: dict[str, int] = {
    "utility_cutoff": 5,     # 단전·단수·단가스: the household cannot heat, cook or wash now
    "housing_crisis": 5,     # 퇴거·고시원·비닐하우스: about to lose a roof
    "isolation": 4,          # 사회적 고립: nobody would notice a collapse
    "child_at_risk": 4,      # 아동 돌봄 공백: a child is exposed
    "disaster": 4,           # 재난·사고: sudden loss
    "elderly_alone": 3,      # 독거노인
    "serious_illness": 3,    # 중증질환
    "rent_arrears": 2,       # 월세·관리비 체납
    "insurance_arrears": 2,  # 건강보험료 체납
    "unemployment": 2,       # 실직·휴폐업
    "debt": 2,               # 채무·금융 위기
    "disability": 1,         # 장애: a support need, not a crisis by itself
    "other": 1,              # 기타
}

# Pairs that are worse together than apart (bonus on top of both weights).
COMBINATIONS: dict[frozenset[str], int] = {
    frozenset({"isolation", "elderly_alone"}): 3,  # the classic 고독사 profile: 4 + 3 + 3 = 10 → high
    frozenset({"utility_cutoff", "rent_arrears"}): 1,  # cut-off because the money ran out
}

# Thresholds: one heavy indicator alone is medium; two heavy ones, or one heavy with warning
# signs, are high. A single warning sign (or a disability) stays low.
HIGH_FROM = 8  # score ≥ 8 → high
MEDIUM_FROM = 4  # score ≥ 4 → medium, below → low

DEFAULT_CYCLE_DAYS = {"high": 30, "medium": 90, "low": 180}
OVERRIDE_LEVELS = ("high", "medium", "low")

assert set(WEIGHTS) == set(INDICATORS), "every indicator code needs a weight"


@dataclass(frozen=True)
class Assessment:
    level: str
    score: int | None
    reason: str
    overridden: bool = False  # an official chose the level (with a reason)
    kept: bool = False  # the contact found nothing new: the household keeps its level, score and reason


def score_of(indicators: set[str] | frozenset[str] | list[str]) -> int:
    """Sum of indicator weights plus the bonus of each combination present."""
    found = set(indicators)
    score = sum(WEIGHTS[i] for i in found)
    score += sum(bonus for pair, bonus in COMBINATIONS.items() if pair <= found)
    return score


def level_of(score: int) -> str:
    """The level a score falls in (high, medium or low)."""
    if score >= HIGH_FROM:
        return "high"
    if score >= MEDIUM_FROM:
        return "medium"
    return "low"


def assess(indicators) -> Assessment:
    """Level and a Korean reason listing what drove it, heaviest first."""
    found = sorted(set(indicators), key=lambda i: (-WEIGHTS[i], i))
    score = score_of(found)
    level = level_of(score)
    if not found:
        return Assessment(level, score, "발견된 위기 지표 없음")
    drivers = ", ".join(f"{INDICATORS[i]}({WEIGHTS[i]})" for i in found)
    bonus = [" + ".join(INDICATORS[i] for i in sorted(pair)) for pair in COMBINATIONS if pair <= set(found)]
    extra = f"; 복합 위기: {', '.join(bonus)}" if bonus else ""
    return Assessment(level, score, f"{LABELS[level]} (점수 {score}): {drivers}{extra}")


def after_contact(current_level: str, indicators, contact_type: str, override: str | None = None,
                  override_reason: str | None = None, overridden_by: str | None = None) -> Assessment:
    """The household's level after one visit or phone check-in.

    An override wins over the score and must carry a reason. A phone (or other) check-in that found
    no indicator keeps a visited household's level: the call confirmed nothing new.
    """
    if override is not None:
        if override not in OVERRIDE_LEVELS:
            raise ValueError("직접 지정할 수 있는 위험도는 high, medium, low입니다.")
        if not override_reason or not override_reason.strip():
            raise ValueError("위험도를 직접 지정하려면 사유가 필요합니다.")
        who = f" ({overridden_by})" if overridden_by else ""
        base = assess(indicators)
        return Assessment(override, base.score, f"{LABELS[override]} 직접 지정{who}: {override_reason.strip()}",
                          overridden=True)
    found = set(indicators)
    if not found and contact_type != "visit" and current_level != "unvisited":
        return Assessment(current_level, None, "전화 확인: 새로 발견된 위기 지표 없음, 기존 위험도 유지", kept=True)
    return assess(found)


def next_visit_due(level: str, last_contact: date | None, registered_on: date,
                   cycle_days: dict[str, int] | None = None) -> date:
    """Next visit date: the last contact plus the level's cycle; unvisited households are due at once."""
    if level == "unvisited" or last_contact is None:
        return registered_on
    cycles = cycle_days or DEFAULT_CYCLE_DAYS
    return last_contact + timedelta(days=cycles[level])


def is_overdue(next_due: date, today: date) -> bool:
    """Past due: the due day itself is not yet overdue."""
    return next_due < today
