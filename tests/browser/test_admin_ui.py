"""The administration page (/admin) in a real headless Chromium: an admin creates a dong account (bad input first:
a weak password, a taken username, no dong, a mismatched confirmation — Korean messages, nothing written), and that
account signs in on the map and sees only its dong; a stale edit answers 409 in Korean in the dialog; a locked
account is unlocked from the page and signs in again; the access review by month and its CSV (both recorded);
dong staff, 통장 and partners get a Korean "권한이 없습니다" panel and 403 from the API; the map's 관리 link only
for admins and district staff; screenshots at 1440 and 360 px."""
import httpx
import pytest
from sqlalchemy import func, select

from app.access.models import AccessRecord
from app.auth.models import PermissionEvent, User
from app.config import get_settings
from app.households.models import Household
from tests.browser.ui import DEMO_PASSWORD, open_page, sign_in, wait_until

pytestmark = pytest.mark.browser

WIDE = {"width": 1440, "height": 900}
PHONE = {"width": 360, "height": 740}
NEW_USER = "cheonyeon.staff"
NEW_PASSWORD = "천연동-담당-2026-봄비"
CHEONYEON = 1  # dong01's dong, 천연동


def admin_sign_in(page, username: str = "admin", password: str = DEMO_PASSWORD) -> None:
    page.goto("/admin")
    page.fill("#login-username", username)
    page.fill("#login-password", password)
    page.click("#login-submit")
    wait_until(page, "() => window.__happymapAdmin && window.__happymapAdmin.ready === true", timeout=60)


def counts(live_server) -> tuple[int, int]:
    with live_server.sessions() as s:
        return (s.scalar(select(func.count()).select_from(User)),
                s.scalar(select(func.count()).select_from(PermissionEvent)))


def user_row(live_server, username: str) -> User | None:
    with live_server.sessions() as s:
        return s.scalars(select(User).where(User.username == username)).first()


def dialog_message(page) -> str:
    message = page.locator("#account-dialog .job-message:not([hidden])").first
    message.wait_for(state="visible")
    return message.inner_text()


def submit_create(page, *, username=NEW_USER, password=NEW_PASSWORD, confirm=None, dongs=(CHEONYEON,)) -> None:
    form = page.locator("#create-form")
    form.locator("input[name=username]").fill(username)
    form.locator("input[name=display_name]").fill("천연동 새 담당")
    form.locator("select[name=role]").select_option("dong_staff")
    for box in form.locator("input[name=dong]").all():
        box.set_checked(int(box.get_attribute("value")) in dongs)
    form.locator("input[name=password]").fill(password)
    form.locator("input[name=password2]").fill(password if confirm is None else confirm)
    form.locator("button[type=submit]").click()


def test_admin_creates_a_dong_account_that_sees_only_its_dong(browser, live_server, shots):
    page = open_page(browser, live_server, viewport=WIDE)
    try:
        admin_sign_in(page)
        rows = page.locator("#account-table tbody tr")
        assert rows.count() >= 19 and page.locator("#account-table tr[data-username=dong01]").is_visible()
        assert "천연동" in page.locator("#account-table tr[data-username=dong01] .cell-area").inner_text()
        page.screenshot(path=str(shots / "admin-accounts-1440.png"), full_page=True)

        page.click("#acc-new")
        assert page.locator("#create-form").is_visible()
        before = counts(live_server)
        for kwargs, words in [({"password": "password2026!"}, "흔하거나"),
                              ({"password": "짧은암호1"}, "10자 이상"),
                              ({"username": "dong01"}, "이미 있는 아이디"),
                              ({"dongs": ()}, "담당 동을 하나 이상"),
                              ({"confirm": "다른-비밀번호-2026"}, "비밀번호 확인이 일치하지 않습니다")]:
            submit_create(page, **kwargs)
            wait_until(page, "w => document.querySelector('#account-dialog .job-message').textContent.includes(w)",
                       words)
            assert page.locator("#account-dialog").is_visible()
        assert counts(live_server) == before and user_row(live_server, NEW_USER) is None
        page.screenshot(path=str(shots / "admin-create-refused-1440.png"))

        submit_create(page)
        page.locator(f"#account-table tr[data-username='{NEW_USER}']").wait_for()
        assert not page.locator("#account-dialog").is_visible()
        row = page.locator(f"#account-table tr[data-username='{NEW_USER}']").inner_text()
        assert "동 담당" in row and "천연동" in row and "사용 중" in row
        created = user_row(live_server, NEW_USER)
        assert created.role == "dong_staff" and created.version == 1
        assert page.errors == []
    finally:
        page.context.close()

    # The new account signs in on the map and sees only 천연동.
    page = open_page(browser, live_server, viewport=WIDE)
    try:
        sign_in(page, NEW_USER, NEW_PASSWORD)
        options = page.eval_on_selector_all("#f-dong option", "os => os.map(o => o.value).filter(Boolean)")
        assert options == [str(CHEONYEON)]
        ids = page.evaluate("window.__happymap.visibleIds()")
        listed = page.locator("#household-list li").count()
        assert ids and listed
        with live_server.sessions() as s:
            dongs = set(s.scalars(select(Household.dong_id).where(Household.id.in_(ids))))
        assert dongs == {CHEONYEON}
        assert page.locator("#admin-link").is_hidden()
        assert page.errors == []
    finally:
        page.context.close()


