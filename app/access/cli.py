"""Access-record commands of `python -m app.cli`: verify the hash chain, the monthly review report."""
import argparse
import json

from app.access import report, service
from app.db import unit_of_work


def _verify(args: argparse.Namespace) -> int:
    with unit_of_work() as session:
        check = service.verify_chain(session)
    if check.ok:
        print(f"접속기록 해시 체인 정상: {check.checked}건 확인, 마지막 해시 {check.head_hash}")
        print("마지막 해시를 따로 보관하면 끝부분 삭제도 다음 점검에서 알 수 있습니다.")
        return 0
    print(f"접속기록 변조 의심: 기록 #{check.broken_id}에서 체인이 끊겼습니다 — {check.reason}")
    print(f"(그 앞 {check.checked}건은 정상)")
    return 1


def _report(args: argparse.Namespace) -> int:
    with unit_of_work() as session:
        review = report.monthly_review(session, args.month or report.today_month(),
                                       bulk_threshold=args.bulk_threshold, top=args.top)
    if args.json:
        print(json.dumps(report.as_dict(review), ensure_ascii=False, indent=2))
    else:
        print(report.render(review), end="")
    return 0


def add_commands(sub) -> None:
    """Register the access-record commands on the CLI's subparsers."""
    p = sub.add_parser("verify-access-log", help="접속기록 해시 체인 검증 (변조된 첫 기록을 알려 줌)")
    p.set_defaults(func=_verify)
    p = sub.add_parser("access-report", help="접속기록 월간 점검 보고서")
    p.add_argument("--month", help="YYYY-MM (기본: 이번 달)")
    p.add_argument("--bulk-threshold", type=int, default=50, help="대량 조회로 볼 가구 수 (기본 50)")
    p.add_argument("--top", type=int, default=10, help="접속이 많은 계정 몇 명까지 (기본 10)")
    p.add_argument("--json", action="store_true", help="JSON으로 출력")
    p.set_defaults(func=_report)
