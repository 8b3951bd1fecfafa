"""The phone in the field (issue 16), in headless Chromium at 390 × 844: the map opens on the user's own area with the
urgent points on top; "오늘의 순회" lists a tract in the server's walking order; a visit recorded without a signal
survives an offline reload (unlocked with the password), syncs once when the signal returns, and a conflict or a
refusal is shown and kept, never dropped; logout wipes IndexedDB and Cache Storage. A fresh context per test (the
service worker and the IndexedDB store live in the context)."""
from io import BytesIO

import pytest
from PIL import Image
from sqlalchemy import func, select, text

from app.visits.models import Visit
from tests.browser.ui import DEMO_PASSWORD, RECT, hide_overlays, open_page, sign_in, wait_frames, wait_still, wait_until

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "device_scale_factor": 2}
RED = (0xE5, 0x39, 0x35)


def _phone(browser, live_server):
    return open_page(browser, live_server, **PHONE)


def _close(page):
    try:
        assert page.errors == [], f"script errors: {page.errors}"
        assert page.external == [], f"requests outside the app: {page.external}"
    finally:
        page.context.close()


def _bbox(geometry):
    xs, ys = [], []

    def walk(c):
        if isinstance(c[0], int | float):
            xs.append(c[0])
            ys.append(c[1])
        else:
            for part in c:
                walk(part)

    walk(geometry["coordinates"])
    return [min(xs), min(ys), max(xs), max(ys)]


def _coverage(page, bounds):
    """The share of the map's width and height the bbox [w, s, e, n] covers on screen."""
    return page.evaluate("""b => {
        const m = window.__happymap.map, size = m.getSize();
        const sw = m.latLngToContainerPoint([b[1], b[0]]), ne = m.latLngToContainerPoint([b[3], b[2]]);
        return {w: (ne.x - sw.x) / size.x, h: (sw.y - ne.y) / size.y};
    }""", bounds)


def _wait_view(page):
    wait_still(page, "() => { const c = window.__happymap.map.getCenter(); return [c.lat, c.lng, "
                     "window.__happymap.map.getZoom()]; }")


@pytest.mark.parametrize(("user", "layer", "scope"), [("dong01", "dongs", "dong_ids"),
                                                   ("tongjang01", "tracts", "tract_ids")])
def test_phone_opens_on_the_users_own_area(browser, live_server, shots, user, layer, scope):
    """A 동 담당 on their dong, a 통장 on their tract: it covers ≥ 60 % of the map's width or height, all on screen."""
    page = _phone(browser, live_server)
    try:
        sign_in(page, user)
        _wait_view(page)
        owned = live_server.get("/auth/me", user)[scope]
        assert len(owned) == 1
        own = owned[0]
        features = live_server.get(f"/layers/{layer}", user)["features"]
        area = next(f for f in features if f["properties"]["id"] == own)
        cover = _coverage(page, _bbox(area["geometry"]))
        assert max(cover["w"], cover["h"]) >= 0.6, cover
        assert cover["w"] <= 1.05 and cover["h"] <= 1.05, cover  # the whole area is on screen
        page.screenshot(path=str(shots / f"phone-fit-{user}.png"))
    finally:
        _close(page)


def test_high_risk_point_drawn_on_top_at_a_crowded_spot(browser, live_server, shots):
    page = _phone(browser, live_server)
    try:
        sign_in(page, "dong01")
        _wait_view(page)
        # The high point with the most other points overlapping its disc on screen, at the zoom the phone opened at.
        spot = page.evaluate("""() => {
            const hm = window.__happymap, pts = hm.visibleIds().map(id => hm.describePoint(id)).filter(Boolean);
            const inside = (p) => p.x > 20 && p.x < innerWidth - 20 && p.y > 120 && p.y < innerHeight - 120;
            let best = null;
            for (const p of pts) {
                if (p.risk_level !== 'high' || !inside(p)) continue;
                const under = pts.filter(q => q.id !== p.id && q.risk_level !== 'high'
                    && Math.hypot(q.x - p.x, q.y - p.y) < p.radius + q.radius).length;
                if (!best || under > best.under) best = {...p, under};
            }
            return best;
        }""")
        assert spot and spot["under"] >= 2, spot  # a real pile: at least two other points under the red one
        hide_overlays(page)
        wait_frames(page)
        image = Image.open(BytesIO(page.screenshot())).convert("RGB")
        scale = PHONE["device_scale_factor"]
        x, y = round(spot["x"] * scale), round(spot["y"] * scale)
        assert image.getpixel((x, y)) == RED, (spot, image.getpixel((x, y)))
        page.screenshot(path=str(shots / "phone-crowded-dong01.png"),
                        clip={"x": max(0, spot["x"] - 60), "y": max(0, spot["y"] - 60), "width": 120, "height": 120})
    finally:
        _close(page)


