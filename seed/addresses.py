"""The demo's synthetic building addresses of 서대문구, written in the official juso.go.kr layouts.

Not real data: the buildings stand where the seed puts its households and facilities. Every household gets a
building of its own at its own point, on a made-up side street of its dong and tract (`천연데모4길 7`), with a
lot (지번) in one of the real 법정동 of its 행정동. Every real facility of the Seoul list gets a building at its
seeded point under the road name and number its own address gives (several facilities in one building share
the first one's point); every synthetic facility (경로당, 지역아동센터) gets one on its dong's `…데모로` at its point,
under the lot its address names. The 시군구 and 법정동 names and codes are the real ones; 도로명코드, 출입구일련번호,
우편번호 and all numbers are made up. `seed/make_synthetic_addresses.py` writes the files; the seed loads them.
"""
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from pyproj import Transformer
from shapely.geometry import Point

from app.addresses.normalise import parse_address
from seed.places import DATA, dong_sources

DISTRICT = "11410"
SIDO_NAME = "서울특별시"
SIGUNGU_NAME = "서대문구"
ENTRANCE_FILE = "synthetic_entrc_seodaemun.txt"
LOT_FILE = "synthetic_jibun_rnaddrkor_seodaemun.txt"

# The real 법정동 of 서대문구 with their 법정동코드.
LEGAL_DONG_CODES: dict[str, str] = {
    "충정로2가": "1141010100", "충정로3가": "1141010200", "합동": "1141010300", "미근동": "1141010400",
    "냉천동": "1141010500", "천연동": "1141010600", "옥천동": "1141010700", "영천동": "1141010800",
    "현저동": "1141010900", "북아현동": "1141011000", "홍제동": "1141011100", "대현동": "1141011200",
    "대신동": "1141011300", "신촌동": "1141011400", "봉원동": "1141011500", "창천동": "1141011600",
    "연희동": "1141011700", "홍은동": "1141011800", "북가좌동": "1141011900", "남가좌동": "1141012000",
}
# The 법정동 each 행정동 takes its synthetic lots from (the 행정동 covers them, in part at least).
LEGAL_DONGS_OF: dict[str, tuple[str, ...]] = {
    "천연동": ("천연동", "냉천동", "옥천동", "영천동", "현저동"), "북아현동": ("북아현동",),
    "충현동": ("충정로2가", "충정로3가", "합동", "미근동"),
    "신촌동": ("신촌동", "창천동", "대현동", "대신동", "봉원동"), "연희동": ("연희동",),
    "홍제1동": ("홍제동",), "홍제2동": ("홍제동",), "홍제3동": ("홍제동",),
    "홍은1동": ("홍은동",), "홍은2동": ("홍은동",),
    "남가좌1동": ("남가좌동",), "남가좌2동": ("남가좌동",), "북가좌1동": ("북가좌동",), "북가좌2동": ("북가좌동",),
}
HOUSEHOLD_LOT_START = 500  # synthetic facilities' lots are 1–480, real facilities' buildings 2000 and up
FACILITY_LOT_START = 2000
FACILITY_ROAD_NUMBER_START = 101
_TO_5179 = Transformer.from_crs(4326, 5179, always_xy=True)


@dataclass
class Building:
    """One synthetic building: a 도로명주소 with one entrance and its lots."""

    road_name: str
    road_code: str
    main_no: int
    sub_no: int
    legal_dong: str
    lon: float
    lat: float
    admin_dong_code: str  # 관할행정동, 8 digits
    postcode: str
    use: str
    name: str | None = None
    lots: list[tuple[int, int]] = field(default_factory=list)  # (본번, 부번) in its 법정동

    @property
    def number(self) -> str:
        return f"{self.main_no}-{self.sub_no}" if self.sub_no else str(self.main_no)

    @property
    def road_address(self) -> str:
        """'서울특별시 서대문구 천연데모4길 7'."""
        return f"{SIDO_NAME} {SIGUNGU_NAME} {self.road_name} {self.number}"

    def lot_address(self, k: int = 0) -> str:
        """'서울특별시 서대문구 천연동 512-2' (its k-th lot)."""
        main, sub = self.lots[k]
        return f"{SIDO_NAME} {SIGUNGU_NAME} {self.legal_dong} {main}-{sub}" if sub else \
            f"{SIDO_NAME} {SIGUNGU_NAME} {self.legal_dong} {main}"


