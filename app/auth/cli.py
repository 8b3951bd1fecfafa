"""Account commands of `python -m app.cli`: disable, enable, unlock, dong grants, role, password, history."""
import argparse
import getpass

from app.auth import service
from app.db import unit_of_work
from app.vocab import ROLES


def _actor(args: argparse.Namespace) -> str:
    return args.actor or f"cli:{getpass.getuser()}"


def _disable(args: argparse.Namespace) -> int:
    with unit_of_work() as session:
        ended = service.disable_user(session, args.username, actor=_actor(args), reason=args.reason)
    print(f"계정을 사용 중지했습니다: {args.username} (열린 세션 {ended}개를 바로 끝냈습니다)")
    return 0


def _enable(args: argparse.Namespace) -> int:
    with unit_of_work() as session:
        service.enable_user(session, args.username, actor=_actor(args))
    print(f"계정을 다시 쓸 수 있게 했습니다: {args.username}")
    return 0


def _unlock(args: argparse.Namespace) -> int:
    with unit_of_work() as session:
        service.unlock_user(session, args.username, actor=_actor(args))
    print(f"로그인 잠금을 풀었습니다: {args.username}")
    return 0


def _grant(args: argparse.Namespace) -> int:
    with unit_of_work() as session:
        added = service.grant_dong(session, args.username, args.dong, actor=_actor(args))
    print(f"{args.username}에게 동 {args.dong} 권한을 " + ("주었습니다." if added else "이미 가지고 있습니다."))
    return 0


def _revoke(args: argparse.Namespace) -> int:
    with unit_of_work() as session:
        removed = service.revoke_dong(session, args.username, args.dong, actor=_actor(args))
    outcome = "회수했습니다." if removed else "원래 가지고 있지 않았습니다."
    print(f"{args.username}의 동 {args.dong} 권한을 {outcome}")
    return 0


def _role(args: argparse.Namespace) -> int:
    with unit_of_work() as session:
        service.set_role(session, args.username, args.role, actor=_actor(args))
    print(f"{args.username}의 역할을 {ROLES[args.role]}(으)로 바꿨습니다. 열린 세션은 끝났습니다.")
    return 0


def _password(args: argparse.Namespace) -> int:
    password = args.password or getpass.getpass("새 비밀번호: ")
    with unit_of_work() as session:
        service.set_password(session, args.username, password, actor=_actor(args))
    print(f"{args.username}의 비밀번호를 바꿨습니다. 열린 세션은 끝났습니다.")
    return 0


def _history(args: argparse.Namespace) -> int:
    with unit_of_work() as session:
        events = service.permission_history(session, args.username, args.limit)
    for e in events:
        print(f"{e['at']:%Y-%m-%d %H:%M:%S%z} {e['username']} {e['action']} {e['detail'] or ''} "
              f"(처리: {e['actor'] or '-'})")
    if not events:
        print("기록이 없습니다.")
    return 0


def add_commands(sub) -> None:
    """Register the account commands on the CLI's subparsers."""
    def command(name: str, help_text: str, func, *, dong: bool = False):
        p = sub.add_parser(name, help=help_text)
        p.add_argument("username")
        if dong:
            p.add_argument("dong", help="행정기관코드 (예: 1141055000)")
        p.add_argument("--actor", help="처리한 사람 (기본: 운영체제 사용자)")
        p.set_defaults(func=func)
        return p

    command("disable-user", "계정 사용 중지 (토큰 즉시 무효)", _disable).add_argument("--reason")
    command("enable-user", "계정 사용 재개", _enable)
    command("unlock-user", "로그인 잠금 해제", _unlock)
    command("grant-dong", "담당 동 권한 주기", _grant, dong=True)
    command("revoke-dong", "담당 동 권한 회수", _revoke, dong=True)
    command("set-role", "역할 바꾸기 (세션 종료)", _role).add_argument("role", choices=sorted(ROLES))
    command("set-password", "비밀번호 바꾸기 (세션 종료)", _password).add_argument(
        "--password", help="생략하면 입력을 묻습니다")
    p = sub.add_parser("permission-history", help="권한 부여·회수 이력")
    p.add_argument("username", nargs="?")
    p.add_argument("--limit", type=int, default=200)
    p.set_defaults(func=_history)