# ---- 오늘의 순회 ----

def _tract_of(live_server, user="dong01", min_households=6):
    """A tract of the user's dong with enough active households for a round."""
    me = live_server.get("/auth/me", user)
    tracts = live_server.get("/layers/tracts", user)["features"]
    mine = [f["properties"] for f in tracts if f["properties"]["dong_id"] in me["dong_ids"]]
    mine.sort(key=lambda p: -sum(p["counts"].values()))
    for p in mine:
        if sum(p["counts"].values()) >= min_households:
            return p["id"]
    raise AssertionError("no tract with households")


def test_round_list_in_the_servers_route_order(browser, live_server, shots):
    tract_id = _tract_of(live_server)
    expected = live_server.get(f"/rounds/tracts/{tract_id}", "dong01")
    page = _phone(browser, live_server)
    try:
        sign_in(page, "dong01")
        # Through the tract filter of the list, as a person would.
        page.click("#list-toggle")
        page.select_option("#f-dong", str(expected["tract"]["dong_id"]))
        wait_until(page, "id => [...document.querySelectorAll('#f-tract option')].some(o => o.value === String(id))",
                   tract_id)
        page.select_option("#f-tract", str(tract_id))
        wait_until(page, "() => !document.querySelector('#round-button').hidden")
        page.click("#round-button")
        wait_until(page, "() => (window.__happymap.roundIds() || []).length > 0")
        ids = page.evaluate("window.__happymap.roundIds()")
        assert ids == [hh["id"] for hh in expected["households"]]
        rows = page.locator(".round-item")
        assert rows.count() == len(ids)
        first = expected["households"][0]
        assert rows.nth(0).get_attribute("data-order") == "1"
        assert "round-next" in rows.nth(0).get_attribute("class")
        text = rows.nth(0).inner_text()
        assert first["address"] in text and "m" in text
        assert page.locator("#round-view h2").inner_text().startswith("오늘의 순회")
        page.screenshot(path=str(shots / "phone-round-list.png"))

        # A phone call recorded from the round: saved once, and the next household is highlighted.
        page.locator(".round-item").nth(0).locator(".round-phone").click()
        assert page.locator(".round-card input[name=contact_type][value=phone]").is_checked()
        page.screenshot(path=str(shots / "phone-round-household.png"))
        page.locator(".round-card button[type=submit]").click()
        wait_until(page, "id => window.__happymap.roundNextId() === id", expected["households"][1]["id"])
        assert "round-next" in rows.nth(1).get_attribute("class")
        wait_until(page, "async () => (await window.__happymap.draftCount()) === 0")
        with live_server.sessions() as s:
            last = s.execute(select(Visit).where(Visit.household_id == first["id"])
                             .order_by(Visit.id.desc()).limit(1)).scalar_one()
            assert last.contact_type == "phone"

        # Tapping a row (online) opens the household panel; closing it brings the round back.
        rows.nth(2).locator(".round-row-open").click()
        wait_until(page, "() => !document.querySelector('#household-panel').hidden"
                         " && document.querySelector('#household-panel .hh-address')")
        assert page.locator("#round-view").is_hidden()
        wait_still(page, RECT, "#household-panel")
        _wait_view(page)
        page.screenshot(path=str(shots / "phone-round-panel.png"))
        page.click("#household-panel .panel-close")
        wait_until(page, "() => !document.querySelector('#round-view').hidden")
    finally:
        _close(page)


