"""Reading real spreadsheets for the import (issue 12): .xlsx and .csv files built here byte for byte, the refusals
(not a spreadsheet, zip bombs, limits, encodings), header detection and mapping, and each value's normalisation."""
import io
import re
import zipfile
from datetime import date, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from app.imports import fields, values
from app.imports.fields import CellError, check_mapping, detect_mapping, normalise
from app.imports.headers import NOT_FOUND
from app.imports.reading import MAX_UNCOMPRESSED, ReadError, SourceRow, read_table

MB = 1024 * 1024
LIMITS = {"max_bytes": 20 * MB, "max_rows": 100_000}
TODAY = date(2026, 6, 1)
RRN = "800302-1234567"  # a valid number (checked below); none of its digits may reach a message
RRN_PARTS = ("800302", "1234567", "8003021234567")
DATA = Path(__file__).parent / "data" / "imports"


def excel_serial(day: date) -> int:
    return (day - date(1899, 12, 30)).days


def xlsx(rows, *, merges=(), cached: dict[str, str] | None = None, before=None) -> bytes:
    """An .xlsx written by openpyxl; `cached` puts a calculated value into formula cells (openpyxl never
    calculates, Excel would), `before` adds sheets ahead of the one with the rows."""
    book = Workbook()
    sheet = book.active
    if before:
        before(book, sheet)
    for row in rows:
        sheet.append(row)
    for span in merges:
        sheet.merge_cells(span)
    buf = io.BytesIO()
    book.save(buf)
    data = buf.getvalue()
    if cached:
        data = _rewrite(data, "xl/worksheets/sheet1.xml", lambda xml: _cache(xml, cached))
    return data


def _cache(xml: str, cached: dict[str, str]) -> str:
    for ref, value in cached.items():
        xml, n = re.subn(rf'(<c r="{ref}"[^>]*><f>[^<]*</f>)<v\s*/>', rf"\g<1><v>{value}</v>", xml)
        assert n == 1, ref
    return xml


def _rewrite(data: bytes, name: str, change) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info)
            dst.writestr(info.filename, change(body.decode()).encode() if info.filename == name else body)
    return out.getvalue()


def refused(file_name: str, data: bytes, **limits) -> ReadError:
    with pytest.raises(ReadError) as caught:
        read_table(file_name, data, **(LIMITS | limits))
    assert re.search("[가-힣]", caught.value.message)
    return caught.value


def values_of(kind, table, today=TODAY):
    mapping = detect_mapping(kind, table.headers)
    check_mapping(kind, mapping, table.headers)
    return [normalise(kind, mapping, table.headers, row, today=today) for row in table.rows]


# --- xlsx ------------------------------------------------------------------------------------------------

DISCOVERY_ROWS = [
    ["2026년 6차 복지사각지대 발굴 대상자 명단"],
    ["작성일", date(2026, 6, 1)],
    [],
    ["연번", "성명", "생년월일", "연락처", None, "주소", None, "세대원수", "단전", "비고"],
    [None, None, None, "휴대폰", "집전화", "도로명", "상세주소"],
    [1, "김철수", excel_serial(date(1948, 3, 2)), 1012345678.0, "02-123-4567", "서울특별시 서대문구 연희로 1",
     "101동 202호", "=1+2", "Y", None],
    [],
    [2, "이영희", date(1950, 1, 2), "010 1234 5678", None, "서울 서대문구  연희로 2", None, "=1+1", "N", "  메모  "],
    [3, '="박"&"민수"', "1948.3.2", "+82 10-2222-3333", None, "서울 서대문구 연희로 3", None, "3명", "●", None],
    [],
    ["   "],
]
DISCOVERY_MERGES = ("A1:J1", "A4:A5", "B4:B5", "C4:C5", "D4:E4", "F4:G4", "H4:H5", "I4:I5", "J4:J5")