def stable(*parts: object) -> int:
    """A deterministic number for the parts (crc32), for choices that must not touch the seed's random stream."""
    return zlib.crc32("|".join(map(str, parts)).encode())


def street_stem(dong_name: str) -> str:
    """천연동 → 천연, 홍제1동 → 홍제1."""
    return dong_name[:-1] if dong_name.endswith("동") else dong_name


def legal_dong_for(dong_name: str, *key: object) -> str:
    """One real 법정동 of the 행정동, chosen by `key`."""
    options = LEGAL_DONGS_OF[dong_name]
    return options[stable(dong_name, *key) % len(options)]


def _dong_index() -> dict[str, int]:
    return {d.code: i for i, d in enumerate(dong_sources(DISTRICT))}


class Lots:
    """Hands out lot numbers per 법정동, never the same one twice."""

    def __init__(self):
        self.used: dict[str, set[tuple[int, int]]] = {}
        self.next: dict[str, int] = {}

    def claim(self, legal_dong: str, lot: tuple[int, int]) -> tuple[int, int]:
        """`lot`, or the next free 부번 of its 본번 when taken."""
        used = self.used.setdefault(legal_dong, set())
        main, sub = lot
        while (main, sub) in used:
            sub += 1
        used.add((main, sub))
        return main, sub

    def new(self, legal_dong: str, start: int) -> tuple[int, int]:
        """A fresh lot from `start` on: three 부번 per 본번 (512, 512-1, 512-2, 513, …)."""
        n = self.next.get(legal_dong, 0)
        self.next[legal_dong] = n + 1
        return self.claim(legal_dong, (start + n // 3, n % 3))


def household_buildings(households: list, lots: Lots | None = None) -> list[Building]:
    """One building per household plan (same order), at its point, on its tract's side street."""
    lots = lots or Lots()
    index = _dong_index()
    names = {d.code: d.name for d in dong_sources(DISTRICT)}
    by_street: dict[tuple[str, int], list[int]] = {}
    for i, h in enumerate(households):
        by_street.setdefault((h.dong_code, h.tract_number), []).append(i)
    buildings: list[Building | None] = [None] * len(households)
    for (dong_code, tract), members in sorted(by_street.items()):
        dong_name, k = names[dong_code], index[dong_code]
        legal = legal_dong_for(dong_name, tract)
        road = f"{street_stem(dong_name)}데모{tract}길"
        for position, i in enumerate(sorted(members, key=lambda j: (households[j].lon, households[j].lat))):
            h = households[i]
            building = Building(
                road_name=road, road_code=f"{DISTRICT}49{k:02d}{tract:02d}0", main_no=position // 3 * 2 + 1,
                sub_no=position % 3, legal_dong=legal, lon=h.lon, lat=h.lat, admin_dong_code=dong_code[:8],
                postcode=f"03{600 + k * 10 + tract % 10:03d}", use="단독주택" if position % 4 else "공동주택")
            building.lots.append(lots.new(legal, HOUSEHOLD_LOT_START))
            buildings[i] = building
    return buildings


def facility_buildings(plans: list, lots: Lots | None = None) -> list[Building]:
    """Buildings for the facilities' addresses: real ones under their own road address, synthetic ones on their
    dong's 데모로 under the lot they name. A facility whose building another took first adds nothing."""
    lots = lots or Lots()
    sources = dong_sources(DISTRICT)
    index = _dong_index()
    road_codes: dict[str, str] = {}
    seen: set[tuple[str, int, int]] = set()
    per_dong: dict[str, int] = {}
    buildings = []
    for plan in sorted(plans, key=lambda p: p.code):
        dong = next(d for d in sources if d.geom.covers(Point(plan.point.x, plan.point.y)))
        k = index[dong.code]
        parsed = parse_address(plan.address)
        if parsed.kind == "road":
            road, main, sub = parsed.name, parsed.main, parsed.sub
            note = (parsed.note or "").split(" ")[0].split(",")[0]
            legal = note if note in LEGAL_DONG_CODES else legal_dong_for(dong.name, plan.code)
            code = road_codes.setdefault(road, f"{DISTRICT}38{len(road_codes):05d}")
        else:
            legal = parsed.name
            n = per_dong[dong.code] = per_dong.get(dong.code, 0) + 1
            road, main, sub = f"{street_stem(dong.name)}데모로", FACILITY_ROAD_NUMBER_START + 2 * (n - 1), 0
            code = f"{DISTRICT}39{k:02d}000"
        if (road, main, sub) in seen:
            continue
        seen.add((road, main, sub))
        building = Building(road_name=road, road_code=code, main_no=main, sub_no=sub, legal_dong=legal,
                            lon=plan.point.x, lat=plan.point.y, admin_dong_code=dong.code[:8],
                            postcode=f"03{600 + k * 10:03d}", use="노유자시설", name=plan.name)
        building.lots.append(lots.claim(legal, (parsed.main, parsed.sub)) if parsed.kind == "lot"
                             else lots.new(legal, FACILITY_LOT_START))
        buildings.append(building)
    return buildings


def entrance_lines(buildings: list[Building]) -> list[str]:
    """위치정보요약DB lines (18 fields) for the buildings, in their order."""
    lines = []
    for serial, b in enumerate(buildings, start=1):
        x, y = _TO_5179.transform(b.lon, b.lat)
        fields = [DISTRICT, f"{serial:010d}", LEGAL_DONG_CODES[b.legal_dong], SIDO_NAME, SIGUNGU_NAME, b.legal_dong,
                  b.road_code, b.road_name, "0", str(b.main_no), str(b.sub_no), b.name or "", b.postcode, b.use, "0",
                  b.admin_dong_code, f"{x:.6f}", f"{y:.6f}"]
        lines.append("|".join(fields))
    return lines


def road_address_id(b: Building) -> str:
    """도로명주소관리번호 of a synthetic building (as `app.addresses.layout` derives it from an entrance line)."""
    return f"{DISTRICT}{LEGAL_DONG_CODES[b.legal_dong][5:8]}{b.road_code[5:]}0{b.main_no:05d}{b.sub_no:05d}"


def lot_lines(buildings: list[Building]) -> list[str]:
    """주소DB 관련지번 lines (14 fields, 이동사유코드 empty as in a full file) for every lot of the buildings."""
    lines = []
    for b in buildings:
        for main, sub in b.lots:
            lines.append("|".join([road_address_id(b), LEGAL_DONG_CODES[b.legal_dong], SIDO_NAME, SIGUNGU_NAME,
                                   b.legal_dong, "", "0", str(main), str(sub), b.road_code, "0", str(b.main_no),
                                   str(b.sub_no), ""]))
    return lines


def encode(lines: list[str]) -> bytes:
    """The file's bytes: CP949, CRLF line ends as the juso.go.kr files have them."""
    return "".join(line + "\r\n" for line in lines).encode("cp949")


def all_buildings() -> list[Building]:
    """Every synthetic building of the demo: the facilities' first, then the households'."""
    from seed.facilities import facility_plans
    from seed.households import household_places

    # Separate lot counters, as the seed's own (households.py) is: their number ranges never meet.
    return facility_buildings(facility_plans(DISTRICT)) + household_buildings(household_places(DISTRICT))


def files() -> dict[str, bytes]:
    """The two synthetic files by name, as `seed/make_synthetic_addresses.py` writes them."""
    buildings = all_buildings()
    return {ENTRANCE_FILE: encode(entrance_lines(buildings)), LOT_FILE: encode(lot_lines(buildings))}


def paths() -> list[Path]:
    """The shipped files, entrances first (the lots refer to them)."""
    return [DATA / ENTRANCE_FILE, DATA / LOT_FILE]
