"""A4 PDF of a printout: map page and household list per tract, a cover page for a dong atlas."""
import io
from functools import lru_cache
from pathlib import Path

from reportlab.lib.colors import HexColor, white
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)
from reportlab.platypus.doctemplate import LayoutError

from app.config import get_settings
from app.errors import AppError
from app.printing.pdf_map import INK, draw_legend, draw_map
from app.printing.schemas import PrintJob, Sheet
from app.risk.levels import COLORS, LABELS
from app.vocab import NEEDS

FONT, BOLD = "HappymapGothic", "HappymapGothicBold"
PAGE_W, PAGE_H = A4
MARGIN = 28
TOP = 40  # room for the running header of list pages
BOTTOM = 36  # room for the footer
FRAME_W, FRAME_H = PAGE_W - 2 * MARGIN, PAGE_H - TOP - BOTTOM
PRIVACY = "개인정보 포함 — 목적 외 사용·복사 금지, 사용 후 세단 파기"
LIST_COLUMNS = ("번호", "성명", "주소", "위험도", "최근 방문", "경과", "욕구", "전화", "방문", "메모")
LIST_WIDTHS = (24, 34, 118, 36, 48, 24, 84, 62, 26, 83)
TINTS = {"high": "#FFCDD2", "medium": "#FFE0B2", "low": "#BBDEFB"}  # 미방문 stays plain


class FontMissing(AppError):
    status = 503

    def __init__(self, path: str):
        super().__init__(f"출력용 한글 글꼴이 없습니다 ({path}). 관리자에게 fonts-nanum 설치를 요청하세요.")


@lru_cache
def register_fonts(regular: str, bold: str) -> None:
    """Register the Korean TTF (embedded as a subset) under our names; bold falls back to regular."""
    if not Path(regular).is_file():
        raise FontMissing(regular)
    pdfmetrics.registerFont(TTFont(FONT, regular))
    pdfmetrics.registerFont(TTFont(BOLD, bold if Path(bold).is_file() else regular))
    pdfmetrics.registerFontFamily(FONT, normal=FONT, bold=BOLD, italic=FONT, boldItalic=BOLD)


def _styles() -> dict[str, ParagraphStyle]:
    return {
        "cell": ParagraphStyle("cell", fontName=FONT, fontSize=7.5, leading=9.2, textColor=INK),
        "cell_c": ParagraphStyle("cell_c", fontName=FONT, fontSize=7.5, leading=9.2, alignment=TA_CENTER),
        "head": ParagraphStyle("head", fontName=BOLD, fontSize=7.5, leading=9, alignment=TA_CENTER,
                               textColor=white),
        "h1": ParagraphStyle("h1", fontName=BOLD, fontSize=15, leading=20, textColor=INK),
        "h2": ParagraphStyle("h2", fontName=BOLD, fontSize=11, leading=15, textColor=INK, spaceAfter=4),
        "body": ParagraphStyle("body", fontName=FONT, fontSize=9, leading=13, textColor=INK),
    }


def _esc(text: str | None) -> str:
    return (text or "").replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class Section(Flowable):
    """Zero-size marker telling the page callbacks which tract (and kind of page) follows."""

    def __init__(self, title: str, kind: str, bookmark: str | None = None):
        super().__init__()
        self.title, self.kind, self.bookmark = title, kind, bookmark

    def wrap(self, *_):
        return 0, 0

    def draw(self):
        doc_state = self.canv._happymap  # noqa: SLF001 - state shared with the page callbacks
        doc_state.update(title=self.title, kind=self.kind)
        if self.bookmark:
            key = f"s{id(self)}"
            self.canv.bookmarkPage(key)
            self.canv.addOutlineEntry(self.bookmark, key, level=0)


class MapPage(Flowable):
    """The whole map page of one tract: header, map, legend."""

    def __init__(self, job: PrintJob, sheet: Sheet):
        super().__init__()
        self.job, self.sheet = job, sheet

    def wrap(self, avail_w, avail_h):
        self.width, self.height = avail_w, avail_h - 1
        return self.width, self.height

    def draw(self):
        c, job, sheet = self.canv, self.job, self.sheet
        w, h = self.width, self.height
        c.setFillColor(INK)
        c.setFont(BOLD, 17)
        c.drawString(0, h - 18, f"{sheet.name} 현장 방문 지도")
        c.setFont(FONT, 9)
        c.drawString(0, h - 34, f"{sheet.dong_name} · 활성 가구 {len(sheet.stops)} · 방문 동선 약 "
                                f"{sheet.route_m / 1000:.1f} km (출발: {sheet.start_label})")
        c.drawString(0, h - 47, _fit(f"조건: {job.options.describe()}", FONT, 8.5, w - 190))
        right = [f"출력 {job.printed_at:%Y-%m-%d %H:%M} (KST)", f"출력자 {job.printed_by}",
                 f"출력 사유 {job.options.purpose}"]
        c.setFont(FONT, 8)
        for k, text in enumerate(right):
            c.drawRightString(w, h - 12 - 11.5 * k, _fit(text, FONT, 8, 185))
        legend_h = 46
        map_top = h - 56
        draw_map(c, sheet, 0, legend_h, w, map_top - legend_h, FONT, BOLD)
        draw_legend(c, sheet, 0, 0, w, FONT, BOLD)


