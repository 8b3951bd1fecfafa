"""Abuse limits live in PostgreSQL: a bucket is taken atomically, refills at its rate, and one limit holds for
every app process that shares the database."""
import threading
from contextlib import ExitStack

import httpx
from sqlalchemy import text

from app.ratelimit import Rule
from bench.common import serve_process
from tests.conftest import DEMO_PASSWORD, own_limits


def test_a_bucket_empties_refills_at_its_rate_and_keys_are_separate(db_engine):
    limits = own_limits({"r": Rule(capacity=3, per_second=0.5)})
    assert [limits.allow("r", "a") for _ in range(4)] == [True, True, True, False]
    assert limits.allow("r", "b") is True
    with db_engine.begin() as conn:  # 2.1 s pass for key a: at 0.5 a second, one token comes back
        conn.execute(text("UPDATE rate_buckets SET updated_at = updated_at - interval '2.1 seconds' "
                          "WHERE scope = :s AND key = encode(sha256('a'), 'hex')"), {"s": limits.scope})
    assert [limits.allow("r", "a"), limits.allow("r", "a")] == [True, False]
    assert limits.allow("unknown-rule", "a") is True


def test_concurrent_takes_never_hand_out_more_than_the_bucket_holds(db_engine):
    limits = own_limits({"r": Rule(capacity=5, per_second=0.0001)})
    results, start = [], threading.Barrier(20)

    def take():
        start.wait()
        results.append(limits.allow("r", "burst"))

    threads = [threading.Thread(target=take) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [False] * 15 + [True] * 5


def test_one_limit_holds_across_two_app_processes(fresh):
    """Two uvicorn processes on one database, requests alternating between them: a 통장's report limit
    (20 at once) is counted once, not once per process."""
    env = {"HAPPYMAP_DEMO_PASSWORD": DEMO_PASSWORD}
    with ExitStack() as stack:
        bases = [stack.enter_context(serve_process(fresh.url, env=env))[0] for _ in range(2)]
        token = httpx.post(f"{bases[0]}/api/v1/auth/token", data={"username": "tongjang01",
                                                                  "password": DEMO_PASSWORD}).json()["access_token"]
        codes = []
        for i in range(25):
            r = httpx.post(f"{bases[i % 2]}/api/v1/reports", headers={"Authorization": f"Bearer {token}"},
                           json={"description": f"두 서버에 번갈아 보내는 신고 {i}번입니다"}, timeout=60)
            codes.append(r.status_code)
    assert codes[:20] == [201] * 20 and codes[20:] == [429] * 5, codes
