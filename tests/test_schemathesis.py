"""schemathesis against the app's own OpenAPI document, once per role (and anonymously): no server error (5xx)
and no answer that breaks the document (status codes, content types, headers, body schemas).

Each role runs every operation with schema-valid (positive) and schema-breaking (negative) examples, through
the app object itself inside the test's rolled-back transaction. The figures go to
test-artifacts/schemathesis-figures.json."""
import json
import zlib
from collections import Counter

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.conftest import ARTIFACTS, login

REQUEST_TIMEOUT = 60  # seconds
EXAMPLES = 8  # per operation, mode and role: the six roles stay within a few minutes on two cores
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance]
USERS = {"anonymous": None, "admin": "admin", "district_staff": "district", "dong_staff": "dong01",
         "tongjang": "tongjang01", "partner": "partner01"}
LOGOUT = "/api/v1/auth/logout"
TOKEN = "/api/v1/auth/token"
FIGURES_FILE = ARTIFACTS / "schemathesis-figures.json"


def _record_figures(role: str, figures: dict) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    all_figures = json.loads(FIGURES_FILE.read_text()) if FIGURES_FILE.exists() else {}
    all_figures[role] = figures
    FIGURES_FILE.write_text(json.dumps(all_figures, indent=2, ensure_ascii=False, sort_keys=True))


@pytest.mark.parametrize("role", list(USERS))
def test_openapi_conformance_per_role(app, client, role):
    username = USERS[role]
    shared = login(client, username) if username else {}
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    schema.config.generation.update(deterministic=True, database="none")
    # What a person waits for at most (a proxy's usual read timeout), not how fast this machine happens to be.
    schema.config.update(request_timeout=REQUEST_TIMEOUT)
    operations, examples, statuses = 0, Counter(), Counter()
    failures: list[str] = []

    def headers_for(path: str) -> dict:
        return login(client, username) if (path == LOGOUT and username) else shared  # logout ends its token

    for result in schema.get_all_operations():
        operation = result.ok()
        label = f"{operation.method.upper()} {operation.path}"
        if operation.path == TOKEN and username:
            continue  # sign-in is fuzzed anonymously only: failed sign-ins would lock the demo accounts
        operations += 1
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @seed(zlib.crc32(f"{role} {mode.value} {label}".encode()))  # reproducible, different per role
            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(max_examples=EXAMPLES, deadline=None, database=None,
                      phases=[Phase.explicit, Phase.generate, Phase.shrink],
                      suppress_health_check=list(HealthCheck))
            def run(case):
                examples[mode.value] += 1  # noqa: B023 - run() is called below, in this same iteration
                response = case.call_and_validate(app=app, headers=headers_for(case.path), checks=CHECKS)
                statuses[response.status_code] += 1

            try:
                run()
            except Unsatisfiable:
                continue  # e.g. no way to break an operation without parameters
            except (Exception, BaseExceptionGroup) as exc:  # a check failed or the app raised: report all at the end
                failures.append(f"{role} {mode.value} {label}:\n{str(exc)[:1500]}")
    _record_figures(role, {"operations": operations, "examples": dict(examples),
                           "examples_total": sum(examples.values()), "failures": len(failures),
                           "statuses": {str(k): v for k, v in sorted(statuses.items())}})
    assert operations >= 40
    assert statuses and not any(code >= 500 for code in statuses)
    assert not failures, f"{len(failures)} failing operations:\n\n" + "\n\n".join(failures)