def test_stale_edit_answers_409_in_the_dialog(browser, live_server):
    r = live_server.api("POST", "/admin/users", "admin", json={
        "username": "stale.test", "password": NEW_PASSWORD, "role": "dong_staff", "dong_ids": [CHEONYEON]})
    assert r.status_code == 201, r.text
    user = r.json()
    page = open_page(browser, live_server, viewport=WIDE)
    try:
        admin_sign_in(page)
        page.fill("#acc-q", "stale.test")
        page.locator("#account-table tr[data-username='stale.test']").wait_for()
        page.click("#account-table tr[data-username='stale.test'] .edit-button")
        page.locator("#edit-form").wait_for()
        # A weak new password: Korean, nothing changed.
        page.fill("#account-dialog input[name=new-password]", "qwerty12345")
        page.fill("#account-dialog input[name=new-password2]", "qwerty12345")
        page.click("#edit-password")
        assert "흔하거나" in dialog_message(page)
        assert user_row(live_server, "stale.test").version == user["version"]
        # Someone else edits the account meanwhile: saving what the dialog read is refused in Korean.
        other = live_server.api("PATCH", f"/admin/users/{user['id']}", "district",
                                json={"version": user["version"], "display_name": "구청에서 바꾼 이름"})
        assert other.status_code == 200, other.text
        page.fill("#edit-form input[name=display_name]", "화면에서 바꾼 이름")
        page.click("#edit-save")
        wait_until(page, "() => document.querySelector('#account-dialog .job-message').textContent.includes('먼저')")
        assert "다른 관리자가 먼저" in dialog_message(page)
        assert user_row(live_server, "stale.test").display_name == "구청에서 바꾼 이름"
        assert page.errors == []
    finally:
        page.context.close()


def test_locked_account_is_unlocked_from_the_page(browser, live_server, shots):
    for _ in range(get_settings().login_max_failures):
        httpx.post(f"{live_server.url}/api/v1/auth/token", data={"username": "dong05", "password": "틀린-비밀번호-00"})
    refused = httpx.post(f"{live_server.url}/api/v1/auth/token", data={"username": "dong05", "password": DEMO_PASSWORD})
    assert refused.status_code == 401
    page = open_page(browser, live_server, viewport=WIDE)
    try:
        admin_sign_in(page)
        page.fill("#acc-q", "dong05")
        row = page.locator("#account-table tr[data-username=dong05]")
        row.wait_for()
        wait_until(page, "() => document.querySelectorAll('#account-table tbody tr').length === 1")
        assert "잠김" in row.inner_text()
        row.locator(".edit-button").click()
        assert page.locator("#edit-unlock").is_enabled()
        page.screenshot(path=str(shots / "admin-edit-locked-1440.png"))
        page.click("#edit-unlock")
        assert "잠금을 풀었습니다" in dialog_message(page)
        assert page.locator("#edit-unlock").is_disabled()
        wait_until(page, "() => !document.querySelector('#account-table tr[data-username=dong05]')"
                         ".textContent.includes('잠김')")
        with live_server.sessions() as s:
            event = s.scalars(select(PermissionEvent).order_by(PermissionEvent.id.desc()).limit(1)).one()
        assert event.action == "unlock" and event.actor == "admin"
        page.click("#account-dialog .dialog-foot button")
        page.click("#tab-history")
        page.locator("#history-table tbody tr").first.wait_for()
        first = page.locator("#history-table tbody tr").first.inner_text()
        assert "잠금 해제" in first and "dong05" in first and "admin" in first
    finally:
        page.context.close()
    page = open_page(browser, live_server, viewport=WIDE)
    try:
        sign_in(page, "dong05")
    finally:
        page.context.close()


