"""`python -m app.cli import-addresses FILE...`: load 도로명주소 files into the address table, one transaction each."""
import argparse
import sys
import time
from pathlib import Path

from app.addresses.loader import load_file
from app.db import unit_of_work
from app.errors import AppError


def add_commands(sub) -> None:
    """`python -m app.cli import-addresses ...`."""
    parser = sub.add_parser(
        "import-addresses",
        help="도로명주소 파일 가져오기 (위치정보요약DB entrc_*.txt, 주소DB 관련지번 jibun_rnaddrkor_*.txt; "
             "전체분·변동분)")
    parser.add_argument("paths", nargs="+", metavar="FILE",
                        help="juso.go.kr에서 받은 파일 (CP949, | 구분). 파일마다 따로 저장되고, 잘못된 줄이 있는 "
                             "파일은 통째로 저장하지 않습니다")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Load each file in its own transaction; 0 when all loaded, 1 when any was refused, 2 when one is missing."""
    paths = [Path(p) for p in args.paths]
    missing = [p for p in paths if not p.is_file()]
    if missing:
        print(f"오류: 파일이 없습니다: {', '.join(map(str, missing))}", file=sys.stderr)
        return 2
    refused = 0
    for path in paths:
        started = time.perf_counter()
        try:
            with unit_of_work() as session:
                r = load_file(session, path)
        except AppError as exc:
            refused += 1
            print(f"오류: {exc.message}", file=sys.stderr)
            continue
        print(f"{r['file']} ({r['kind']}): {r['lines']:,}줄 — 새로 {r['inserted']:,}, 바뀜 {r['updated']:,}, "
              f"폐지 {r['deleted']:,}, 그대로 {r['unchanged']:,} ({time.perf_counter() - started:.1f}초)")
    return 1 if refused else 0
