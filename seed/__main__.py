"""`python -m seed`: load the demo data (idempotent); `--district eunpyeong` adds 은평구's dongs and tracts."""
import argparse
import sys
import time

from app.db import get_engine
from seed.households import TABLE_2015
from seed.load import run
from seed.places import district_code
from seed.users import DEFAULT_DEMO_PASSWORD, demo_password

LABELS = {
    "households": "가구", "visited": "방문 가구", "visits": "방문", "high": "고위험", "medium": "중위험",
    "low": "저위험", "unvisited": "미방문", "visitor_participations": "방문 참여(방문주체)",
    "needs_surveys": "욕구 조사", "service_links": "서비스 연계", "facilities": "복지시설",
    "shelters": "무더위·한파쉼터 (합성)",
    "dongs": "행정동", "tracts": "통", "users": "계정", "addresses": "건물 주소 (합성 도로명주소 파일)",
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m seed", description="행복-맵 데모 데이터 적재 (반복 실행 안전)")
    parser.add_argument("--district", action="append", default=[],
                        help="추가로 행정동·통만 적재할 구 (eunpyeong 또는 11380)")
    args = parser.parse_args(argv)
    try:
        extra = tuple(district_code(d) for d in args.district)
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return 2
    started = time.perf_counter()
    result = run(get_engine(), districts=extra)
    print(f"데모 데이터 적재 완료 ({time.perf_counter() - started:.1f}초, 기준일 {result['today']})")
    for key, value in result["counts"].items():
        expected = TABLE_2015.get(key)
        mark = "" if expected is None or expected == value else f"  (2015년 표: {expected:,})"
        print(f"  {LABELS.get(key, key)}: {value:,}{mark}")
    for stage, seconds in result["timings"].items():
        print(f"  단계 {stage}: {seconds:.2f}초")
    default = " (기본값)" if demo_password() == DEFAULT_DEMO_PASSWORD else ""
    print(f"데모 계정: admin, district, dong01..dong14, tongjang01..03, partner01 / 비밀번호{default}: "
          f"{demo_password()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