def test_an_xlsx_with_a_title_a_merged_two_row_header_serials_dates_formulas_and_empty_rows():
    data = xlsx(DISCOVERY_ROWS, merges=DISCOVERY_MERGES, cached={"H6": "3"})
    table = read_table("6차 발굴.xlsx", data, **LIMITS)
    assert table.headers == ("연번", "성명", "생년월일", "연락처 휴대폰", "연락처 집전화", "주소 도로명",
                             "주소 상세주소", "세대원수", "단전", "비고")
    assert table.header_row == 5
    assert [r.row_no for r in table.rows] == [6, 8, 9]  # the sheet's own row numbers; empty rows dropped
    first = table.rows[0].cells
    assert first[2] == excel_serial(date(1948, 3, 2)) and first[3] == 1012345678 and first[7] == 3
    assert table.rows[1].cells[2] == datetime(1950, 1, 2)  # a real date cell
    assert table.rows[1].cells[7] is None and table.rows[2].cells[1] is None  # formulas without a cached value
    assert table.rows[1].cells[9] == "메모"

    mapping = detect_mapping("discovery_list", table.headers)
    assert mapping == {"head_name": "성명", "birth_date": "생년월일", "address": "주소 도로명",
                       "address_detail": "주소 상세주소", "phone": "연락처 휴대폰", "members": "세대원수",
                       "support_status": None, "dong_name": None, "notes": "비고", "source_key": None, "rrn": None,
                       "signals": None}
    (one, e1), (two, e2), (three, e3) = values_of("discovery_list", table)
    assert (e1, e2) == ([], [])
    assert one == {"head_name": "김철수", "birth_date": date(1948, 3, 2), "address": "서울특별시 서대문구 연희로 1",
                   "address_detail": "101동 202호", "phone": "010-1234-5678", "members": 3,
                   "support_status": None, "dong_name": None, "notes": None, "source_key": None, "rrn": None,
                   "signals": ["단전"]}
    assert (two["birth_date"], two["phone"], two["members"], two["notes"], two["signals"]) == (
        date(1950, 1, 2), "010-1234-5678", None, "메모", [])
    assert two["address"] == "서울 서대문구 연희로 2"
    # The formula never evaluated: a name computed by a formula nobody calculated is an empty required cell.
    assert three["head_name"] is None and e3 == [CellError("성명", fields.REQUIRED_MESSAGE)]
    assert (three["birth_date"], three["phone"], three["members"], three["signals"]) == (
        date(1948, 3, 2), "010-2222-3333", 3, ["단전"])


def test_a_formula_is_read_as_its_cached_value_never_as_its_text():
    data = xlsx([["성명", "주소", "세대원수"], ["김철수", "서울 서대문구 연희로 1", "=HYPERLINK(\"http://x\",2)"]],
                cached={"C2": "2"})
    table = read_table("a.xlsx", data, **LIMITS)
    assert table.rows[0].cells == ("김철수", "서울 서대문구 연희로 1", 2)


def test_the_first_visible_sheet_is_read():
    def hidden_first(book, sheet):
        hidden = book.create_sheet("숨김", 0)
        hidden.append(["성명", "주소"])
        hidden.append(["숨은사람", "어딘가"])
        hidden.sheet_state = "hidden"

    table = read_table("a.xlsx", xlsx([["이름", "도로명주소"], ["보이는사람", "서울"]], before=hidden_first), **LIMITS)
    assert table.headers == ("이름", "도로명주소") and table.rows[0].cells == ("보이는사람", "서울")


def test_a_file_with_only_headers_or_only_empty_rows_after_them_has_no_rows():
    assert read_table("a.xlsx", xlsx([["명단"], ["성명", "주소"]]), **LIMITS).rows == ()
    table = read_table("a.xlsx", xlsx([["성명", "주소"], [None, "  "], [], [" "]]), **LIMITS)
    assert table.headers == ("성명", "주소") and table.header_row == 1 and table.rows == ()
    assert read_table("a.csv", "성명,주소\n,\n\n".encode(), **LIMITS).rows == ()


def test_no_recognisable_header_is_refused():
    error = refused("a.xlsx", xlsx([["이것은 표가 아닙니다"], ["가", "나", 1], ["성명"]]))
    assert error.message == NOT_FOUND
    assert refused("a.csv", b"a,b\n1,2\n").message == NOT_FOUND