# ---- without a signal ----

NOTE = "지하 계단에서 기록 (오프라인)"


def _round_by_filter(page, live_server, tract_id):
    """Open 오늘의 순회 of a tract from its map menu."""
    page.evaluate("id => window.__happymap.openTractMenu(id)", tract_id)
    page.locator(".tract-menu button", has_text="오늘의 순회").click()
    wait_until(page, "() => (window.__happymap.roundIds() || []).length > 0")
    return page.evaluate("window.__happymap.roundIds()")


def _record(page, household_id, notes, kind=".round-visit"):
    row = page.locator(f".round-item[data-id='{household_id}']")
    row.locator(kind).click()
    page.fill(".round-card textarea[name=notes]", notes)
    before = _drafts(page)
    page.locator(".round-card button[type=submit]").click()
    wait_until(page, "() => !document.querySelector('.round-card') && /저장했습니다/.test("
                     "document.querySelector('.round-note').textContent)")
    wait_until(page, "n => window.__happymap.draftCount().then(c => c === n + 1)", before)


def _visits(live_server, household_id, notes=None):
    with live_server.sessions() as s:
        q = select(func.count()).select_from(Visit).where(Visit.household_id == household_id)
        if notes is not None:
            q = q.where(Visit.notes == notes)
        return s.execute(q).scalar_one()


def _drafts(page):
    return page.evaluate("window.__happymap.draftCount()")


def test_offline_visit_survives_an_offline_reload_and_syncs_once(browser, live_server, shots):
    tract_id = _tract_of(live_server)
    page = _phone(browser, live_server)
    context = page.context
    try:
        sign_in(page, "dong01")
        ids = _round_by_filter(page, live_server, tract_id)
        target = ids[3]
        before = _visits(live_server, target)
        page.click("#round-download")
        wait_until(page, "() => /받아 두었습니다/.test(document.querySelector('.round-note').textContent)")
        wait_until(page, "() => window.__happymap.shellReady()")

        context.set_offline(True)
        wait_until(page, "() => /오프라인입니다/.test(document.querySelector('#offline-banner').textContent)")
        _record(page, target, NOTE)
        assert _drafts(page) == 1
        wait_until(page, "() => /보낼 기록 1건/.test(document.querySelector('#offline-banner').textContent)")
        page.screenshot(path=str(shots / "phone-offline-banner.png"))

        # Reloaded without a signal: the app comes from the service worker's cache, the round and the draft from
        # the sealed store once the password opens it. A wrong password says so and wipes nothing.
        page.reload()
        wait_until(page, "() => !document.querySelector('#unlock-view').hidden")
        assert page.input_value("#unlock-username") == "dong01"
        page.fill("#unlock-password", "wrong-password-1")
        page.click("#unlock-submit")
        wait_until(page, "() => !document.querySelector('#unlock-message').hidden")
        assert "지워지지 않았습니다" in page.inner_text("#unlock-message")
        assert _drafts(page) == 1
        page.fill("#unlock-password", DEMO_PASSWORD)
        page.click("#unlock-submit")
        wait_until(page, "() => (window.__happymap.roundIds() || []).length > 0")
        assert page.evaluate("window.__happymap.roundIds()") == ids
        draft = page.locator(f".draft[data-household='{target}']")
        assert draft.count() == 1 and "연결되면 보냅니다" in draft.inner_text()
        assert page.locator("#offline-banner").is_visible()
        page.screenshot(path=str(shots / "phone-offline-reloaded.png"))
        assert _visits(live_server, target) == before

        # Back online: sign in again and the draft goes out exactly once.
        context.set_offline(False)
        wait_until(page, "() => !document.querySelector('#login-view').hidden")
        assert "1건" in page.inner_text("#login-message")
        page.fill("#login-username", "dong01")
        page.fill("#login-password", DEMO_PASSWORD)
        page.click("#login-submit")
        wait_until(page, "() => window.__happymap.ready === true", timeout=60)
        wait_until(page, "async () => (await window.__happymap.draftCount()) === 0")
        assert _visits(live_server, target, NOTE) == 1
        page.evaluate("window.dispatchEvent(new Event('online'))")  # a second sync finds nothing to send
        wait_frames(page)
        assert _visits(live_server, target) == before + 1
    finally:
        _close(page)


