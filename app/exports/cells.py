"""An export's cells as SQL: masked identity, Korean labels, formula-safe text, and each value encoded for
a CSV field or an XLSX <c> element. PostgreSQL's COPY then writes the rows and Python only moves bytes:
formatting 150,000 rows in Python held the interpreter for seconds and slowed every other request."""
from dataclasses import dataclass
from functools import reduce
from typing import Literal

from sqlalchemy import ARRAY, Float, String, case, cast, func, literal, literal_column, select
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.sql.elements import ColumnElement

from app.config import get_settings
from app.exports.xlsx import DATE_STYLE, DATETIME_STYLE

Kind = Literal["text", "label", "number", "datetime", "date"]

# What Python's str.isspace() accepts (tests/test_exports.py checks), so the SQL below strips what
# app.exports.tabular.neutralise() strips before looking for a formula sign.
SPACE = "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
FORMULA_START = f"^([\t\r]|[{SPACE}]*[=+@-])"
# Characters XML 1.0 cannot carry (PostgreSQL text holds no NUL); a cell drops them.
NOT_XML = "".join(map(chr, [*range(0x01, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0xFFFE, 0xFFFF]))
# Entities for XML's own characters, and character references for the ones COPY's text format would
# backslash-escape: each XLSX row then leaves COPY as one line, byte for byte.
XML_ESCAPES = (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ("\\", "&#92;"), ("\t", "&#9;"), ("\n", "&#10;"),
               ("\r", "&#13;"))
EXCEL_DAY_OF_1970 = 25569  # Excel's serial of 1970-01-01 in the 1900 date system
EXCEL_EPOCH = literal_column("DATE '1899-12-30'")  # its day 0 (serials of dates are days since then)


@dataclass(frozen=True)
class Column:
    """One column of an export: its Korean header, width in characters, value in SQL and kind of value.
    `text` is what people typed (neutralised against formulas); `label` is the product's own vocabulary."""

    header: str
    width: int
    value: ColumnElement
    kind: Kind = "text"


def cat(*parts: str | ColumnElement) -> ColumnElement:
    """SQL's || (NULL in, NULL out) over text parts; Python strings become bound text values."""
    return reduce(lambda a, b: a.op("||")(b), [literal(p, String) if isinstance(p, str) else p for p in parts])


def masked_name(name: ColumnElement) -> ColumnElement:
    """app.policy.masking.mask_name in SQL: 김철수 → 김*수, 김수 → 김*."""
    length = func.char_length(name)
    return case((func.coalesce(name, "") == "", name),
                (length <= 2, cat(func.left(name, 1), "*")),
                else_=cat(func.left(name, 1), func.repeat("*", length - 2), func.right(name, 1)))


def masked_phone(phone: ColumnElement) -> ColumnElement:
    """app.policy.masking.mask_phone in SQL (translate() keeps it free of regular-expression dialects)."""
    digits = "0123456789"
    digits_and_dashes = func.translate(phone, func.translate(phone, digits + "-", ""), "")  # drop all else
    return case((func.coalesce(phone, "") == "", phone),
                (func.char_length(phone) - func.char_length(func.translate(phone, digits, "")) < 8,
                 func.repeat("*", func.char_length(phone))),
                (func.translate(func.right(phone, 4), digits, "") == "", cat(func.left(digits_and_dashes, -4), "****")),
                else_=cat(func.left(phone, -4), "****"))


def label(code: ColumnElement, vocabulary: dict[str, str]) -> ColumnElement:
    """The Korean label of a code (an unknown code shows as itself)."""
    return case(vocabulary, value=code, else_=code)


def labels_of_array(codes: ColumnElement, vocabulary: dict[str, str]) -> ColumnElement:
    """'식품, 주거' for an array column of codes, in the stored order."""
    item = func.unnest(codes).table_valued("code", with_ordinality="n").render_derived()
    joined = func.string_agg(label(item.c.code, vocabulary), aggregate_order_by(literal(", "), item.c.n))
    return func.coalesce(select(joined).scalar_subquery(), "")


def labels_of_rows(code: ColumnElement, owner: ColumnElement, owner_id: ColumnElement,
                   vocabulary: dict[str, str], in_vocabulary_order: bool = False) -> ColumnElement:
    """'독거노인, 기타' for a child table of codes (one row per code), sorted by code or in vocabulary order."""
    order = func.array_position(literal(list(vocabulary), ARRAY(String)), code) if in_vocabulary_order else code
    joined = func.string_agg(label(code, vocabulary), aggregate_order_by(literal(", "), order))
    return func.coalesce(select(joined).where(owner == owner_id).scalar_subquery(), "")


def neutralised(value: ColumnElement) -> ColumnElement:
    """app.exports.tabular.neutralise in SQL: formula-like text gets a leading quote."""
    return case((value.op("~")(FORMULA_START), cat("'", value)), else_=value)


def _xml_text(value: ColumnElement) -> ColumnElement:
    escaped = func.translate(value, NOT_XML, "")
    for raw, reference in XML_ESCAPES:
        escaped = func.replace(escaped, raw, reference)
    return escaped


def _local(moment: ColumnElement) -> ColumnElement:
    return func.timezone(get_settings().timezone, moment)  # timestamptz → the district's wall-clock time


def csv_field(column: Column) -> ColumnElement:
    """The column as CSV text; NULL stays an empty field."""
    value = column.value
    if column.kind == "text":
        return neutralised(cast(value, String))
    if column.kind == "datetime":
        return func.to_char(_local(value), "YYYY-MM-DD HH24:MI")
    if column.kind == "date":
        return func.to_char(value, "YYYY-MM-DD")
    return cast(value, String)


def xlsx_cell(column: Column) -> ColumnElement:
    """The column as one XLSX <c> element (an empty <c/> for NULL); dates as serial numbers with a format."""
    value = column.value
    if column.kind in ("text", "label"):
        shown = func.nullif(cast(value, String), "")  # an empty text is an empty cell, as in CSV
        shown = neutralised(shown) if column.kind == "text" else shown
        xml = cat('<c t="inlineStr"><is><t xml:space="preserve">', _xml_text(shown), "</t></is></c>")
    elif column.kind == "datetime":
        days = cast(func.extract("epoch", _local(value)), Float) / 86400 + EXCEL_DAY_OF_1970
        xml = cat(f'<c s="{DATETIME_STYLE}"><v>', cast(days, String), "</v></c>")
    elif column.kind == "date":
        xml = cat(f'<c s="{DATE_STYLE}"><v>', cast(value.op("-")(EXCEL_EPOCH), String), "</v></c>")
    else:
        xml = cat("<c><v>", cast(value, String), "</v></c>")
    return func.coalesce(xml, "<c/>")


def xlsx_row(columns: list[Column]) -> ColumnElement:
    """One sheet row; never NULL, and one line of COPY's text output (see XML_ESCAPES)."""
    return cat("<row>", *(xlsx_cell(c) for c in columns), "</row>")
