"""Risk rules as properties: monotone in indicators, one colour per level, urgency order, overrides, cycle."""
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.risk import rules
from app.risk.levels import COLORS, LABELS, RISK_LEVELS, URGENCY, color_of, most_urgent
from app.vocab import INDICATORS

SEVERITY = {"low": 0, "medium": 1, "high": 2}
indicator_sets = st.frozensets(st.sampled_from(sorted(INDICATORS)))
visited_levels = st.sampled_from(["high", "medium", "low"])
contacts = st.sampled_from(["visit", "phone", "other"])


@given(indicator_sets, indicator_sets)
def test_more_indicators_never_lower_the_level(base, extra):
    smaller, larger = rules.assess(base), rules.assess(base | extra)
    assert SEVERITY[larger.level] >= SEVERITY[smaller.level]
    assert larger.score >= smaller.score


@given(visited_levels, indicator_sets, indicator_sets, contacts)
def test_a_contact_that_finds_more_never_leaves_a_lower_level(current, base, extra, contact):
    if not base:
        base = frozenset({"other"})  # an empty phone call keeps the level; that case is tested below
    smaller = rules.after_contact(current, base, contact)
    larger = rules.after_contact(current, base | extra, contact)
    assert SEVERITY[larger.level] >= SEVERITY[smaller.level]


def test_every_level_maps_to_exactly_one_colour():
    assert set(COLORS) == set(RISK_LEVELS) == {"high", "medium", "low", "unvisited"}
    assert len(set(COLORS.values())) == len(COLORS)
    assert {lvl: color_of(lvl) for lvl in RISK_LEVELS} == {
        "high": "#E53935", "medium": "#FB8C00", "low": "#1E88E5", "unvisited": "#FFFFFF"}
    assert set(LABELS) == set(COLORS)


@given(indicator_sets)
def test_every_assessment_has_a_level_with_a_colour(found):
    assert rules.assess(found).level in COLORS


def test_urgency_order_is_high_medium_unvisited_low():
    assert sorted(COLORS, key=URGENCY.__getitem__) == ["high", "medium", "unvisited", "low"]
    assert URGENCY["high"] < URGENCY["medium"] < URGENCY["unvisited"] < URGENCY["low"]


@given(st.lists(st.sampled_from(RISK_LEVELS), min_size=1))
def test_most_urgent_follows_the_order(levels):
    worst = most_urgent(levels)
    assert worst in levels
    assert all(URGENCY[worst] <= URGENCY[lvl] for lvl in levels)


def test_most_urgent_of_nothing_is_none():
    assert most_urgent([]) is None


def test_every_level_is_reachable_and_the_table_reads_as_documented():
    assert rules.assess([]).level == "low"
    assert rules.assess(["disability"]).level == "low"
    assert rules.assess(["utility_cutoff"]).level == "medium"
    assert rules.assess(["utility_cutoff", "housing_crisis"]).level == "high"
    isolated_elder = rules.assess(["isolation", "elderly_alone"])
    assert isolated_elder.level == "high" and isolated_elder.score == 10
    assert "복합 위기" in isolated_elder.reason


@given(indicator_sets.filter(bool))
def test_the_reason_names_every_indicator_found(found):
    result = rules.assess(found)
    assert all(INDICATORS[i] in result.reason for i in found)
    assert result.reason.startswith(LABELS[result.level])


@given(st.sampled_from(RISK_LEVELS), indicator_sets, contacts, visited_levels)
def test_an_override_wins_and_says_who_and_why(current, found, contact, override):
    result = rules.after_contact(current, found, contact, override, "현장 판단: 난방 없음", "dong01")
    assert result.level == override and result.overridden
    assert "dong01" in result.reason and "현장 판단" in result.reason


@pytest.mark.parametrize("reason", [None, "", "   "])
def test_an_override_needs_a_reason(reason):
    with pytest.raises(ValueError, match="사유"):
        rules.after_contact("low", [], "visit", "high", reason)


@given(visited_levels, st.sampled_from(["phone", "other"]))
def test_a_phone_check_in_that_found_nothing_keeps_the_level(current, contact):
    result = rules.after_contact(current, [], contact)
    assert result.level == current and result.kept and result.score is None


def test_a_first_contact_that_found_nothing_is_low():
    assert rules.after_contact("unvisited", [], "phone").level == "low"
    assert rules.after_contact("high", [], "visit").level == "low"  # a visit at the door reassesses


@given(visited_levels, st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 1, 1)))
def test_next_visit_is_the_cycle_after_the_last_contact(level, last):
    cycles = {"high": 7, "medium": 60, "low": 365}
    assert rules.next_visit_due(level, last, date(1999, 1, 1), cycles) == last + timedelta(days=cycles[level])
    assert rules.next_visit_due(level, last, date(1999, 1, 1)) - last == timedelta(
        days=rules.DEFAULT_CYCLE_DAYS[level])


def test_unvisited_households_are_due_from_registration():
    assert rules.next_visit_due("unvisited", None, date(2026, 3, 1)) == date(2026, 3, 1)


def test_overdue_boundaries():
    due = date(2026, 5, 10)
    assert not rules.is_overdue(due, due)
    assert rules.is_overdue(due, due + timedelta(days=1))
    assert not rules.is_overdue(due, due - timedelta(days=1))