def test_conflicting_visit_is_shown_and_nothing_is_lost(browser, live_server, shots):
    tract_id = _tract_of(live_server)
    page = _phone(browser, live_server)
    try:
        sign_in(page, "dong01")
        ids = _round_by_filter(page, live_server, tract_id)
        target = ids[5]
        before = _visits(live_server, target)
        page.context.set_offline(True)
        wait_until(page, "() => !document.querySelector('#offline-banner').hidden")
        _record(page, target, "현관에서 면담 (충돌)")
        # Meanwhile a colleague records a visit to the same household.
        r = live_server.api("POST", f"/households/{target}/visits", "dong01", json={
            "visited_at": "2026-12-01T01:00:00Z", "contact_type": "visit", "visitor_types": ["official"],
            "notes": "동료가 먼저 방문"})
        assert r.status_code == 201, r.text
        page.context.set_offline(False)
        conflict = page.locator(f".draft-conflict[data-household='{target}']")
        wait_until(page, "id => document.querySelector(`.draft-conflict[data-household='${id}']`)", target)
        text = conflict.inner_text()
        assert "다른 사람이 이 가구를 먼저 기록했습니다" in text and "동료가 먼저 방문" in text
        assert conflict.locator("button", has_text="그래도 저장").is_visible()
        assert conflict.locator("button", has_text="버리기").is_visible()
        assert _drafts(page) == 1  # kept, not overwritten and not dropped
        assert _visits(live_server, target) == before + 1
        conflict.scroll_into_view_if_needed()
        page.screenshot(path=str(shots / "phone-conflict.png"))

        conflict.locator("button", has_text="그래도 저장").click()
        wait_until(page, "async () => (await window.__happymap.draftCount()) === 0")
        assert _visits(live_server, target) == before + 2
        assert _visits(live_server, target, "현관에서 면담 (충돌)") == 1
    finally:
        _close(page)


def test_refused_draft_is_kept_with_the_servers_message(browser, live_server):
    tract_id = _tract_of(live_server)
    page = _phone(browser, live_server)
    try:
        sign_in(page, "dong01")
        ids = _round_by_filter(page, live_server, tract_id)
        target = ids[-1]
        page.context.set_offline(True)
        wait_until(page, "() => !document.querySelector('#offline-banner').hidden")
        _record(page, target, "문이 잠겨 있음", kind=".round-phone")
        version = live_server.get(f"/households/{target}", "dong01")["version"]
        r = live_server.api("POST", f"/households/{target}/close", "dong01",
                            json={"reason": "moved_out", "version": version})
        assert r.status_code == 200, r.text
        page.context.set_offline(False)
        wait_until(page, "id => document.querySelector(`.draft-refused[data-household='${id}']`)", target)
        refused = page.locator(f".draft-refused[data-household='{target}']")
        message = refused.locator(".draft-message").inner_text()
        assert message and any("\uac00" <= ch <= "\ud7a3" for ch in message), message  # the server's Korean detail
        assert "종결" in message, message
        assert _drafts(page) == 1
        assert _visits(live_server, target, "문이 잠겨 있음") == 0
    finally:
        _close(page)



def test_draft_for_a_household_moved_out_of_the_area_is_kept(browser, live_server):
    tract_id = _tract_of(live_server)
    elsewhere = live_server.get("/households", "dong02", limit=1)["items"][0]  # a place in another dong
    page = _phone(browser, live_server)
    try:
        sign_in(page, "dong01")
        ids = _round_by_filter(page, live_server, tract_id)
        target = ids[-2]
        page.context.set_offline(True)
        wait_until(page, "() => !document.querySelector('#offline-banner').hidden")
        _record(page, target, "이사 전 기록")
        version = live_server.get(f"/households/{target}", "district")["version"]
        r = live_server.api("PATCH", f"/households/{target}", "district",
                            json={"lon": elsewhere["lon"], "lat": elsewhere["lat"], "version": version})
        assert r.status_code == 200 and r.json()["dong_id"] == elsewhere["dong_id"], r.text
        page.context.set_offline(False)
        wait_until(page, "id => document.querySelector(`.draft-refused[data-household='${id}']`)", target)
        message = page.locator(f".draft-refused[data-household='{target}'] .draft-message").inner_text()
        assert message == "담당 구역 밖으로 옮겨졌거나 삭제된 가구입니다."
        assert _drafts(page) == 1
        assert _visits(live_server, target, "이사 전 기록") == 0
    finally:
        _close(page)