def _fit(text: str, font: str, size: float, width: float) -> str:
    """Cut a line to a width with an ellipsis."""
    if pdfmetrics.stringWidth(text, font, size) <= width:
        return text
    while text and pdfmetrics.stringWidth(text + "…", font, size) > width:
        text = text[:-1]
    return text + "…"


class TickBox(Flowable):
    """An empty square to tick by hand."""

    def wrap(self, *_):
        return 10, 10

    def draw(self):
        self.canv.setStrokeColor(INK)
        self.canv.setLineWidth(0.8)
        self.canv.rect(0, 0, 10, 10, stroke=1, fill=0)


def _last_visit(h: dict, tz) -> str:
    return h["last_visit_at"].astimezone(tz).strftime("%Y-%m-%d") if h["last_visit_at"] else "없음"


def household_table(sheet: Sheet, styles: dict) -> Table:
    """One row per household in walking order; the header row repeats on continued pages."""
    tz = get_settings().tz
    cell = styles["cell"]
    rows = [[Paragraph(t, styles["head"]) for t in LIST_COLUMNS]]
    commands = [
        ("FONT", (0, 0), (-1, -1), FONT, 7.5),
        ("BACKGROUND", (0, 0), (-1, 0), INK),
        ("GRID", (0, 0), (-1, -1), 0.4, HexColor("#9E9E9E")),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("ALIGN", (0, 1), (0, -1), "CENTER"),
        ("FONT", (0, 1), (0, -1), BOLD, 7.5),
        ("ALIGN", (3, 1), (5, -1), "CENTER"),
        ("FONT", (5, 1), (5, -1), BOLD, 7.5),
        ("ALIGN", (8, 1), (8, -1), "CENTER"),
        ("ROWBACKGROUNDS", (0, 1), (-1, -1), [white, HexColor("#FAFAFA")]),
        ("LEFTPADDING", (0, 0), (-1, -1), 2.5),
        ("RIGHTPADDING", (0, 0), (-1, -1), 2.5),
        ("TOPPADDING", (0, 1), (-1, -1), 5.5),  # room to tick and write by hand
        ("BOTTOMPADDING", (0, 1), (-1, -1), 5.5),
    ]
    for k, s in enumerate(sheet.stops, start=1):
        h = s.household
        needs = ", ".join(NEEDS.get(n, n) for n in h["needs"]) or "-"
        # Plain strings for one-line cells: a Paragraph per cell costs most of an atlas's render time.
        rows.append([str(s.number), h["head_name"] or "", Paragraph(_esc(h["address"]), cell),
                     LABELS[h["risk_level"]], _last_visit(h, tz), "경과" if h["overdue"] else "",
                     Paragraph(_esc(needs), cell), h["phone"] or "-", TickBox(), ""])
        if h["risk_level"] in TINTS:
            commands.append(("BACKGROUND", (3, k), (3, k), HexColor(TINTS[h["risk_level"]])))
    table = Table(rows, colWidths=LIST_WIDTHS, repeatRows=1)
    table.setStyle(TableStyle(commands))
    return table


def _sheet_story(job: PrintJob, sheet: Sheet, styles: dict, atlas: bool) -> list:
    story = [Section(sheet.name, "map", bookmark=sheet.name if atlas else None), MapPage(job, sheet), PageBreak(),
             Section(sheet.name, "list"),
             Paragraph(f"{_esc(sheet.name)} 방문 목록 — {len(sheet.stops)}가구 (지도 번호 = 방문 순서)", styles["h2"])]
    if sheet.stops:
        story.append(household_table(sheet, styles))
    else:
        story.append(Paragraph("조건에 맞는 활성 가구가 없습니다.", styles["body"]))
    return story