def test_a_header_beyond_the_first_twenty_non_empty_rows_is_not_looked_for():
    rows = [[f"안내 {i}"] for i in range(20)] + [["성명", "주소"], ["김", "서울"]]
    assert refused("a.xlsx", xlsx(rows)).message == NOT_FOUND
    assert read_table("a.xlsx", xlsx(rows[1:]), **LIMITS).header_row == 20


def test_empty_and_repeated_header_cells_get_names_and_data_beyond_the_header_keeps_its_column():
    table = read_table("a.csv", "성명,주소,,비고,비고\n김,서울,x,,b,넘침\n".encode(), **LIMITS)
    assert table.headers == ("성명", "주소", "열 C", "비고", "비고 (2)", "열 F")
    assert table.rows[0].cells == ("김", "서울", "x", None, "b", "넘침")


# --- csv -------------------------------------------------------------------------------------------------

REGISTRY_CSV = ('"2026년 5월 주민등록 변동 명단"\n'
                "변동구분,성명,생년월일,변동일,주소,이전주소\n"
                "사망,김철수,1948-03-02,2026.5.1,서울 서대문구 연희로 1,\n"
                '전출,이영희,19500102,2026-05-02,,"서울 서대문구\n연희로 2"\n'
                "세대 합가,박민수,480302,20260503,서울 서대문구 연희로 3,\n"
                "이사,최,1948-02-30,2026년 5월 4일,,\n")


def test_a_cp949_csv_with_a_title_and_a_quoted_new_line_gives_line_numbers():
    table = read_table("변동.csv", REGISTRY_CSV.encode("cp949"), **LIMITS)
    assert table.headers == ("변동구분", "성명", "생년월일", "변동일", "주소", "이전주소") and table.header_row == 2
    assert [r.row_no for r in table.rows] == [3, 4, 6, 7]  # the record's first line
    assert table.rows[1].cells[5] == "서울 서대문구\n연희로 2"
    assert all(isinstance(c, str | None) for r in table.rows for c in r.cells)  # no type guessing in a CSV
    rows = values_of("registry_changes", table)
    assert [(v["change"], v["birth_date"], v["changed_on"]) for v, _ in rows] == [
        ("death", date(1948, 3, 2), date(2026, 5, 1)), ("moved_out", date(1950, 1, 2), date(2026, 5, 2)),
        ("merged", date(1948, 3, 2), date(2026, 5, 3)), (None, None, date(2026, 5, 4))]
    assert rows[1][0]["previous_address"] == "서울 서대문구 연희로 2"
    assert [e for _, errors in rows for e in errors] == [
        CellError("변동구분", "변동구분 '이사'을(를) 알 수 없습니다 (사망, 전출, 전입, 세대합가 중 하나)."),
        CellError("생년월일", "'1948-02-30'은(는) 없는 날짜입니다.")]


@pytest.mark.parametrize(("encoding", "delimiter"), [("utf-8-sig", ","), ("utf-8", ","), ("utf-8", "\t"),
                                                     ("cp949", "\t"), ("utf-8-sig", ";"), ("utf-16", "\t")])
def test_csv_encodings_and_delimiters(encoding, delimiter):
    lines = [["성명", "주소(도로명)", "동·호수", "핸드폰", "가구원수", "보장구분"],
             ["홍길동", "서울 서대문구 연희로 1, 101호" if delimiter != "," else "서울 서대문구 연희로 1", "101-202",
              "1012345678", "3", "생계"],
             ["김영수", "서울 서대문구 연희로 2", "", "010.1234.5678", "1명", "주거"]]
    text = "\r\n".join(delimiter.join(cells) for cells in lines) + "\r\n"
    table = read_table("명단.csv", text.encode(encoding), **LIMITS)
    assert table.headers == tuple(lines[0])
    assert table.rows[0].cells[:2] == tuple(lines[1][:2])
    (first, e1), (second, e2) = values_of("households", table)
    assert e1 == e2 == []
    assert (first["phone"], first["members"], first["address_detail"], first["support_status"]) == (
        "010-1234-5678", 3, "101-202", "생계")
    assert (second["phone"], second["members"], second["address_detail"]) == ("010-1234-5678", 1, None)


