"""Every /api/v1 route refuses a caller without a valid token (deny by default)."""
import re

from app.routing import api_routes

OPEN_ROUTES = {("POST", "/api/v1/auth/token")}


def _example_path(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "1", path)


def test_every_api_route_requires_a_user(app, client):
    checked = 0
    for route in api_routes(app):
        if not route.path.startswith("/api/v1"):
            continue
        for method in route.methods - {"HEAD", "OPTIONS"}:
            if (method, route.path) in OPEN_ROUTES:
                continue
            response = client.request(method, _example_path(route.path))
            assert response.status_code == 401, f"{method} {route.path} answered {response.status_code}"
            bad = client.request(method, _example_path(route.path), headers={"Authorization": "Bearer not-a-token"})
            assert bad.status_code == 401, f"{method} {route.path} accepted a bad token"
            checked += 1
    assert checked >= 10


def test_logout_revokes_token_at_once(client, as_user):
    headers = as_user("dong01")
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 200
    assert client.post("/api/v1/auth/logout", headers=headers).status_code == 204
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 401


def test_me_reports_scope(client, as_user):
    me = client.get("/api/v1/auth/me", headers=as_user("dong01")).json()
    assert me["username"] == "dong01" and me["role"] == "dong_staff" and len(me["dong_ids"]) == 1
    assert set(me) >= {"username", "role", "dong_ids", "tract_ids"}
