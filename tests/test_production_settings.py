"""Production refuses unsafe settings: the local default keys, a missing 주민등록번호 key, a demo password and
the database owner as the app's login each stop the server at start, with a message naming the variable."""
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from app.config import Settings
from app.dev.pgcluster import free_port
from tests.test_http import PRODUCTION_SECRETS

ROOT = Path(__file__).resolve().parent.parent
APP_URL = "postgresql+psycopg://happymap_app:pw@db:5432/happymap"
OWNER_URL = "postgresql+psycopg://happymap:pw@db:5432/happymap"
SAFE = {**PRODUCTION_SECRETS, "open311_api_keys": ["o" * 40], "environment": "production",
        "DATABASE_URL": APP_URL, "MIGRATION_DATABASE_URL": OWNER_URL, "demo_password": None}


def test_safe_production_settings_are_accepted():
    assert Settings(**SAFE).unsafe_for_production() == []


@pytest.mark.parametrize("change, variable", [
    ({"kakao_skill_key": "local-kakao-key"}, "HAPPYMAP_KAKAO_SKILL_KEY"),
    ({"open311_api_keys": ["o" * 40, "local-open311-key"]}, "HAPPYMAP_OPEN311_API_KEYS"),
    ({"rrn_key_b64": None}, "HAPPYMAP_RRN_KEY_B64"),
    ({"rrn_hash_key_b64": ""}, "HAPPYMAP_RRN_HASH_KEY_B64"),
    ({"demo_password": "happymap-demo-2026"}, "HAPPYMAP_DEMO_PASSWORD"),
    ({"DATABASE_URL": OWNER_URL}, "DATABASE_URL"),  # the owner as the app's login
    ({"DATABASE_URL": "postgresql+psycopg://postgres:pw@db/happymap", "MIGRATION_DATABASE_URL": None},
     "DATABASE_URL"),
])
def test_each_unsafe_setting_is_named(change, variable):
    with pytest.raises(ValueError, match=variable):
        Settings(**{**SAFE, **change})
    assert Settings(**{**SAFE, **change, "environment": "local"})  # fine on a developer's machine


def _serve(env: dict[str, str]) -> tuple[subprocess.Popen, str]:
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "uvicorn", "app.main:app", "--port", str(port)], cwd=ROOT,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    return proc, f"http://127.0.0.1:{port}"


def test_the_server_does_not_start_with_the_defaults_and_does_with_real_secrets(db_url):
    base_env = {k: v for k, v in os.environ.items() if not k.startswith("HAPPYMAP_")}
    refused, _ = _serve({**base_env, "HAPPYMAP_ENVIRONMENT": "production", "DATABASE_URL": db_url})
    output = refused.communicate(timeout=120)[0]
    assert refused.returncode != 0
    assert "HAPPYMAP_KAKAO_SKILL_KEY" in output and "HAPPYMAP_RRN_KEY_B64" in output and "Traceback" not in output

    secrets = {f"HAPPYMAP_{k.upper()}": v for k, v in PRODUCTION_SECRETS.items()}
    served, base = _serve({**base_env, **secrets, "HAPPYMAP_ENVIRONMENT": "production", "DATABASE_URL": db_url})
    try:
        for _ in range(300):  # polling until it answers (start-up takes a few seconds on a busy machine)
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                assert served.poll() is None, served.communicate()[0]
                time.sleep(0.2)
        else:
            pytest.fail("the server did not answer")
    finally:
        served.terminate()
        served.wait(30)