def test_a_cp949_csv_with_a_broken_byte_is_refused_naming_its_line():
    data = "성명,주소\n김철수,서울\n".encode("cp949") + b"\xc0\xcc\xff,x\n" + "박,부산\n".encode("cp949")
    error = refused("a.csv", data)
    assert error.message.startswith("3번째 줄에 읽을 수 없는 글자가 있습니다") and error.row == 3


def test_a_broken_byte_in_a_utf8_csv_names_its_line_too():
    data = "성명,주소\n김철수,서울\n이영희,부산\n".encode() + b"\xed\x95"  # a character cut in half
    assert refused("a.csv", data).row == 4


# --- refusals --------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("head", "what"), [(b"\x89PNG\r\n\x1a\n", "PNG 그림"), (b"\xff\xd8\xff\xe0", "JPEG 그림"),
                                            (b"%PDF-1.7\n", "PDF 문서")])
def test_a_picture_or_pdf_renamed_xlsx_is_refused(head, what):
    error = refused("명단.xlsx", head + bytes(range(256)) * 4)
    assert f"({what} 파일입니다)" in error.message


def test_an_old_xls_and_an_encrypted_xlsx_are_refused_with_their_own_messages():
    xls = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504 + "Workbook".encode("utf-16-le") + b"\x00" * 512
    assert refused("명단.xls", xls).message.startswith("예전 엑셀 형식(.xls)은 읽을 수 없습니다")
    assert refused("명단.xlsx", xls).message.startswith("예전 엑셀 형식(.xls)은 읽을 수 없습니다")
    # Made by msoffcrypto-tool 6.1.0 (password "secret"): Excel's own Agile encryption in a Compound File.
    encrypted = (DATA / "encrypted.xlsx").read_bytes()
    assert refused("명단.xlsx", encrypted).message.startswith("암호가 걸린 엑셀 파일은 읽을 수 없습니다")


def test_an_html_table_or_an_xml_spreadsheet_named_xls_is_refused():
    html = "<html><head><meta charset='utf-8'></head><body><table><tr><td>성명</td></tr></table></body></html>"
    assert refused("명단.xls", html.encode()).message.startswith("웹 페이지(HTML) 형식의 파일이라 읽을 수 없습니다")
    xml = ('<?xml version="1.0"?>\n<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet">'
           "<Worksheet><Table/></Worksheet></Workbook>")
    assert refused("명단.xls", xml.encode()).message.startswith("XML 스프레드시트 2003 형식의 파일이라")