def _cover(job: PrintJob, styles: dict) -> list:
    total = sum(len(s.stops) for s in job.sheets)
    story = [Section(f"{job.title} 지도 모음", "cover", bookmark="표지"),
             Paragraph(f"{_esc(job.title)} 현장 방문 지도 모음", styles["h1"]), Spacer(0, 6),
             Paragraph(f"통 {len(job.sheets)}개 · 활성 가구 {total} · 통마다 지도 1쪽과 방문 목록", styles["body"]),
             Paragraph(f"출력 {job.printed_at:%Y-%m-%d %H:%M} (KST) · 출력자 {_esc(job.printed_by)}", styles["body"]),
             Paragraph(f"출력 사유: {_esc(job.options.purpose)}", styles["body"]),
             Paragraph(f"조건: {_esc(job.options.describe())}", styles["body"]), Spacer(0, 10)]
    head = ["통", "가구", *(LABELS[lvl] for lvl in ("high", "medium", "unvisited", "low")), "기한 경과", "동선(km)"]
    rows = [[Paragraph(t, styles["head"]) for t in head]]
    for s in job.sheets:
        n = s.counts()
        rows.append([s.name, len(s.stops), n["high"], n["medium"], n["unvisited"], n["low"], s.overdue_count,
                     f"{s.route_m / 1000:.1f}"])
    totals = [sum(s.counts()[lvl] for s in job.sheets) for lvl in ("high", "medium", "unvisited", "low")]
    rows.append(["합계", total, *totals, sum(s.overdue_count for s in job.sheets), ""])
    table = Table(rows, colWidths=[120, 50, 50, 50, 50, 50, 60, 60], repeatRows=1)
    table.setStyle(TableStyle([
        ("FONT", (0, 1), (-1, -1), FONT, 9), ("FONT", (0, -1), (-1, -1), BOLD, 9),
        ("BACKGROUND", (0, 0), (-1, 0), INK), ("GRID", (0, 0), (-1, -1), 0.4, HexColor("#9E9E9E")),
        ("ALIGN", (1, 1), (-1, -1), "RIGHT"), ("BACKGROUND", (0, -1), (-1, -1), HexColor("#EEEEEE")),
        ("TEXTCOLOR", (2, 1), (2, -2), HexColor(COLORS["high"])),
    ]))
    story.append(table)
    return story


def _page_callback(job: PrintJob):
    def on_page_end(canvas, doc):
        state = canvas._happymap  # noqa: SLF001
        canvas.saveState()
        canvas.setFillColor(INK)
        if state.get("kind") == "list":
            canvas.setFont(BOLD, 9)
            canvas.drawString(MARGIN, PAGE_H - 26, f"{state['title']} 방문 목록")
            canvas.setFont(FONT, 8)
            canvas.drawRightString(PAGE_W - MARGIN, PAGE_H - 26,
                                   f"출력 {job.printed_at:%Y-%m-%d %H:%M} · {job.printed_by}")
        canvas.setFont(FONT, 7.5)
        canvas.drawString(MARGIN, 18, f"행복-맵 · {state.get('title', job.title)} · {PRIVACY}")
        canvas.drawRightString(PAGE_W - MARGIN, 18, f"{doc.page}쪽")
        canvas.restoreState()

    return on_page_end


def render_pdf(job: PrintJob) -> bytes:
    """The printout as PDF bytes (A4 portrait, Korean font embedded)."""
    settings = get_settings()
    register_fonts(settings.print_font_path, settings.print_font_bold_path)
    styles = _styles()
    atlas = len(job.sheets) != 1
    story = _cover(job, styles) if atlas else []
    for sheet in job.sheets:
        if story:
            story.append(PageBreak())
        story.extend(_sheet_story(job, sheet, styles, atlas))
    if not story:
        story = _cover(job, styles)
    buffer = io.BytesIO()
    doc = BaseDocTemplate(buffer, pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=TOP,
                          bottomMargin=BOTTOM, title=f"{job.title} 현장 방문 지도", author="행복-맵",
                          subject=f"출력 사유: {job.options.purpose}", creator="행복-맵", initialFontName=FONT)
    frame = Frame(MARGIN, BOTTOM, FRAME_W, FRAME_H, leftPadding=0, rightPadding=0, topPadding=0, bottomPadding=0)

    def on_page(canvas, _doc):
        if not hasattr(canvas, "_happymap"):
            canvas._happymap = {"title": job.title}  # noqa: SLF001

    doc.addPageTemplates([PageTemplate("page", frames=[frame], onPage=on_page, onPageEnd=_page_callback(job))])
    try:
        doc.build(story)
    except LayoutError as exc:  # pragma: no cover - a row taller than a page would be a layout bug
        raise AppError(f"출력물을 구성하지 못했습니다: {exc}") from exc
    return buffer.getvalue()
