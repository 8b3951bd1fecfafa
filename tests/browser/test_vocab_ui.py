"""The map and the report form show the server's vocabulary (app/vocab.py), loaded from /vocab.js."""
import pytest

from app import vocab
from app.risk.levels import LABELS
from tests.browser.ui import DEMO_PASSWORD, sign_in, wait_until

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
    assert page.locator("select#f-sort option").all_text_contents() == list(vocab.HOUSEHOLD_SORTS.values())


def test_report_form_lists_the_server_indicators(page, live_server, shots):
    page.goto(f"{live_server.url}/report")
    page.fill("#username", "tongjang01")
    page.fill("#password", DEMO_PASSWORD)
    page.click("#login-form button[type=submit]")
    wait_until(page, "!document.getElementById('form-view').hidden")
    shown = page.evaluate("""() => [...document.querySelectorAll('#indicators label')].map(l => [
        l.querySelector('input').value, l.textContent.trim()])""")
    assert shown == [[code, label] for code, label in vocab.INDICATORS.items()]
    page.screenshot(path=str(shots / "50_report_form_vocab.png"), full_page=True)