def test_an_empty_file_a_zip_that_is_no_workbook_and_an_unknown_type_are_refused():
    assert refused("a.xlsx", b"").message.startswith("빈 파일입니다")
    docx = io.BytesIO()
    with zipfile.ZipFile(docx, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w/>")
    assert "엑셀 통합 문서가 없습니다" in refused("a.xlsx", docx.getvalue()).message
    assert refused("a.xlsx", b"PK\x03\x04 not really a zip").message.startswith("엑셀 파일이 아니거나 손상된 파일")
    assert refused("a.xlsx", "성명,주소\n".encode()).message.startswith("엑셀 파일이 아니거나 손상된 파일")
    assert refused("a.hwp", "성명,주소\n".encode()).message.startswith("지원하지 않는 파일 형식입니다")
    assert refused("a.csv", b"\x00\x01\x02binary").message.startswith("텍스트(CSV) 파일이 아닙니다")


def _bomb(sheet_mb: int) -> bytes:
    """A package with the xlsx parts whose sheet XML inflates to `sheet_mb` MB of zeros."""
    out = io.BytesIO()
    real = zipfile.ZipFile(io.BytesIO(xlsx([["성명", "주소"]])))
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        for info in real.infolist():
            if info.filename != "xl/worksheets/sheet1.xml":
                z.writestr(info.filename, real.read(info))
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>')
            zeros = b"0" * MB
            for _ in range(sheet_mb):
                sheet.write(zeros)
    return out.getvalue()


def test_zip_bombs_are_refused_from_the_directory_before_anything_is_inflated():
    big = _bomb(MAX_UNCOMPRESSED // MB + 20)  # 320 MB of zeros in about 330 KB
    assert len(big) < MB
    assert refused("명단.xlsx", big).message.startswith("압축을 풀면 지나치게 커지는 파일이라 열지 않았습니다")
    dense = _bomb(40)  # under the total, but a compression ratio no real sheet has
    assert refused("명단.xlsx", dense).message.startswith("압축을 풀면 지나치게 커지는 파일이라 열지 않았습니다")


def test_size_and_row_limits():
    data = xlsx([["성명", "주소"]] + [[f"사람{i}", "서울"] for i in range(11)])
    error = refused("a.xlsx", data, max_bytes=len(data) - 1)
    assert error.message.startswith("파일이 너무 큽니다") and "MB 이하만 가져올 수 있습니다" in error.message
    error = refused("a.xlsx", data, max_rows=10)
    assert error.message.startswith("행이 너무 많습니다. 한 번에 10행까지") and error.row == 12
    assert len(read_table("a.xlsx", data, max_bytes=MB, max_rows=11).rows) == 11
    csv_data = ("성명,주소\n" + "".join(f"사람{i},서울\n\n" for i in range(5))).encode()
    assert refused("a.csv", csv_data, max_rows=4).row == 10  # empty lines are not counted, but numbered
    assert refused("a.csv", b"x" * (3 * MB), max_bytes=2 * MB).message.startswith("파일이 너무 큽니다 (3.0MB). 2MB")


# --- mapping ---------------------------------------------------------------------------------------------

def test_detect_mapping_understands_the_usual_header_variants():
    headers = ["연번", "세대주 성명", "생년월일", "주소 (도로명)", "동ㆍ호수", "휴대전화", "세대원수(명)", "자격",
               "행정동", "특이사항", "발굴관리번호", "주민번호"]
    assert detect_mapping("households", headers) == {
        "head_name": "세대주 성명", "birth_date": "생년월일", "address": "주소 (도로명)", "address_detail": "동ㆍ호수",
        "phone": "휴대전화", "members": "세대원수(명)", "support_status": "자격", "dong_name": "행정동",
        "notes": "특이사항", "source_key": "발굴관리번호", "rrn": "주민번호"}
    assert detect_mapping("registry_changes", ["구분", "이름", "변동일자", "변동전주소", "전입주소"]) == {
        "change": "구분", "head_name": "이름", "birth_date": None, "address": "전입주소",
        "previous_address": "변동전주소", "address_detail": None, "changed_on": "변동일자", "dong_name": None,
        "source_key": None}


def test_a_field_takes_the_header_with_its_usual_name_before_a_column_further_left():
    headers = ("세대주", "연락처", "성명", "주소", "휴대폰")  # 세대주: a Y/N column of a person list
    mapping = detect_mapping("households", headers)
    assert (mapping["head_name"], mapping["phone"]) == ("성명", "휴대폰")


def test_flag_columns_of_a_discovery_list_need_no_mapping():
    headers = ("성명", "주소", "위기정보", "위기정보 단전", "위기정보 건보료 체납", "금융연체여부", "관리비체납(Y/N)")
    mapping = detect_mapping("discovery_list", headers)
    assert mapping["signals"] == "위기정보"
    assert fields.flag_columns("discovery_list", mapping, headers) == {
        3: "단전", 4: "건강보험료 체납", 5: "금융연체", 6: "관리비 체납"}
    row = SourceRow(2, ("김", "서울", "기초수급 탈락/중지, 통신비체납ㆍ고독사 우려\n단전", "○", "예", "1", "해당"))
    found, errors = normalise("discovery_list", mapping, headers, row, today=TODAY)
    assert errors == []
    assert found["signals"] == ["기초수급 탈락/중지", "통신비 체납", "고독사 우려", "단전", "건강보험료 체납",
                                "금융연체", "관리비 체납"]
    row = SourceRow(3, ("김", "서울", None, "N", None, 0, "3개월"))
    found, errors = normalise("discovery_list", mapping, headers, row, today=TODAY)
    assert found["signals"] == []
    assert errors == [CellError("관리비체납(Y/N)",
                                "'3개월'은(는) 해당 여부로 읽을 수 없습니다 (해당: Y·O·1·예, 비해당: 빈칸·N·X·0).")]


def test_check_mapping_refusals():
    headers = ("성명", "주소", "연락처")
    check_mapping("households", {"head_name": "성명", "address": "주소"}, headers)
    cases = [
        ({"head_name": "성명", "address": "주소", "nickname": "연락처"}, "알 수 없는 항목입니다: 'nickname'."),
        ({"head_name": "성명", "address": "거주지"}, "'거주지' 열이 파일에 없습니다 (주소)."),
        ({"head_name": "성명", "address": "성명"},
         "'성명' 열이 '성명'과(와) '주소'에 함께 지정되었습니다. 한 열은 한 항목에만 쓸 수 있습니다."),
        ({"head_name": "성명", "address": None}, "필수 항목 주소에 해당하는 열을 지정해 주세요."),
        ({"phone": "연락처"}, "필수 항목 성명, 주소에 해당하는 열을 지정해 주세요."),
    ]
    for mapping, message in cases:
        with pytest.raises(ReadError) as caught:
            check_mapping("households", mapping, headers)
        assert caught.value.message == message
    with pytest.raises(ReadError, match="알 수 없는 가져오기 종류"):
        check_mapping("people", {}, headers)


# --- values ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("cell", "expected"), [
    (date(1948, 3, 2), date(1948, 3, 2)), (datetime(1948, 3, 2, 0, 0), date(1948, 3, 2)),
    (17594, date(1948, 3, 2)), (17594.0, date(1948, 3, 2)), (17594.75, date(1948, 3, 2)),
    ("1948-03-02", date(1948, 3, 2)), ("1948.3.2", date(1948, 3, 2)), ("1948. 3. 2.", date(1948, 3, 2)),
    ("1948/03/02", date(1948, 3, 2)), ("19480302", date(1948, 3, 2)), (19480302, date(1948, 3, 2)),
    ("1948년 3월 2일", date(1948, 3, 2)), ("480302", date(1948, 3, 2)), (480302, date(1948, 3, 2)),
    ("150302", date(2015, 3, 2)), ("260601", date(2026, 6, 1)), ("260602", date(1926, 6, 2)),
    ("1948-03-02 00:00:00", date(1948, 3, 2)), ("１９４８－０３－０２", date(1948, 3, 2)), (None, None), ("  ", None),
    (59, date(1900, 2, 28)), (61, date(1900, 3, 1)),
])
def test_birth_dates(cell, expected):
    assert values.parse_date(cell, birth=True, today=TODAY) == expected


