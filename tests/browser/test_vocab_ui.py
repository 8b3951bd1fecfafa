"""The map and the report form show the server's vocabulary (app/vocab.py), loaded from /vocab.js."""
import pytest

from app import vocab
from app.risk.levels import LABELS
from tests.browser.ui import sign_in, wait_until

pytestmark = pytest.mark.browser


def test_map_page_uses_the_server_vocabulary(page, live_server):
    sign_in(page, "district")
    loaded = page.evaluate("""async () => {
        const v = await import('/static/app/vocab.js');
        return {needs: v.NEEDS, indicators: v.INDICATORS, risk: v.RISK_LABELS, sorts: v.SORTS,
                visitors: v.VISITOR_TYPES, label: v.label(v.FACILITY_CATEGORIES, 'food_bank')};
    }""")
    assert loaded == {"needs": vocab.NEEDS, "indicators": vocab.INDICATORS, "risk": LABELS,
                      "sorts": vocab.HOUSEHOLD_SORTS, "visitors": vocab.VISITOR_TYPES,
                      "label": vocab.FACILITY_CATEGORIES["food_bank"]}
    sort_labels = page.locator("select#sort option").all_text_contents() if page.locator("select#sort").count() \
        else []
    assert sort_labels in ([], list(vocab.HOUSEHOLD_SORTS.values()))


def test_report_form_lists_the_server_indicators(page, live_server):
    page.goto(f"{live_server.url}/report")
    wait_until(page, "document.querySelectorAll('#indicators input').length > 0")
    shown = page.evaluate("""() => [...document.querySelectorAll('#indicators label')].map(l => [
        l.querySelector('input').value, l.textContent.trim()])""")
    assert shown == [[code, label] for code, label in vocab.INDICATORS.items()]