def test_draft_waits_through_an_expired_sign_in_and_is_sent_after_the_next(browser, live_server):
    """A token the server no longer accepts (revoked, expired): the draft stays, the person is asked to sign in
    again with the count waiting, and the same person's next sign-in sends it once."""
    user = "dong03"
    tract_id = _tract_of(live_server, user)
    page = _phone(browser, live_server)
    try:
        sign_in(page, user)
        target = _round_by_filter(page, live_server, tract_id)[0]
        page.context.set_offline(True)
        wait_until(page, "() => !document.querySelector('#offline-banner').hidden")
        _record(page, target, "세션 만료 전 기록")
        with live_server.sessions() as s:  # every token of the account stops working, as after 12 hours
            s.execute(text("UPDATE auth_sessions SET revoked_at = now() WHERE revoked_at IS NULL AND user_id = "
                           "(SELECT id FROM users WHERE username = :u)"), {"u": user})
            s.commit()
        page.context.set_offline(False)
        wait_until(page, "() => !document.querySelector('#login-view').hidden")
        assert "다시 로그인하면 이 기기에 저장된 기록 1건을 보냅니다" in page.inner_text("#login-message")
        assert page.evaluate("async () => (await indexedDB.databases()).map(d => d.name)") == ["happymap-offline"]
        assert _visits(live_server, target, "세션 만료 전 기록") == 0
        sign_in(page, user)
        wait_until(page, "() => window.__happymap.draftCount().then(c => c === 0)")
        assert _visits(live_server, target, "세션 만료 전 기록") == 1
    finally:
        _close(page)
        live_server.tokens.pop(user, None)  # its API token was revoked too


def test_logout_wipes_indexeddb_and_caches(browser, live_server):
    tract_id = _tract_of(live_server)
    page = _phone(browser, live_server)
    try:
        sign_in(page, "dong01")
        _round_by_filter(page, live_server, tract_id)
        page.click("#round-download")
        wait_until(page, "() => window.__happymap.shellReady()")
        stored = page.evaluate("async () => ({dbs: (await indexedDB.databases()).map(d => d.name),"
                               " caches: await caches.keys()})")
        assert "happymap-offline" in stored["dbs"] and stored["caches"], stored
        # What is at rest is sealed: records are {id, iv, data}, and no address of the round is in their bytes.
        rest = page.evaluate("""() => new Promise(ok => { const r = indexedDB.open('happymap-offline');
            r.onsuccess = () => {
              const t = r.result.transaction(['rounds', 'meta']);
              const rounds = t.objectStore('rounds').getAll(), meta = t.objectStore('meta').get('info');
              t.oncomplete = () => {
                r.result.close();
                const text = (b) => new TextDecoder('utf-8', {fatal: false}).decode(b);
                ok({keys: rounds.result.map(x => Object.keys(x).sort().join()),
                    bytes: rounds.result.map(x => text(x.data)).join(''),
                    meta: Object.keys(meta.result).sort().join()});
              };
            }; })""")
        address = live_server.get(f"/rounds/tracts/{tract_id}", "dong01")["households"][0]["address"]
        assert rest["keys"] == ["data,id,iv"] and address not in rest["bytes"], rest["keys"]
        assert rest["meta"] == "check,expires_at,salt,username"  # no key, no password
        page.click("#logout-button")
        wait_until(page, "() => !document.querySelector('#login-view').hidden")
        left = page.evaluate("async () => ({dbs: (await indexedDB.databases()).map(d => d.name),"
                             " caches: await caches.keys(),"
                             " workers: (await navigator.serviceWorker.getRegistrations()).length})")
        assert left == {"dbs": [], "caches": [], "workers": 0}, left
    finally:
        _close(page)