@pytest.mark.parametrize(("cell", "message"), [
    ("1948-02-30", "'1948-02-30'은(는) 없는 날짜입니다."), ("480230", "'480230'은(는) 없는 날짜입니다."),
    ("2027-01-01", "생년월일 '2027-01-01'이(가) 오늘보다 뒤입니다."),
    (excel_serial(date(2030, 1, 1)), "생년월일 '47484'이(가) 오늘보다 뒤입니다."),
    ("1899-12-31", "'1899-12-31'은(는) 너무 이른 날짜입니다 (1900년 이후만)."),
    (60, "'60'은(는) 없는 날짜(1900-02-29)입니다."), (0, "'0'은(는) 날짜로 읽을 수 없습니다."),
    (float("nan"), "'nan'은(는) 날짜로 읽을 수 없습니다."), (123456789, "'123456789'은(는) 날짜로 읽을 수 없습니다."),
    ("어제", "'어제'은(는) 날짜로 읽을 수 없습니다 (예: 1948-03-02)."), (True, "'TRUE'은(는) 날짜로 읽을 수 없습니다."),
])
def test_bad_birth_dates_name_the_value(cell, message):
    with pytest.raises(ValueError) as caught:
        values.parse_date(cell, birth=True, today=TODAY)
    assert str(caught.value) == message


