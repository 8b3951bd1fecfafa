"""One vocabulary: the server's lists (app/vocab.py, app/risk/levels.py) are what the map and the report form
load, as the generated module /vocab.js; no front-end file keeps a copy of a code and its label."""
import json
import re
from pathlib import Path

import pytest

from app import vocab
from app.risk.levels import COLORS, LABELS
from app.ui_config import vocabulary

STATIC = Path(__file__).resolve().parent.parent / "map_ui"
EXPORT = re.compile(r"^export const ([A-Z_]+) = (.*);$")


def exports_of(module_text: str) -> dict:
    """`export const NAME = <json>;` lines of the generated module, read back as JSON."""
    found = {}
    for line in module_text.splitlines():
        m = EXPORT.match(line)
        if m:
            found[m.group(1)] = json.loads(m.group(2))
    return found


def test_vocab_module_is_public_and_equals_the_server_lists(client):
    r = client.get("/vocab.js")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/javascript")
    exported = exports_of(r.text)
    assert exported == json.loads(json.dumps(vocabulary(), ensure_ascii=False))
    assert exported["NEEDS"] == vocab.NEEDS and exported["INDICATORS"] == vocab.INDICATORS
    assert exported["RISK_LABELS"] == LABELS and exported["RISK_COLORS"] == COLORS
    assert exported["ROLES"] == vocab.ROLES and exported["SORTS"] == vocab.HOUSEHOLD_SORTS
    assert {c: v["label"] for c, v in exported["FACILITY_CATEGORIES"].items()} == vocab.FACILITY_CATEGORIES


def test_vocab_api_needs_sign_in_and_answers_the_same(client, as_user):
    assert client.get("/api/v1/vocab").status_code == 401
    r = client.get("/api/v1/vocab", headers=as_user("tongjang01"))
    assert r.status_code == 200 and r.json() == json.loads(json.dumps(vocabulary(), ensure_ascii=False))


def test_every_facility_category_has_a_marker():
    assert set(vocab.FACILITY_MARKERS) == set(vocab.FACILITY_CATEGORIES)


CODE_LISTS = {name: getattr(vocab, name) for name in (
    "INDICATORS", "NEEDS", "SERVICE_TYPES", "SERVICE_STATUSES", "VISITOR_TYPES", "CONTACT_TYPES",
    "REPORT_STATUSES", "REPORT_CHANNELS", "CLOSE_REASONS", "ROLES", "FACILITY_CATEGORIES", "HOUSEHOLD_SORTS")}
CODE_LISTS["RISK_LABELS"] = LABELS


def copies_in(text: str) -> list[str]:
    """Vocabulary entries the text writes out itself: `food: '식품'`, `"food": "식품"`, `["food", "식품"]`."""
    return sorted(f"{list_name}.{code}" for list_name, codes in CODE_LISTS.items() for code, label in codes.items()
                  if re.search(rf"""['"]?{re.escape(code)}['"]?\s*[:,]\s*['"]{re.escape(label)}['"]""", text))


@pytest.mark.parametrize("path", sorted(p.relative_to(STATIC).as_posix() for p in STATIC.glob("static/**/*.js"))
                         + ["index.html", "report.html"])
def test_no_front_end_file_copies_a_code_with_its_label(path):
    assert copies_in((STATIC / path).read_text(encoding="utf-8")) == []


def test_the_copy_check_would_catch_a_copy():
    sample = "const NEEDS = { food: '식품' };\nconst I = [[\"debt\", \"채무·금융 위기\"]];"
    assert copies_in(sample) == ["INDICATORS.debt", "NEEDS.food"]
