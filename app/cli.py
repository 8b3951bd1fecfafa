"""Command-line administration: `python -m app.cli create-user ...` (accounts are never created by default)."""
import argparse
import getpass
import sys

from sqlalchemy import select

from app import backup
from app.access import cli as access_cli
from app.addresses import cli as addresses_cli
from app.auth import cli as auth_cli
from app.auth import service as auth_service
from app.db import unit_of_work
from app.errors import AppError
from app.facilities import cli as facilities_cli
from app.tracts.models import Dong, Tract
from app.vocab import ROLES


def create_user(args: argparse.Namespace) -> int:
    password = args.password or getpass.getpass("비밀번호: ")
    with unit_of_work() as session:
        dong_ids = [session.execute(select(Dong.id).where(Dong.code == code)).scalar_one() for code in args.dong]
        tract_ids = [int(t) for t in args.tract]
        for tract_id in tract_ids:
            if session.get(Tract, tract_id) is None:
                raise AppError(f"통 {tract_id}이(가) 없습니다.")
        user = auth_service.create_user(session, username=args.username, password=password, role=args.role,
                                        dong_ids=dong_ids, tract_ids=tract_ids, facility_id=args.facility_id,
                                        display_name=args.display_name)
    print(f"계정을 만들었습니다: {user.username} ({ROLES[user.role]})")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m app.cli", description="행복-맵 관리 명령")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("create-user", help="직원 계정 만들기")
    p.add_argument("username")
    p.add_argument("--role", required=True, choices=sorted(ROLES))
    p.add_argument("--password", help="생략하면 입력을 묻습니다")
    p.add_argument("--dong", action="append", default=[], help="담당 동의 행정기관코드 (여러 번 가능)")
    p.add_argument("--tract", action="append", default=[], help="통 id (통장)")
    p.add_argument("--facility-id", type=int, help="협력기관 id (partner)")
    p.add_argument("--display-name")
    p.set_defaults(func=create_user)
    auth_cli.add_commands(sub)
    access_cli.add_commands(sub)
    facilities_cli.add_commands(sub)
    addresses_cli.add_commands(sub)
    backup.add_commands(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except AppError as exc:
        print(f"오류: {exc.message}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