def test_a_change_date_takes_the_recent_century_and_may_be_ahead():
    assert values.parse_date("260702", birth=False, today=TODAY) == date(2026, 7, 2)
    assert values.parse_date("2026-07-02", birth=False, today=TODAY) == date(2026, 7, 2)


@pytest.mark.parametrize(("cell", "expected"), [
    ("010-1234-5678", "010-1234-5678"), ("01012345678", "010-1234-5678"), ("010 1234 5678", "010-1234-5678"),
    ("010.1234.5678", "010-1234-5678"), ("+82 10-1234-5678", "010-1234-5678"), ("+82 (0)10 1234 5678", "010-1234-5678"),
    ("(010) 1234-5678", "010-1234-5678"), ("011-123-4567", "011-123-4567"), ("02-123-4567", "02-123-4567"),
    ("02-1234-5678", "02-1234-5678"), ("0212345678", "02-1234-5678"), ("031-123-4567", "031-123-4567"),
    ("064-1234-5678", "064-1234-5678"), ("1588-1234", "1588-1234"), ("15881234", "1588-1234"),
    ("070-1234-5678", "070-1234-5678"), ("0505-123-4567", "0505-123-4567"), (1012345678.0, "010-1234-5678"),
    (1012345678, "010-1234-5678"), (212345678, "02-1234-5678"), ("1012345678", "010-1234-5678"),
    ("０１０-１２３４-５６７８", "010-1234-5678"), (None, None), (" ", None),
])
def test_phone_numbers(cell, expected):
    assert values.parse_phone(cell) == expected


@pytest.mark.parametrize("cell", ["1234-5678", "010-1234", "010-1234-56789", "없음", "010-1234-5678 (딸)",
                                  "+1 212 555 0100", "099-123-4567", 12.5, -1012345678, True, date(2020, 1, 1)])
def test_bad_phone_numbers(cell):
    with pytest.raises(ValueError) as caught:
        values.parse_phone(cell)
    assert str(caught.value).startswith(f"전화번호 '{values.quote(cell)}'을(를) 알아볼 수 없습니다")


@pytest.mark.parametrize(("cell", "expected"), [(3, 3), (3.0, 3), ("3", 3), ("3명", 3), ("3 명", 3), ("50", 50),
                                                ("3.0", 3), (None, None)])
def test_members(cell, expected):
    assert values.parse_members(cell) == expected


@pytest.mark.parametrize("cell", [0, 51, 2.5, "세 명", "-1", "3가구", True, "1000000000000"])
def test_bad_members(cell):
    with pytest.raises(ValueError, match="세대원수 .*은\\(는\\) 1~50 사이의 숫자여야 합니다"):
        values.parse_members(cell)


def test_text_is_trimmed_collapsed_and_bounded():
    headers = ("성명", "주소", "비고")
    row = SourceRow(2, ("  김\u200b철수 ", "서울\t서대문구\n연희로   1", "  "))
    found, errors = normalise("households", detect_mapping("households", headers), headers, row, today=TODAY)
    assert errors == []
    assert (found["head_name"], found["address"], found["notes"]) == ("김철수", "서울 서대문구 연희로 1", None)
    row = SourceRow(3, ("가" * 51, "나" * 201, None))
    found, errors = normalise("households", detect_mapping("households", headers), headers, row, today=TODAY)
    assert errors == [CellError("성명", "성명이(가) 너무 깁니다 (51자, 최대 50자)."),
                      CellError("주소", "주소이(가) 너무 깁니다 (201자, 최대 200자).")]


# --- 주민등록번호 --------------------------------------------------------------------------------------------

