"""The partner agency's screen (협력기관) in a real headless Chromium: after sign-in partner01 (서대문기초푸드뱅크) gets
"의뢰받은 가구", its referral inbox, instead of the household map: the count is the API's total, names are masked,
codes have their Korean labels, a note from the official stays text; a referral marked 제공 완료 with a note is
checked through the API (status, history) and leaves the open list; a stale version shows the API's Korean
conflict and the item is read again; nothing personal goes into the URL; 360 px without sideways scrolling;
staff signing in afterwards in the same page get their map back."""
import re

import pytest
from playwright.sync_api import expect

from app.risk.levels import LABELS as RISK_LABELS
from app.vocab import NEEDS, SERVICE_STATUSES, SERVICE_TYPES
from tests.browser.ui import open_page, sign_in, wait_until

pytestmark = pytest.mark.browser

PARTNER = "partner01"
OFFICIAL = "dong01"
XSS_NOTE = "<img src=x onerror=alert(1)> 쌀과 반찬이 급히 필요합니다. 오전에 전화 주세요."
FILTER_LABELS = {"open": "진행 필요", "delivered": "제공 완료", "declined": "거절", "all": "전체"}


def inbox(live_server, status: str = "open") -> dict:
    return live_server.get("/referrals", PARTNER, status=status, limit=500)


def link_of(live_server, item: dict) -> dict:
    links = live_server.get(f"/households/{item['household_id']}/services", PARTNER)["items"]
    return next(link for link in links if link["id"] == item["id"])


def loaded(page) -> None:
    wait_until(page, "() => document.querySelector('#ref-count')?.dataset.total !== undefined"
               " && !document.querySelector('#partner-view').hasAttribute('aria-busy')")


def choose(page, status: str) -> None:
    page.locator("#ref-filter label.seg", has_text=FILTER_LABELS[status]).click()
    expect(page.locator(f'#ref-filter input[value="{status}"]')).to_be_checked()
    loaded(page)


def row(page, link_id: int):
    return page.locator(f'#ref-list .ref-item[data-id="{link_id}"]')


def rgb(hex_colour: str) -> str:
    r, g, b = (int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))
    return f"rgb({r}, {g}, {b})"