def test_access_review_by_month_and_its_export(browser, live_server, shots, tmp_path):
    live_server.get("/households", "dong01")  # at least one record this month
    page = open_page(browser, live_server, viewport=WIDE, accept_downloads=True)
    try:
        admin_sign_in(page)
        page.click("#tab-review")
        page.locator("#review-top tbody tr").first.wait_for()
        month = page.input_value("#review-month")
        assert month == f"{get_settings().today():%Y-%m}"
        assert "dong01" in page.locator("#review-top").inner_text()
        for table in ("#review-offhours", "#review-bulk", "#review-downloads"):
            assert page.locator(table).is_visible()
        with live_server.sessions() as s:
            read = s.scalars(select(AccessRecord).order_by(AccessRecord.id.desc()).limit(1)).one()
        assert read.username == "admin" and read.action == "read" and month in read.purpose
        page.screenshot(path=str(shots / "admin-review-1440.png"), full_page=True)

        with page.expect_download() as info:
            page.click("#review-export")
        download = info.value
        assert download.suggested_filename == f"접속기록점검-{month}.csv"
        saved = tmp_path / download.suggested_filename
        download.save_as(saved)
        text = saved.read_bytes().decode("utf-8-sig")
        assert text.startswith(f"접속기록 월간 점검 — {month}") and "dong01" in text
        with live_server.sessions() as s:
            exported = s.scalars(select(AccessRecord).order_by(AccessRecord.id.desc()).limit(1)).one()
        assert exported.action == "export" and exported.username == "admin"

        # An earlier month from the picker: read again, that month's (empty) review.
        choices = page.eval_on_selector_all("#review-month option", "os => os.map(o => [o.value, o.text])")
        assert choices[0] == [month, f"{int(month[:4])}년 {int(month[5:])}월"] and len(choices) == 36
        page.select_option("#review-month", choices[-1][0])
        wait_until(page, "m => document.querySelector('#review-result strong').textContent.startsWith(m)",
                   choices[-1][0])
        assert "전체 기록 0건" in page.locator("#review-result strong").inner_text()
        assert page.errors == []
    finally:
        page.context.close()


def test_phone_width_accounts_and_review(browser, live_server, shots):
    page = open_page(browser, live_server, viewport=PHONE)
    try:
        admin_sign_in(page)
        page.locator("#account-table tr[data-username=dong01]").wait_for()
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"the accounts page scrolls sideways at 360 px ({width})"
        page.screenshot(path=str(shots / "admin-accounts-360.png"))
        page.click("#account-table tr[data-username=dong01] .edit-button")
        page.locator("#edit-form").wait_for()
        page.screenshot(path=str(shots / "admin-edit-360.png"))
        page.click("#account-dialog .dialog-foot button")
        page.click("#tab-review")
        page.locator("#review-top tbody tr").first.wait_for()
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        page.screenshot(path=str(shots / "admin-review-360.png"))
        assert page.errors == []
    finally:
        page.context.close()


@pytest.mark.parametrize("username", ["dong01", "tongjang01", "partner01"])
def test_others_get_a_korean_403_panel(browser, live_server, shots, username):
    page = open_page(browser, live_server, viewport=PHONE if username == "dong01" else WIDE)
    try:
        admin_sign_in(page, username)
        assert page.locator("#forbidden").is_visible() and page.locator("#admin-main").is_hidden()
        assert "권한이 없습니다" in page.locator("#forbidden h2").inner_text()
        if username == "dong01":
            page.screenshot(path=str(shots / "admin-forbidden-360.png"))
        assert page.errors == []
    finally:
        page.context.close()
    for path in ("/admin/users", "/admin/permission-events", "/admin/access-review"):
        r = live_server.api("GET", path, username)
        assert r.status_code == 403 and r.json()["detail"] == "권한이 없습니다."


def test_map_header_links_to_administration_for_managers_only(browser, live_server, shots):
    for username, shown in (("district", True), ("dong01", False)):
        page = open_page(browser, live_server, viewport=PHONE if shown else WIDE)
        try:
            sign_in(page, username)
            assert page.locator("#admin-link").is_visible() is shown
            if shown:
                page.screenshot(path=str(shots / "map-header-admin-link-360.png"))
            if shown:
                page.click("#admin-link")
                page.locator("#login-form").wait_for()
                assert page.url.endswith("/admin")
                admin_sign_in(page, username)
                roles = page.eval_on_selector_all("#acc-role option", "os => os.map(o => o.value)")
                assert "admin" in roles  # the filter lists every role
                page.click("#acc-new")
                created_roles = page.eval_on_selector_all("#create-form select[name=role] option",
                                                          "os => os.map(o => o.value)")
                assert "admin" not in created_roles and "dong_staff" in created_roles
        finally:
            page.context.close()