def test_a_valid_rrn_is_kept_for_encryption_but_never_shown():
    headers = ("성명", "주소", "주민등록번호")
    mapping = detect_mapping("households", headers)
    for cell in (RRN, "8003021234567", "800302 1234567", 8003021234567):
        found, errors = normalise("households", mapping, headers, SourceRow(2, ("김", "서울", cell)), today=TODAY)
        assert errors == [] and found["rrn"] == "8003021234567"
        assert not any(p in repr(found) for p in RRN_PARTS)
    # Born in 2001: Excel's number cell lost the leading zero.
    found, _ = normalise("households", mapping, headers, SourceRow(2, ("김", "서울", 103024234567)), today=TODAY)
    assert found["rrn"] == "0103024234567"
    assert not any(p in repr(SourceRow(2, ("김", "서울", RRN))) for p in RRN_PARTS)


def test_an_rrn_in_any_column_never_reaches_a_message():
    headers = ("변동구분", "성명", "생년월일", "주소", "이전주소", "변동일", "관리번호", "주민등록번호")
    mapping = detect_mapping("registry_changes", headers)
    assert mapping["source_key"] == "관리번호"
    bad_rrn = "800302-1234568"[:-1] + "X"
    for row_cells in ((RRN,) * 8, (f"메모 {RRN}",) * 8, (8003021234567,) * 8):
        found, errors = normalise("registry_changes", mapping, headers, SourceRow(2, row_cells), today=TODAY)
        assert errors, row_cells
        assert not any(p in e.message or p in e.column for e in errors for p in RRN_PARTS)
    hh_headers = ("성명", "주소", "주민등록번호", "연락처", "세대원수", "비고", "관리번호")
    hh_mapping = detect_mapping("households", hh_headers)
    row_cells = ("김", f"서울 {RRN}", bad_rrn, RRN, RRN, f"비고 {RRN}", RRN)
    found, errors = normalise("households", hh_mapping, hh_headers, SourceRow(2, row_cells), today=TODAY)
    assert errors == [
        CellError("연락처", "전화번호 '******-*******'을(를) 알아볼 수 없습니다 (예: 010-1234-5678, 02-123-4567)."),
        CellError("세대원수", "세대원수 '******-*******'은(는) 1~50 사이의 숫자여야 합니다."),
        CellError("관리번호", "관리번호로 주민등록번호를 쓸 수 없습니다. 주민등록번호 열로 지정해 주세요."),
        CellError("주민등록번호", fields.RRN_MESSAGE)]
    assert found["address"] == "서울 800302-1******" and found["notes"] == "비고 800302-1******"  # as in every text
    with pytest.raises(ReadError) as caught:
        check_mapping("households", {"head_name": "성명", "address": RRN}, hh_headers)
    assert not any(p in caught.value.message or p in (caught.value.column or "") for p in RRN_PARTS)


cells = st.one_of(st.none(), st.text(max_size=40), st.text(st.characters(exclude_categories=()), max_size=10),
                  st.integers(), st.floats(), st.booleans(),
                  st.dates(), st.datetimes(), st.sampled_from([RRN, f"x{RRN}y", 8003021234567, "０１０", "٣", "²"]),
                  st.from_regex(r"[0-9]{2,8}[-./ 년월일]{0,2}[0-9]{0,4}", fullmatch=True))
KIND_HEADERS = {kind: tuple(spec.synonyms[0] for spec in specs) + ("단전", "위기정보 금융연체")
                for kind, specs in fields.FIELDS.items()}


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(fields.KINDS), st.data())
def test_normalise_never_raises_and_never_shows_an_rrn(kind, data):
    headers = KIND_HEADERS[kind]
    mapping = detect_mapping(kind, headers)
    row = SourceRow(2, tuple(data.draw(cells) for _ in headers))
    found, errors = normalise(kind, mapping, headers, row, today=TODAY)
    assert set(found) == {spec.name for spec in fields.FIELDS[kind]}
    assert all(isinstance(e, CellError) and e.column in headers and e.message for e in errors)
    assert not any(p in e.message for e in errors for p in RRN_PARTS)
