"""Risk levels, their colours (DOMAIN.md) and their urgency order."""
from typing import Literal

RiskLevel = Literal["high", "medium", "low", "unvisited"]

RISK_LEVELS: tuple[str, ...] = ("high", "medium", "unvisited", "low")  # most to least urgent

COLORS: dict[str, str] = {
    "high": "#E53935",
    "medium": "#FB8C00",
    "low": "#1E88E5",
    "unvisited": "#FFFFFF",
}
EMPTY_TRACT_COLOR = "#9E9E9E"  # a tract with no households is drawn grey

LABELS: dict[str, str] = {"high": "고위험", "medium": "중위험", "low": "저위험", "unvisited": "미방문"}

# Smaller is more urgent; used for sorting and for a tract's worst household.
URGENCY: dict[str, int] = {level: rank for rank, level in enumerate(RISK_LEVELS)}


def color_of(level: str) -> str:
    """The hex colour of a risk level."""
    return COLORS[level]


def most_urgent(levels) -> str | None:
    """The most urgent of some levels, or None when there are none."""
    present = [lvl for lvl in levels if lvl in URGENCY]
    return min(present, key=URGENCY.__getitem__) if present else None
