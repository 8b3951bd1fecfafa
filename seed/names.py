"""Fake Korean names, addresses and phone numbers for synthetic households (never real people)."""
import random

# Common surnames with rough weights, so the mix looks plausible on a printed list.
SURNAMES: dict[str, int] = {
    "김": 21, "이": 15, "박": 8, "최": 5, "정": 5, "강": 2, "조": 2, "윤": 2, "장": 2, "임": 2,
    "한": 1, "오": 1, "서": 1, "신": 1, "권": 1, "황": 1, "안": 1, "송": 1, "류": 1, "전": 1,
    "홍": 1, "고": 1, "문": 1, "양": 1, "손": 1, "배": 1, "백": 1, "허": 1, "남": 1, "노": 1,
}

# Given-name syllables; two are drawn independently, so the combinations are invented.
GIVEN_FIRST = list("민서지현수영준성하은도윤예재승우진경혜정태상명순옥숙춘동")
GIVEN_SECOND = list("수민현영희자호철숙진연아우준빈훈석순미애남식기환주라")

_SURNAME_LIST = list(SURNAMES)
_SURNAME_WEIGHTS = list(SURNAMES.values())


def fake_name(rng: random.Random) -> str:
    """A surname and two given-name syllables, e.g. '김순자'."""
    surname = rng.choices(_SURNAME_LIST, weights=_SURNAME_WEIGHTS)[0]
    return surname + rng.choice(GIVEN_FIRST) + rng.choice(GIVEN_SECOND)


def fake_lot(rng: random.Random) -> str:
    """A lot number like '123-45' (지번)."""
    return f"{rng.randint(1, 480)}-{rng.randint(1, 60)}"


def fake_address(rng: random.Random, district_name: str, dong_name: str) -> str:
    """A synthetic lot address inside the dong, e.g. '서울특별시 서대문구 충현동 12-3'."""
    return f"서울특별시 {district_name} {dong_name} {fake_lot(rng)}"


# How households write their address (the demo's mix): mostly the 도로명주소, some the old 지번, a few with the
# floor or unit after it (상세주소). Chosen per household by a fixed number, not by the seed's random stream.
ADDRESS_DETAILS = ("", "", "", "", " 2층", ", 101호", " 지하1층", ", 201호")


def household_address(road_address: str, lot_address: str, choice: int) -> str:
    """The address a household gives: its building's 도로명주소 (7 in 10) or 지번, sometimes with a 상세주소."""
    base = road_address if choice % 10 < 7 else lot_address
    return base + ADDRESS_DETAILS[(choice // 10) % len(ADDRESS_DETAILS)]


def fake_mobile(rng: random.Random) -> str:
    """A mobile number 010-XXXX-XXXX."""
    return f"010-{rng.randint(2000, 9999):04d}-{rng.randint(0, 9999):04d}"
