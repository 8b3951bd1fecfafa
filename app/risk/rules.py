"""Risk rules: crisis indicators found on a visit → score → level, and the visit cycle.

Pure Python on purpose (no database, no web framework) so the rules can be read, tested and
argued about on their own.
"""
from dataclasses import dataclass
from datetime import date, timedelta

from app.risk.levels import LABELS
from app.vocab import INDICATORS

# How much each indicator weighs. Loss of utilities, of housing, and isolation predict the
# worst outcomes (고독사, 동사), so they weigh most; arrears and debt are warning signs.
WEIGHTS: dict[str, int] = {
    "utility_cutoff": 5,
    "housing_crisis": 5,
    "isolation": 4,
    "child_at_risk": 4,
    "disaster": 4,
    "elderly_alone": 3,
    "serious_illness": 3,
    "rent_arrears": 2,
    "insurance_arrears": 2,
    "unemployment": 2,
    "debt": 2,
    "disability": 1,
    "other": 1,
}

# Pairs that are worse together than apart: an isolated elderly person living alone.
COMBINATIONS: dict[frozenset[str], int] = {
    frozenset({"isolation", "elderly_alone"}): 3,
    frozenset({"utility_cutoff", "rent_arrears"}): 1,
}

HIGH_FROM = 8  # score ≥ 8 → high
MEDIUM_FROM = 4  # score ≥ 4 → medium, below → low

DEFAULT_CYCLE_DAYS = {"high": 30, "medium": 90, "low": 180}

assert set(WEIGHTS) == set(INDICATORS), "every indicator code needs a weight"


@dataclass(frozen=True)
class Assessment:
    level: str
    score: int | None
    reason: str


def score_of(indicators: set[str] | frozenset[str] | list[str]) -> int:
    """Sum of indicator weights plus the bonus of each combination present."""
    found = set(indicators)
    score = sum(WEIGHTS[i] for i in found)
    score += sum(bonus for pair, bonus in COMBINATIONS.items() if pair <= found)
    return score


def level_of(score: int) -> str:
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
        if not override_reason or not override_reason.strip():
            raise ValueError("위험도를 직접 지정하려면 사유가 필요합니다.")
        who = f" ({overridden_by})" if overridden_by else ""
        base = assess(indicators)
        return Assessment(override, base.score, f"{LABELS[override]} 직접 지정{who}: {override_reason.strip()}")
    found = set(indicators)
    if not found and contact_type != "visit" and current_level != "unvisited":
        return Assessment(current_level, None, "전화 확인: 새로 발견된 위기 지표 없음, 기존 위험도 유지")
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
