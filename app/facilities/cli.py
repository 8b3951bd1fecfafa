"""The facility import command: `python -m app.cli import-facilities FILE` (or `python -m app.facilities.cli`)."""
import argparse
import sys
from pathlib import Path

from app.db import unit_of_work
from app.facilities import importer
from app.vocab import FACILITY_CATEGORIES


def print_report(report: dict, out=sys.stdout) -> None:
    """The report in Korean for a terminal."""
    print(report["detail"], file=out)
    if report["ignored_columns"]:
        print(f"쓰지 않은 열: {', '.join(report['ignored_columns'])}", file=out)
    for e in report["errors"]:
        print(f"  - {e['message']}", file=out)
    if report["error_count"] > len(report["errors"]):
        print(f"  … 외 {report['error_count'] - len(report['errors'])}건", file=out)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The import command's options (here and in `python -m app.cli import-facilities`)."""
    parser.add_argument("path", help="가져올 CSV 파일 (UTF-8 또는 CP949, 한글 제목 행)")
    parser.add_argument("--dry-run", action="store_true", help="검사만 하고 저장하지 않습니다")
    parser.add_argument("--source", help="출처 이름 (기본: 파일 이름)")
    parser.add_argument("--category", choices=sorted(FACILITY_CATEGORIES),
                        help="분류 열이 없는 파일에서 모든 행의 분류 (예: 장애인복지관 현황이면 "
                             "disability_welfare_centre; 행정안전부 무더위쉼터·한파쉼터 파일이면 heat_shelter, "
                             "cold_shelter)")


def add_commands(sub) -> None:
    """`python -m app.cli import-facilities ...`."""
    parser = sub.add_parser("import-facilities", help="복지기관 CSV 가져오기 (오류가 있으면 아무것도 저장하지 않음)")
    add_arguments(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Import one file with the configured database; 0 when imported (or checked), 1 when refused."""
    path = Path(args.path)
    if not path.is_file():
        print(f"오류: 파일이 없습니다: {path}", file=sys.stderr)
        return 2
    with unit_of_work() as session:
        report = importer.import_csv(session, path.read_bytes(), path.name, source=args.source,
                            default_category=args.category, dry_run=args.dry_run)
    print_report(report, sys.stdout if report["ok"] else sys.stderr)
    return 0 if report["ok"] else 1


def main(argv: list[str] | None = None) -> int:
    """`python -m app.facilities.cli`: exit 0 when imported or checked, 1 when refused, 2 without a file."""
    parser = argparse.ArgumentParser(prog="python -m app.facilities.cli", description="복지기관 CSV 가져오기")
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