def test_round_view_fits_360_px_and_1440_px(browser, live_server, shots):
    tract_id = _tract_of(live_server)
    for name, options in [("360", {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True}),
                          ("1440", {"viewport": {"width": 1440, "height": 900}})]:
        page = open_page(browser, live_server, **options)
        try:
            sign_in(page, "dong01")
            _round_by_filter(page, live_server, tract_id)
            box = page.evaluate("""() => { const r = document.querySelector('#round-view');
                return {scroll: r.scrollWidth, client: r.clientWidth, width: r.getBoundingClientRect().width}; }""")
            assert box["scroll"] <= box["client"], box  # nothing cut off sideways
            if name == "360":
                assert box["width"] == 360
            else:
                assert box["width"] < 500  # a panel beside the map, not over all of it
            page.screenshot(path=str(shots / f"round-{name}.png"))
        finally:
            _close(page)


def test_store_wiped_at_start_after_the_12_hour_limit(browser, live_server):
    tract_id = _tract_of(live_server)
    page = _phone(browser, live_server)
    try:
        sign_in(page, "dong01")
        _round_by_filter(page, live_server, tract_id)
        page.click("#round-download")
        wait_until(page, "() => window.__happymap.shellReady()")
        # The limit is stored beside the sealed data; move it into the past as 12 hours would.
        page.evaluate("""() => new Promise(ok => { const r = indexedDB.open('happymap-offline');
            r.onsuccess = () => { const s = r.result.transaction('meta', 'readwrite').objectStore('meta');
              const g = s.get('info');
              g.onsuccess = () => { s.put({...g.result, expires_at: Date.now() - 1000}, 'info').onsuccess = () => {
                r.result.close(); ok(); }; }; }; })""")
        page.context.set_offline(True)
        page.reload()  # the start checks the limit before anything is shown
        wait_until(page, "() => !document.querySelector('#login-view').hidden"
                         " && /12시간/.test(document.querySelector('#login-message').textContent)")
        assert page.locator("#unlock-view").is_hidden()
        left = page.evaluate("async () => ({dbs: (await indexedDB.databases()).map(d => d.name),"
                             " caches: await caches.keys()})")
        assert left == {"dbs": [], "caches": []}, left
    finally:
        _close(page)


def test_disabled_account_wipes_the_phone_at_the_next_sync(browser, live_server):
    user = "dong02"
    me = live_server.get("/auth/me", user)
    tracts = live_server.get("/layers/tracts", user)["features"]
    tract_id = max((f["properties"] for f in tracts if f["properties"]["dong_id"] in me["dong_ids"]),
                   key=lambda p: sum(p["counts"].values()))["id"]
    account = next(u for u in live_server.get("/admin/users", "admin", q=user)["items"] if u["username"] == user)
    page = _phone(browser, live_server)
    try:
        sign_in(page, user)
        ids = _round_by_filter(page, live_server, tract_id)
        page.click("#round-download")
        wait_until(page, "() => window.__happymap.shellReady()")
        page.context.set_offline(True)
        wait_until(page, "() => !document.querySelector('#offline-banner').hidden")
        _record(page, ids[0], "사용 중지 전 기록")
        r = live_server.api("PATCH", f"/admin/users/{account['id']}", "admin",
                            json={"is_active": False, "version": account["version"]})
        assert r.status_code == 200, r.text
        page.context.set_offline(False)
        wait_until(page, "() => !document.querySelector('#login-view').hidden")
        assert "사용이 중지된 계정" in page.inner_text("#login-message")
        wait_until(page, "async () => (await indexedDB.databases()).length === 0 && (await caches.keys()).length === 0")
        assert _visits(live_server, ids[0], "사용 중지 전 기록") == 0
    finally:
        _close(page)
        now = next(u for u in live_server.get("/admin/users", "admin", q=user)["items"] if u["username"] == user)
        if not now["is_active"]:
            live_server.api("PATCH", f"/admin/users/{account['id']}", "admin",
                            json={"is_active": True, "version": now["version"]})
        live_server.tokens.pop(user, None)  # its sessions ended with the account
