"""The 가져오기 page (/imports) in a real headless Chromium against the real server: a household list (.xlsx made
here with openpyxl) is uploaded, its preview shows the counts and an error row in Korean, the column mapping is
fixed and previewed again, the commit is confirmed and the new households appear in the map page's list and on
its map; a PNG renamed .xlsx is refused with the server's Korean message in the page (no alert, nothing stored);
a CP949 CSV's unplaced row is placed by a click on the map (the household exists at that point) and a row
someone else placed meanwhile answers 409 in Korean; the registry inbox applies a death (the household closes)
and dismisses a change with a reason; the 발굴 round's progress, its results download and the map's round filter;
every tab at 1440 and 360 px."""
import csv
import io
import re

import openpyxl
import pytest
from sqlalchemy import func, select, text

from app.households.models import Household
from app.imports.models import ImportBatch
from tests.browser.ui import DEMO_PASSWORD, open_page, sign_in, wait_until

pytestmark = pytest.mark.browser

OFFICIAL = "dong01"  # 천연동
CHEONYEON = "천연동"
WIDE = {"width": 1440, "height": 900}
PHONE = {"width": 360, "height": 740}
ROUND = "2026-6차"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
       b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")


def xlsx(headers: list[str], rows: list[list], title: str | None = "2026년 위기가구 명단") -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    if title:
        sheet.append([title])
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def cp949_csv(headers: list[str], rows: list[list]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(headers)
    writer.writerows(rows)
    return out.getvalue().encode("cp949")


def free_addresses(live_server, dong: str, n: int, skip: int = 0) -> list[str]:
    """Addresses of the synthetic address table inside a dong where no household lives yet (each a new one)."""
    with live_server.sessions() as s:
        rows = s.execute(text("""
            SELECT e.sido || ' ' || e.sigungu || ' ' || e.road_name || ' ' || e.main_no
                   || CASE WHEN e.sub_no > 0 THEN '-' || e.sub_no ELSE '' END
            FROM address_entrances e JOIN dongs d ON ST_Covers(d.geom, e.geom)
            WHERE d.name = :dong AND NOT e.building_group
            ORDER BY e.id OFFSET :skip LIMIT :n"""), {"dong": dong, "n": n, "skip": skip}).scalars().all()
    assert len(rows) == n
    return list(rows)


def dong_point(live_server, dong: str) -> tuple[float, float]:
    """A point well inside a dong (lon, lat)."""
    with live_server.sessions() as s:
        return tuple(s.execute(text("SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) AS p FROM dongs "
                                    "WHERE name = :d) q"), {"d": dong}).one())


def import_count(live_server) -> int:
    with live_server.sessions() as s:
        return s.scalar(select(func.count()).select_from(ImportBatch))


def households_named(live_server, name: str) -> list[Household]:
    with live_server.sessions() as s:
        return list(s.scalars(select(Household).where(Household.head_name == name)).all())


def imports_sign_in(page, username: str = OFFICIAL, path: str = "/imports") -> None:
    page.goto(path)
    page.fill("#login-username", username)
    page.fill("#login-password", DEMO_PASSWORD)
    page.click("#login-submit")
    wait_until(page, "() => window.__happymapImports && window.__happymapImports.ready === true", timeout=60)


def upload_in_page(page, kind: str, name: str, content: bytes, mime: str, round_name: str | None = None) -> None:
    page.select_option("#imp-kind", kind)
    page.set_input_files("#imp-file", files=[{"name": name, "mimeType": mime, "buffer": content}])
    if round_name is not None:
        page.fill("#imp-round", round_name)
    page.click("#imp-submit")
    wait_until(page, "() => { const q = (s) => document.querySelector(s); return !q('#imp-submit').disabled && "
                     "(!q('#imp-preview').hidden || !q('#imp-message').hidden); }", timeout=60)


def chip_count(page, outcome: str) -> int:
    return int(page.locator(f"#imp-counts .count-chip[data-outcome='{outcome}'] .chip-count").inner_text()
               .replace(",", ""))


def wait_rows(page) -> None:
    wait_until(page, "() => window.__happymapImports.upload.rowsLoaded")


def commit_in_page(page, shots, name: str | None = None) -> None:
    page.click("#imp-commit")
    dialog = page.locator("#commit-dialog")
    dialog.wait_for(state="visible")
    if name:
        page.screenshot(path=str(shots / name))
    dialog.locator("#commit-go").click()
    page.locator("#imp-summary").wait_for(state="visible")


def api_import(live_server, username: str, kind: str, name: str, content: bytes, **form) -> dict:
    r = live_server.api("POST", "/imports", username, files={"file": (name, content)}, data={"kind": kind, **form})
    assert r.status_code == 201, r.text
    preview = r.json()
    r = live_server.api("POST", f"/imports/{preview['id']}/commit", username, json={"version": preview["version"]})
    assert r.status_code == 200, r.text
    return r.json()


def closed_page(page) -> None:
    try:
        assert page.errors == [], f"script errors: {page.errors}"
        assert page.external == [], f"requests outside the app: {page.external}"
        assert page.dialogs == [], f"alerts or confirms: {page.dialogs}"
    finally:
        page.context.close()


HOUSEHOLD_HEADERS = ["연번", "성명", "생년월일", "주소", "실거주지", "상세주소", "휴대폰", "세대원수", "비고"]
NOWHERE = "서울특별시 서대문구 없는로 999"


def test_upload_a_household_list_fix_the_mapping_and_commit(browser, live_server, shots):
    addresses = free_addresses(live_server, CHEONYEON, 3)
    names = ["한가람", "윤새벽", "서다온"]
    # 주소 is where they are registered (no building of the table), 실거주지 where they live: both headers name the
    # address, the server picks the first, the person corrects it to 실거주지.
    rows = [[i + 1, names[i], "1948-03-02", NOWHERE, addresses[i], f"{101 + i}호", "010-1234-5678", 2, None]
            for i in range(3)]
    rows.append([4, None, "1950-01-01", NOWHERE, addresses[0], "2층", None, 1, "이름 없음"])  # an error row
    rows.append([5, "문하늘", "1955-05-05", NOWHERE, NOWHERE, None, None, 1, None])  # no such address
    content = xlsx(HOUSEHOLD_HEADERS, rows)
    page = open_page(browser, live_server, viewport=WIDE)
    try:
        imports_sign_in(page)
        assert page.locator("#tab-upload").get_attribute("aria-selected") == "true"
        page.screenshot(path=str(shots / "imports-upload-1440.png"), full_page=True)
        upload_in_page(page, "households", "천연동-위기가구.xlsx", content,
                       XLSX)
        assert page.locator("#imp-message").is_hidden(), page.locator("#imp-message").inner_text()
        wait_rows(page)
        address_select = page.locator("#mapping-form select[data-field='address']")
        assert address_select.input_value() == "주소"
        assert chip_count(page, "unplaced") == 4 and chip_count(page, "error") == 1 and chip_count(page, "new") == 0
        first_error = page.locator("#rows-table tbody tr[data-outcome='error'] .row-error").first.inner_text()
        assert re.search(r"성명: .*필수", first_error), first_error
        page.screenshot(path=str(shots / "imports-preview-unmapped-1440.png"), full_page=True)

        # Fix the mapping: the address is the 실거주지 column; preview again.
        assert page.locator("#mapping-form details").get_attribute("open") is not None  # open: rows need care
        address_select.select_option("실거주지")
        page.click("#imp-remap")
        wait_until(page, "() => document.querySelector('#imp-message.ok') !== null")
        wait_rows(page)
        assert page.locator("#mapping-form select[data-field='address']").input_value() == "실거주지"
        assert chip_count(page, "new") == 3 and chip_count(page, "unplaced") == 1 and chip_count(page, "error") == 1
        assert page.locator("#rows-table tbody tr").count() == 5

        # The error chip filters the table to the one bad row, whose message names its column in Korean.
        page.click("#imp-counts .count-chip[data-outcome='error']")
        wait_until(page, "() => document.querySelectorAll('#rows-table tbody tr').length === 1")
        wait_rows(page)
        bad = page.locator("#rows-table tbody tr")
        assert bad.get_attribute("data-row") == "6"  # the sheet's row: a title row, the header, then rows 1..
        assert re.search(r"성명: .*필수", bad.locator(".row-error").inner_text())
        assert page.locator("#imp-counts .count-chip[data-outcome='error']").get_attribute("aria-pressed") == "true"
        page.screenshot(path=str(shots / "imports-preview-1440.png"), full_page=True)
        page.click("#imp-counts .count-chip[data-outcome='']")
        wait_until(page, "() => document.querySelectorAll('#rows-table tbody tr').length === 5")
        masked = page.locator("#rows-table tbody tr[data-outcome='new'] td[data-label='이름']").first.inner_text()
        assert "*" in masked  # names masked in the preview

        assert not households_named(live_server, names[0])  # nothing written at preview
        commit_in_page(page, shots, "imports-commit-confirm-1440.png")
        summary = page.locator("#imp-summary").inner_text()
        assert re.search(r"새 가구\s*3", summary) and re.search(r"위치 지정 대기\s*1", summary), summary
        assert re.search(r"반영 안 함\s*1", summary), summary
        assert page.locator("#go-queue").is_visible()
        page.screenshot(path=str(shots / "imports-committed-1440.png"), full_page=True)
        created = [households_named(live_server, n) for n in names]
        assert all(len(c) == 1 for c in created)
        ids = sorted(c[0].id for c in created)
        assert page.locator("#recent-table tbody tr[data-status='committed']").count() >= 1
    finally:
        closed_page(page)

    # The map page: the new households are in the list and on the map.
    page = open_page(browser, live_server, viewport=WIDE)
    try:
        sign_in(page, OFFICIAL)
        assert page.locator("#imports-link").is_visible()
        page.locator("#f-q").fill(names[0])
        wait_until(page, "id => [...document.querySelectorAll('#household-list .hh-row')].some(r => "
                         "r.dataset.id === String(id))", created[0][0].id)
        wait_until(page, "() => window.__happymap.pointsDrawn")
        visible = set(page.evaluate("window.__happymap.visibleIds()"))
        assert set(ids) <= visible
    finally:
        page.context.close()


def test_columns_the_server_cannot_name_are_chosen_in_the_page_and_the_file_goes_up_again(browser, live_server,
                                                                                         shots):
    (address,) = free_addresses(live_server, CHEONYEON, 1, skip=20)
    content = cp949_csv(["이름", "사는 곳", "전화"], [["바람결", address, "010-7777-8888"]])
    page = open_page(browser, live_server, viewport=WIDE)
    try:
        imports_sign_in(page)
        before = import_count(live_server)
        upload_in_page(page, "households", "열이름이다른명단.csv", content, "text/csv")
        message = page.locator("#imp-message")
        assert "주소" in message.inner_text() and "열" in message.inner_text(), message.inner_text()
        assert import_count(live_server) == before  # a question, nothing stored
        form = page.locator("#mapping-form")
        form.wait_for(state="visible")
        options = form.locator("select[data-field='address'] option").all_inner_texts()
        assert "사는 곳" in options and "(쓰지 않음)" in options
        page.screenshot(path=str(shots / "imports-mapping-required-1440.png"), full_page=True)
        form.locator("select[data-field='address']").select_option("사는 곳")
        if form.locator("select[data-field='head_name']").input_value() != "이름":
            form.locator("select[data-field='head_name']").select_option("이름")
        form.locator("#imp-remap").click()
        wait_until(page, "() => window.__happymapImports.upload.current !== null")
        wait_rows(page)
        assert chip_count(page, "new") == 1
        assert page.locator("#mapping-form select[data-field='address']").input_value() == "사는 곳"
        assert import_count(live_server) == before + 1
    finally:
        closed_page(page)


def test_a_png_named_xlsx_is_refused_in_korean_in_the_page(browser, live_server, shots):
    page = open_page(browser, live_server, viewport=WIDE)
    try:
        imports_sign_in(page)
        before = import_count(live_server)
        upload_in_page(page, "households", "명단.xlsx", PNG, XLSX)
        message = page.locator("#imp-message")
        message.wait_for(state="visible")
        assert re.search(r"[가-힣]{2,}", message.inner_text()), message.inner_text()
        assert page.locator("#imp-preview").is_hidden()
        assert import_count(live_server) == before  # nothing stored
        page.screenshot(path=str(shots / "imports-bad-file-1440.png"))
    finally:
        closed_page(page)


def place_in_page(page, lon: float, lat: float) -> dict:
    """Click the queue's map at (lon, lat); returns the point the page will send."""
    page.evaluate("([lat, lon]) => window.__happymapImports.queue.map.setView([lat, lon], 17, {animate: false})",
                  [lat, lon])
    x, y = page.evaluate("([lat, lon]) => { const p = window.__happymapImports.queue.map.latLngToContainerPoint("
                         "[lat, lon]); return [p.x, p.y]; }", [lat, lon])
    box = page.locator("#queue-map").bounding_box()
    page.mouse.click(box["x"] + x, box["y"] + y)
    wait_until(page, "() => !document.querySelector('#queue-place').disabled")
    return page.evaluate("window.__happymapImports.queue.point")


def test_placement_queue_a_click_on_the_map_places_the_household(browser, live_server, shots):
    headers = ["성명", "생년월일", "주소", "상세주소", "연락처"]
    rows = [["구름솔", "1944-02-02", "서울특별시 서대문구 가상의길 12", "1층", "010-5555-1212"],
            ["나무결", "1950-10-10", "서대문구 꿈속로 7-3", None, None]]
    content = cp949_csv(headers, rows)
    lon, lat = dong_point(live_server, CHEONYEON)
    page = open_page(browser, live_server, viewport=WIDE)
    try:
        imports_sign_in(page)
        upload_in_page(page, "households", "대기명단.csv", content, "text/csv")
        page.locator("#imp-preview").wait_for(state="visible")
        wait_rows(page)
        assert chip_count(page, "unplaced") == 2
        assert "구*솔" in page.locator("#rows-table").inner_text()  # the CP949 text read right, masked
        commit_in_page(page, shots)
        page.click("#go-queue")
        wait_until(page, "() => window.__happymapImports.tab() === 'queue' && !window.__happymapImports.queue.dirty")
        assert "#queue" in page.url
        items = page.locator("#queue-list .queue-item")
        mine = items.filter(has_text="가상의길 12")
        assert mine.count() == 1
        page.screenshot(path=str(shots / "imports-queue-1440.png"), full_page=True)
        total_before = live_server.get("/placement-queue", OFFICIAL)["total"]

        mine.locator(".queue-pick").click()
        page.locator("#queue-map").wait_for(state="visible")
        wait_until(page, "() => window.__happymapImports.queue.outlinesLoaded")
        point = place_in_page(page, lon, lat)
        page.screenshot(path=str(shots / "imports-queue-picked-1440.png"), full_page=True)
        page.click("#queue-place")
        wait_until(page, "() => document.querySelector('#queue-message.ok') !== null")
        assert "등록했습니다" in page.locator("#queue-message").inner_text()
        wait_until(page, "() => ![...document.querySelectorAll('#queue-list .queue-item')].some(li => "
                         "li.textContent.includes('가상의길 12'))")
        assert live_server.get("/placement-queue", OFFICIAL)["total"] == total_before - 1
        (placed,) = households_named(live_server, "구름솔")
        assert placed.placement == "manual"
        with live_server.sessions() as s:
            x, y = s.execute(select(Household.geom.ST_X(), Household.geom.ST_Y())
                             .where(Household.id == placed.id)).one()
        assert (x, y) == pytest.approx((point["lon"], point["lat"]), abs=1e-6)

        # Someone else places the other row meanwhile: the page's try answers 409 in Korean and the list reloads.
        other = page.locator("#queue-list .queue-item").filter(has_text="꿈속로")
        other.locator(".queue-pick").click()
        item_id = int(other.get_attribute("data-id"))
        version = next(i["version"] for i in live_server.get("/placement-queue", OFFICIAL, limit=200)["items"]
                       if i["id"] == item_id)
        r = live_server.api("POST", f"/placement-queue/{item_id}/place", OFFICIAL,
                            json={"lon": lon, "lat": lat, "version": version})
        assert r.status_code == 201, r.text
        place_in_page(page, lon + 0.0005, lat)
        page.click("#queue-place")
        wait_until(page, "() => { const m = document.querySelector('#queue-message'); return !m.hidden && "
                         "!m.classList.contains('ok'); }")
        assert re.search(r"[가-힣]", page.locator("#queue-message").inner_text())
        assert "목록을 새로 불러왔습니다" in page.locator("#queue-message").inner_text()
        assert page.locator(f"#queue-list .queue-item[data-id='{item_id}']").count() == 0
        assert len(households_named(live_server, "나무결")) == 1  # placed once, not twice
    finally:
        closed_page(page)


ROUND_FILE = "2026년 6차 복지사각지대 발굴대상자.xlsx"
ROUND_HEADERS = ["발굴관리번호", "읍면동", "성명", "생년월일", "주소", "연락처", "위기정보", "단수"]


def test_discovery_round_progress_results_file_and_the_map_filter(browser, live_server, shots, tmp_path):
    with live_server.sessions() as s:
        existing = s.scalars(select(Household).where(Household.status == "active", Household.dong_id == 1)
                             .order_by(Household.id).limit(1)).one()
    (fresh_address,) = free_addresses(live_server, CHEONYEON, 1, skip=10)
    rows = [["B-UI-0001", CHEONYEON, existing.head_name, None, existing.address, "010-1000-2000",
             "단전, 건강보험료 체납", "Y"],
            ["B-UI-0002", CHEONYEON, "여름빛", "1959-09-09", fresh_address, "010-3000-4000", "관리비 체납", None],
            ["B-UI-0003", CHEONYEON, "소재모름", "1970-01-01", "서울특별시 서대문구 없는로 404", None, "통신비 체납",
             None]]
    done = api_import(live_server, OFFICIAL, "discovery_list", ROUND_FILE, xlsx(ROUND_HEADERS, rows, title=None))
    assert done["round"] == ROUND
    import_id = done["id"]

    page = open_page(browser, live_server, viewport=WIDE, accept_downloads=True)
    try:
        imports_sign_in(page, path="/imports#rounds")
        wait_until(page, "() => window.__happymapImports.tab() === 'rounds' && !window.__happymapImports.rounds.dirty")
        row = page.locator(f"#rounds-table tbody tr[data-import-id='{import_id}']")
        assert row.locator("td[data-label='차수']").inner_text() == ROUND
        assert row.locator("td[data-label='대상']").inner_text().startswith("3")
        assert row.locator("td[data-label='미연락']").inner_text() == "3"
        page.screenshot(path=str(shots / "imports-rounds-1440.png"), full_page=True)

        # The results file: a purpose first (Korean refusal without one), then the download.
        row.locator(".round-export").click()
        dialog = page.locator("#discovery-export-dialog")
        dialog.wait_for(state="visible")
        dialog.locator("button[type=submit]").click()
        assert "사유" in dialog.locator(".job-message").inner_text()
        dialog.locator("select[name=purpose-choice]").select_option("발굴관리시스템 결과 입력")
        with page.expect_download() as download_info:
            dialog.locator("button[type=submit]").click()
        saved = tmp_path / "results.xlsx"
        download_info.value.save_as(saved)
        sheet = openpyxl.load_workbook(saved, read_only=True).active
        header = [c for c in next(sheet.iter_rows(values_only=True))]
        assert header[:len(ROUND_HEADERS)] == ROUND_HEADERS and "연락 결과" in header and "조사 결과" in header
        map_href = row.locator("a", has_text="지도에서 보기").get_attribute("href")
        dialog.locator("button", has_text="닫기").click()
    finally:
        closed_page(page)

    # The map opened from the round: the filter chosen, only the round's households listed and drawn.
    in_round = live_server.get("/households", OFFICIAL, round=ROUND)
    assert in_round["total"] == 2
    layer_ids = {f["id"] for f in live_server.get("/layers/households", OFFICIAL, round=ROUND)["features"]}
    page = open_page(browser, live_server, viewport=WIDE)
    try:
        sign_in(page, OFFICIAL, path=map_href)
        assert page.locator("#f-round").input_value() == ROUND and page.locator("#f-round-row").is_visible()
        wait_until(page, "n => document.querySelector('#list-count').dataset.total === String(n)", in_round["total"])
        wait_until(page, "() => window.__happymap.pointsDrawn")
        assert set(page.evaluate("window.__happymap.visibleIds()")) == layer_ids
        options = page.eval_on_selector_all("#f-round option", "os => os.map(o => o.value)")
        assert ROUND in options and "" in options

        # The list's export says the file is narrowed to the round (the export filters by it, as the list does).
        page.click("#export-button")
        assert f"발굴 {ROUND}" in page.locator("#export-dialog .job-note").first.inner_text()
        page.locator("#export-dialog button", has_text="닫기").click()

        # The household panel: its 발굴 entry with the list's signals, and the 조사 result recorded there.
        page.locator(f"#household-list .hh-row[data-id='{existing.id}']").click()
        entry = page.locator(f"#household-panel .discovery-item[data-import-id='{import_id}']")
        entry.wait_for(state="visible")
        assert "단전" in entry.locator(".discovery-signals").inner_text()
        entry.locator("button[type=submit]").click()  # nothing chosen: a Korean message, nothing sent
        assert "고르세요" in entry.locator(".form-message").inner_text()
        entry.locator("select[name=contact]").select_option("reached")
        entry.locator("select[name=outcome]").select_option("basic_livelihood")
        entry.locator("textarea[name=note]").fill("기초생활보장 신청 안내")
        entry.locator("button[type=submit]").click()
        entry.locator(".saved-note").wait_for(state="visible")
        assert "연락됨 · 기초생활보장" in entry.locator(".discovery-status").inner_text()
        page.screenshot(path=str(shots / "map-discovery-panel-1440.png"))
        progress = next(r for r in live_server.get("/discovery/rounds", OFFICIAL)["items"]
                        if r["import_id"] == import_id)
        assert progress["reached"] == 1 and progress["outcomes"]["basic_livelihood"] == 1
        assert progress["not_contacted"] == 2

        # Back to every household: the filter is a choice like the others.
        page.select_option("#f-round", "")
        wait_until(page, "() => !window.location.hash.includes('round=')")
    finally:
        closed_page(page)


REGISTRY_HEADERS = ["변동구분", "성명", "생년월일", "주소", "변동일"]


def test_registry_inbox_apply_a_death_and_dismiss_with_a_reason(browser, live_server, shots):
    with live_server.sessions() as s:
        first, second = s.scalars(select(Household).where(Household.status == "active", Household.dong_id == 1)
                                  .order_by(Household.id.desc()).limit(2)).all()
    rows = [["사망", first.head_name, None, first.address, "2026-11-30"],
            ["사망", second.head_name, None, second.address, "2026-11-29"],
            ["사망", "없는사람", "1930-01-01", "서울특별시 서대문구 없는로 1", "2026-11-28"]]
    page = open_page(browser, live_server, viewport=WIDE)
    try:
        imports_sign_in(page)
        upload_in_page(page, "registry_changes", "2026-11-주민등록변동.xlsx", xlsx(REGISTRY_HEADERS, rows, title=None),
                       XLSX)
        assert page.locator("#imp-message").is_hidden(), page.locator("#imp-message").inner_text()
        wait_rows(page)
        commit_in_page(page, shots, "imports-commit-registry-1440.png")
        summary = page.locator("#imp-summary").inner_text()
        assert re.search(r"확인 대기\s*2", summary) and re.search(r"일치하는 가구 없음\s*1", summary), summary
        with live_server.sessions() as s:
            assert s.get(Household, first.id).status == "active"  # nothing applied without a person
        page.click("#go-inbox")
        wait_until(page, "() => window.__happymapImports.tab() === 'inbox' && !window.__happymapImports.inbox.dirty")
        assert page.locator("#inbox-filter input[value=pending]").is_checked()
        pending = live_server.get("/registry-changes", OFFICIAL, status="pending")["items"]
        death = next(i for i in pending if i["household"] and i["household"]["id"] == first.id)
        other = next(i for i in pending if i["household"] and i["household"]["id"] == second.id)
        card = page.locator(f"#inbox-list .inbox-item[data-id='{death['id']}']")
        assert death["proposal"]["label"] in card.locator(".inbox-proposal").inner_text()
        assert f"#{first.id}" in card.locator(".inbox-household").inner_text()
        page.screenshot(path=str(shots / "imports-inbox-1440.png"), full_page=True)

        card.locator(".inbox-apply").click()
        wait_until(page, "() => document.querySelector('#inbox-message.ok') !== null")
        assert page.locator(f"#inbox-list .inbox-item[data-id='{death['id']}']").count() == 0
        with live_server.sessions() as s:
            closed = s.get(Household, first.id)
            assert closed.status == "closed" and closed.closed_reason == "death"

        # 반영 안 함 needs a reason: none → a Korean message, nothing sent; then the reason is kept.
        card = page.locator(f"#inbox-list .inbox-item[data-id='{other['id']}']")
        card.locator(".inbox-dismiss").click()
        card.locator(".dismiss-form button[type=submit]").click()
        assert "사유" in card.locator(".dismiss-form .form-message").inner_text()
        assert live_server.get("/registry-changes", OFFICIAL, status="pending")["total"] >= 1
        page.screenshot(path=str(shots / "imports-inbox-dismiss-1440.png"), full_page=True)
        card.locator("textarea[name=reason]").fill("동명이인: 주소가 같지만 다른 사람")
        card.locator(".dismiss-form button[type=submit]").click()
        wait_until(page, "id => !document.querySelector(`#inbox-list .inbox-item[data-id='${id}']`)", other["id"])
        dismissed = live_server.get("/registry-changes", OFFICIAL, status="dismissed")["items"]
        assert next(i for i in dismissed if i["id"] == other["id"])["reason"] == "동명이인: 주소가 같지만 다른 사람"
        with live_server.sessions() as s:
            assert s.get(Household, second.id).status == "active"

        # The dismissed one, with its reason, under its own filter; the unmatched row under 일치하는 가구 없음.
        page.check("#inbox-filter input[value=dismissed]")
        wait_until(page, "() => window.__happymapImports.inbox.shown === 'dismissed'")
        page.locator(f"#inbox-list .inbox-item[data-id='{other['id']}'] .inbox-reason").wait_for(state="visible")
        page.check("#inbox-filter input[value=unmatched]")
        unmatched = page.locator("#inbox-list .inbox-item[data-status='unmatched']").first
        unmatched.wait_for(state="visible")
        assert "일치하는 가구가 없습니다" in unmatched.inner_text()
    finally:
        closed_page(page)


def no_sideways_scroll(page) -> None:
    width = page.evaluate("() => document.scrollingElement.scrollWidth")
    assert width <= 362, f"the page scrolls sideways at 360 px: {width}px"


def test_every_tab_at_360_px(browser, live_server, shots):
    # Its own queued row and round, so each tab has something to lay out.
    api_import(live_server, OFFICIAL, "households", "폰대기.csv",
               cp949_csv(["성명", "주소", "상세주소"], [["폰대기", "서울특별시 서대문구 상상로 3", "지하 1층 102호"]]))
    api_import(live_server, OFFICIAL, "discovery_list", "2026년 5차 발굴대상자.xlsx",
               xlsx(["성명", "주소", "위기정보"], [["오차수", NOWHERE, "단전"]], title=None))
    page = open_page(browser, live_server, viewport=PHONE)
    try:
        imports_sign_in(page)
        page.screenshot(path=str(shots / "imports-upload-360.png"), full_page=True)
        no_sideways_scroll(page)
        # A preview on a phone, then 취소: the preview is discarded and nothing is kept.
        content = cp949_csv(["성명", "주소", "연락처"], [["가나다", NOWHERE, "010-1111-2222"], [None, NOWHERE, None]])
        upload_in_page(page, "households", "폰에서.csv", content, "text/csv")
        wait_rows(page)
        page.screenshot(path=str(shots / "imports-preview-360.png"), full_page=True)
        no_sideways_scroll(page)
        import_id = page.evaluate("window.__happymapImports.upload.current.id")
        page.click("#imp-discard")
        wait_until(page, "() => document.querySelector('#imp-message.ok') !== null")
        assert live_server.get(f"/imports/{import_id}", OFFICIAL)["status"] == "discarded"

        page.click("#tab-queue")
        wait_until(page, "() => !window.__happymapImports.queue.dirty")
        page.locator("#queue-list .queue-item", has_text="상상로 3").locator(".queue-pick").click()
        wait_until(page, "() => window.__happymapImports.queue.outlinesLoaded")
        page.screenshot(path=str(shots / "imports-queue-360.png"))  # what the phone shows: the map, under the bar
        no_sideways_scroll(page)

        page.click("#tab-inbox")
        wait_until(page, "() => !window.__happymapImports.inbox.dirty")
        page.check("#inbox-filter input[value=dismissed]")
        wait_until(page, "() => window.__happymapImports.inbox.shown === 'dismissed'")
        page.screenshot(path=str(shots / "imports-inbox-360.png"), full_page=True)
        no_sideways_scroll(page)

        page.click("#tab-rounds")
        wait_until(page, "() => !window.__happymapImports.rounds.dirty")
        page.screenshot(path=str(shots / "imports-rounds-360.png"), full_page=True)
        no_sideways_scroll(page)
    finally:
        closed_page(page)

    page = open_page(browser, live_server, viewport=PHONE)
    try:
        sign_in(page, OFFICIAL)
        assert page.locator("#imports-link").is_visible()
        page.screenshot(path=str(shots / "map-topbar-360.png"))
        page.click("#list-toggle")
        page.locator("#f-round-row").wait_for(state="visible")
        page.locator("#f-round").scroll_into_view_if_needed()
        page.screenshot(path=str(shots / "map-round-filter-360.png"))
        box = page.locator("#imports-link").bounding_box()
        assert box["x"] + box["width"] <= 360
    finally:
        closed_page(page)