def test_partner_gets_the_referral_inbox_not_the_map(page, live_server, shots):
    facility_id = live_server.get("/auth/me", PARTNER)["facility_id"]
    facility = live_server.get(f"/facilities/{facility_id}", PARTNER)
    # An official refers one more household to the food bank, with markup in the note.
    household = live_server.get("/households", OFFICIAL, limit=1, sort="address")["items"][0]
    r = live_server.api("POST", f"/households/{household['id']}/services", OFFICIAL,
                        json={"type": "in_kind_support", "facility_id": facility_id, "need": "food", "note": XSS_NOTE})
    assert r.status_code == 201, r.text
    created = r.json()

    requests, refused = [], []
    page.on("request", lambda req: requests.append(req.url))
    page.on("response", lambda res: refused.append(f"{res.status} {res.url}") if res.status >= 400 else None)
    # A staff link with a household in its hash: a partner's address bar must not keep it.
    sign_in(page, PARTNER, path=f"/#dong=1&h={household['id']}")
    loaded(page)
    assert page.url == f"{live_server.url}/", "nothing about households in a partner's URL"

    expect(page.locator("#partner-view")).to_be_visible()
    expect(page.locator("#partner-title")).to_have_text("의뢰받은 가구")
    expect(page.locator("#partner-facility")).to_have_text(facility["name"])
    for hidden in ("#map", "#sidebar", "#list-toggle", "#app-notice"):
        expect(page.locator(hidden)).to_be_hidden()
    expect(page.locator("#user-label")).to_contain_text("협력기관")

    data = inbox(live_server)
    assert created["id"] in [i["id"] for i in data["items"]]
    expect(page.locator("#ref-count")).to_have_attribute("data-total", str(data["total"]))
    expect(page.locator("#ref-count")).to_have_text(f"진행 필요 {data['total']}건")
    expect(page.locator('#ref-filter input[value="open"]')).to_be_checked()
    expect(page.locator("#ref-filter label.seg")).to_have_text(list(FILTER_LABELS.values()))
    shown = page.locator("#ref-list .ref-item").evaluate_all("rs => rs.map(r => Number(r.dataset.id))")
    assert shown == [i["id"] for i in data["items"]][:50], "oldest open referral first, as the API lists them"

    for item in data["items"][:50]:
        card, hh = row(page, item["id"]), item["household"]
        name = card.locator(".ref-name").inner_text()
        assert "*" in name and name == hh["head_name"], "the masked name the API gives"
        expect(card.locator(".ref-dong")).to_have_text(hh["dong_name"])
        expect(card.locator(".ref-members")).to_have_text(f"가구원 {hh['members']}명")
        expect(card.locator(".ref-type")).to_have_text(SERVICE_TYPES[item["type"]])
        if item["need"]:
            expect(card.locator(".ref-need strong")).to_have_text(NEEDS[item["need"]])
        expect(card.locator(".ref-top .ref-status")).to_have_text(SERVICE_STATUSES[item["status"]])
        expect(card.locator(".ref-needs .chip")).to_have_text([NEEDS[n] for n in hh["needs"]])
        expect(card.locator(".ref-risk")).to_have_text(RISK_LABELS[hh["risk_level"]])
        expect(card.locator(".ref-risk")).to_have_attribute("data-level", hh["risk_level"])
        expect(card.locator(".ref-top .swatch")).to_have_css("background-color", rgb(hh["color"]))
        expect(card.locator(".ref-created")).to_have_text(re.compile(r"^\d{4}\. \d{2}\. \d{2}\.$"))
        wanted = ["제공 완료", "거절"] if item["status"] == "in_progress" else ["진행중", "제공 완료", "거절"]
        expect(card.locator(".ref-action")).to_have_text(wanted)
    mine = row(page, created["id"])
    expect(mine.locator(".ref-note")).to_have_text(XSS_NOTE)
    assert page.locator("#ref-list img, #partner-view img").count() == 0, "markup in a note stays text"
    page.screenshot(path=str(shots / "40_partner_inbox.png"), full_page=True)

    # The history of a referral: the official's request with its note.
    mine.locator(".ref-history summary").click()
    expect(mine.locator(".ref-event")).to_have_count(1)
    expect(mine.locator(".ref-event-note")).to_have_text(XSS_NOTE)
    expect(mine.locator(".ref-event-who")).to_have_text(OFFICIAL)

    # The other filters: counts from the API, closed referrals without buttons.
    for status in ("delivered", "declined", "all"):
        choose(page, status)
        expected = inbox(live_server, status)
        expect(page.locator("#ref-count")).to_have_attribute("data-total", str(expected["total"]))
        expect(page.locator("#ref-count")).to_have_text(f"{FILTER_LABELS[status]} {expected['total']}건")
        expect(page.locator("#ref-list .ref-item")).to_have_count(min(expected["total"], 50))
        if status != "all":
            assert set(page.locator("#ref-list .ref-top .ref-status").all_inner_texts()) <= {SERVICE_STATUSES[status]}
            expect(page.locator("#ref-list .ref-action")).to_have_count(0)
    page.screenshot(path=str(shots / "41_partner_inbox_all.png"))
    assert page.url == f"{live_server.url}/"

    # Only what a partner may ask for was asked: no household layer or list, no tracts, nothing refused.
    paths = [u.removeprefix(live_server.url) for u in requests if u.startswith(f"{live_server.url}/api/")]
    assert not [p for p in paths if re.match(r"^/api/v1/(layers/|households(\?|$)|tracts|reports)", p)], paths
    assert refused == [], refused

    # Staff signing in afterwards in the same page get the map, the list and no inbox.
    page.locator("#logout-button").click()
    expect(page.locator("#login-view")).to_be_visible()
    sign_in(page, OFFICIAL, path="/")
    expect(page.locator("#partner-view")).to_be_hidden()
    expect(page.locator("#map")).to_be_visible()
    expect(page.locator("#sidebar")).to_be_visible()
    expect(page.locator("#sidebar-tabs")).to_be_visible()
    assert page.evaluate("window.__happymap.pointCount()") > 0
    expect(page.locator("#ref-list .ref-item")).to_have_count(0)


def test_partner_records_delivery_with_a_note(page, live_server, shots):
    before = inbox(live_server)
    assert before["total"] >= 2, "the seed refers open cases to the food bank"
    item = before["items"][0]
    note = "<b>쌀</b> 10kg와 라면 한 상자를 전해 드렸습니다."
    sign_in(page, PARTNER)
    loaded(page)
    card = row(page, item["id"])
    card.locator(".action-delivered").click()
    form = card.locator(".ref-form")
    expect(form).to_be_visible()
    expect(form.locator(".ref-form-title")).to_have_text("제공 완료로 기록")
    expect(card.locator(".action-delivered")).to_have_attribute("aria-expanded", "true")
    form.locator("textarea").fill(note)
    page.screenshot(path=str(shots / "42_partner_deliver_form.png"))
    form.locator('button[type="submit"]').click()

    message = page.locator("#partner-message")
    expect(message).to_have_text(f"{item['household']['dong_name']} {item['household']['head_name']} 님 의뢰를 "
                                 "‘제공 완료’로 기록했습니다. 진행 필요 목록에서 빠졌습니다.")
    expect(card).to_have_count(0)
    expect(page.locator("#ref-count")).to_have_attribute("data-total", str(before["total"] - 1))
    expect(page.locator("#ref-list .ref-item")).to_have_count(min(before["total"], 50) - 1)
    page.screenshot(path=str(shots / "43_partner_delivered.png"))

    link = link_of(live_server, item)
    assert link["status"] == "delivered" and link["version"] == item["version"] + 1
    assert link["history"][-1] | {"changed_at": None} == {
        "status": "delivered", "note": note, "changed_by": PARTNER, "changed_at": None}
    assert inbox(live_server)["total"] == before["total"] - 1
    assert item["id"] in [i["id"] for i in inbox(live_server, "delivered")["items"]]

    # Under 제공 완료 it is listed without buttons; its history shows the note as text.
    choose(page, "delivered")
    expect(message).to_be_hidden()
    done = row(page, item["id"])
    expect(done.locator(".ref-top .ref-status")).to_have_text("제공 완료")
    expect(done.locator(".ref-action")).to_have_count(0)
    done.locator(".ref-history summary").click()
    expect(done.locator(".ref-event").last.locator(".ref-event-note")).to_have_text(note)
    assert done.locator("b").count() == 0
    done.scroll_into_view_if_needed()
    page.screenshot(path=str(shots / "44_partner_delivered_history.png"))


def test_stale_version_shows_the_korean_conflict_and_reloads(page, live_server, shots):
    before = inbox(live_server)
    assert before["total"] >= 1
    item = before["items"][-1]
    sign_in(page, PARTNER)
    loaded(page)
    card = row(page, item["id"])
    expect(card.locator(".ref-top .ref-status")).to_have_text(SERVICE_STATUSES[item["status"]])

    # Meanwhile a colleague of the agency records progress on another computer.
    first = "전화로 먼저 접수했습니다 (다른 직원)."
    r = live_server.api("PATCH", f"/households/{item['household_id']}/services/{item['id']}", PARTNER,
                        json={"status": "in_progress", "note": first, "version": item["version"]})
    assert r.status_code == 200, r.text

    reason = "이번 달 물품이 모두 소진되었습니다."
    card.locator(".action-declined").click()
    form = card.locator(".ref-form")
    form.locator("textarea").fill(reason)
    form.locator('button[type="submit"]').click()
    expect(form.locator(".form-message .conflict-detail")).to_have_text(
        "다른 사용자가 먼저 이 연계를 수정했습니다. 새로고침 후 다시 시도하세요.")
    expect(form.locator(".form-message .conflict-reloaded")).to_contain_text("지금 상태는 ‘진행중’입니다.")
    # What the colleague recorded is shown at once.
    expect(card.locator(".ref-history")).to_have_attribute("open", "")
    expect(card.locator(".ref-event").last.locator(".ref-event-note")).to_have_text(first)
    expect(card).to_have_class(re.compile(r"\bref-stale\b"))
    expect(card.locator(".ref-top .ref-status")).to_have_text("진행중")
    expect(card.locator(".ref-action")).to_have_text(["제공 완료", "거절"])
    expect(form.locator("textarea")).to_have_value(reason)
    card.screenshot(path=str(shots / "45_partner_conflict.png"))
    link = link_of(live_server, item)
    assert link["status"] == "in_progress" and link["history"][-1]["note"] == first, \
        "nothing written on a stale version"

    # Read again, the same click goes through with the fresh version.
    form.locator('button[type="submit"]').click()
    expect(page.locator("#partner-message")).to_contain_text("의뢰를 ‘거절’로 기록했습니다")
    expect(card).to_have_count(0)
    link = link_of(live_server, item)
    assert link["status"] == "declined" and link["history"][-1]["note"] == reason
    assert link["history"][-1]["changed_by"] == PARTNER


def test_phone_width_inbox(browser, live_server, shots):
    data = inbox(live_server)
    assert data["total"] >= 1
    page = open_page(browser, live_server, viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True,
                     device_scale_factor=2)
    try:
        sign_in(page, PARTNER)
        loaded(page)
        expect(page.locator("#ref-count")).to_have_attribute("data-total", str(data["total"]))
        expect(page.locator("#list-toggle")).to_be_hidden()
        expect(page.locator("#map")).to_be_hidden()
        card = row(page, data["items"][0]["id"])
        expect(card).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        assert page.evaluate("(() => { const v = document.querySelector('#partner-view');"
                             " return v.scrollWidth <= v.clientWidth; })()"), "no sideways scrolling in the inbox"
        for box in [page.locator("#ref-filter").bounding_box()] + [
                b.bounding_box() for b in page.locator("#ref-list .ref-item, #ref-list .ref-action").all()]:
            assert box["x"] >= 0 and box["x"] + box["width"] <= 360, box
        page.screenshot(path=str(shots / "46_phone_partner_inbox.png"))
        card.locator(".action-delivered").tap()
        expect(card.locator(".ref-form")).to_be_visible()
        card.locator(".ref-form textarea").fill("휴대전화에서 남기는 메모")
        card.locator(".ref-form").scroll_into_view_if_needed()
        form_box = card.locator(".ref-form").bounding_box()
        assert form_box["x"] >= 0 and form_box["x"] + form_box["width"] <= 360
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        page.screenshot(path=str(shots / "47_phone_partner_form.png"))
        card.locator(".ref-form button", has_text="취소").tap()
        expect(card.locator(".ref-form")).to_have_count(0)
        choose(page, "all")
        assert page.evaluate("(() => { const v = document.querySelector('#partner-view');"
                             " return v.scrollWidth <= v.clientWidth; })()")
        assert page.errors == [] and page.external == []
    finally:
        page.context.close()
