"""The permission matrix over every route × every role × every scope: deny by default, and a record outside
the caller's scope answers 404 with an empty body on detail, list, layer, stats, export and print alike."""
from dataclasses import dataclass, field

import pytest
from fastapi.routing import APIRoute
from sqlalchemy import exists, func, select

from app.auth.models import User, UserDong, UserTract
from app.facilities.models import Facility
from app.households.models import Household
from app.policy.permissions import (
    EVERYWHERE,
    OPERATIONS,
    OTHER,
    OWN,
    PUBLIC_MOUNTS,
    PUBLIC_ROUTES,
    REFERRED,
    ROLES,
    ROUTES,
    iter_routes,
    matrix_markdown,
    operation_for,
    record_params,
)
from app.reports.models import Report
from app.tracts.models import Dong, Tract
from app.visits.models import ServiceLink
from tests.conftest import login

USERS = {"admin": "admin", "district_staff": "district", "dong_staff": "dong01", "tongjang": "tongjang01",
         "partner": "partner01"}
# Allowed callers may still get 404 here: the second id (a photo) does not exist in the test data.
SECOND_ID_MAY_BE_MISSING = {("GET", "/api/v1/reports/{report_id}/photos/{photo_id}")}


@dataclass
class Who:
    username: str
    role: str
    user_id: int
    dong_ids: set[int]
    tract_ids: set[int]
    facility_id: int | None


@dataclass
class Rec:
    """A record of the test world and the facts its scope depends on."""

    kind: str
    id: int
    dong_id: int | None
    referred_to: int | None = None  # facility id
    reporter_id: int | None = None
    extra: dict = field(default_factory=dict)  # ids of dependent records (a service link of this household)


def _who(session, username: str) -> Who:
    user = session.execute(select(User).where(User.username == username)).scalar_one()
    dongs = set(session.execute(select(UserDong.dong_id).where(UserDong.user_id == user.id)).scalars())
    tracts = set(session.execute(select(UserTract.tract_id).where(UserTract.user_id == user.id)).scalars())
    return Who(username, user.role, user.id, dongs, tracts, user.facility_id)


def labels(who: Who, rec: Rec) -> set[str]:
    """The scope of a record for a caller, from the facts the test set up (not from the app's code)."""
    if rec.kind == "report":
        if rec.reporter_id == who.user_id:
            return {OWN}
        if who.role in ("tongjang", "partner"):
            return {OTHER}
    if rec.kind == "tract" and who.role == "tongjang":
        return {OWN if rec.id in who.tract_ids else OTHER}
    found = {OWN if rec.dong_id in who.dong_ids else OTHER}
    if rec.kind == "household" and who.facility_id is not None and rec.referred_to == who.facility_id:
        found.add(REFERRED)
    return found


def _household(session, dong_id: int, partner_facility: int) -> Household:
    referred = exists().where(ServiceLink.household_id == Household.id, ServiceLink.facility_id == partner_facility)
    return session.execute(select(Household).where(Household.dong_id == dong_id, Household.status == "active",
                                                   ~referred).order_by(Household.id).limit(1)).scalar_one()


def _link(session, household_id: int, facility_id: int, user_id: int) -> int:
    link = ServiceLink(household_id=household_id, type="referral", facility_id=facility_id, status="requested",
                       created_by=user_id)
    session.add(link)
    session.flush()
    return link.id


def _report(session, dong_id: int | None, reporter: int | None, n: int) -> int:
    report = Report(receipt_no=f"T-PERM-{n}", channel="api", status="new", description="권한 시험 신고",
                    dong_id=dong_id, reporter_user_id=reporter, indicators=[])
    session.add(report)
    session.flush()
    return report.id


@pytest.fixture
def world(session):
    """Users of every role and, for each kind of record, one in dong01's dong, one elsewhere, one referred."""
    who = {role: _who(session, name) for role, name in USERS.items()}
    partner_facility = who["partner"].facility_id
    assert partner_facility is not None
    dong_a = next(iter(who["dong_staff"].dong_ids))
    tongjang_tract = next(iter(who["tongjang"].tract_ids))
    assert session.get(Tract, tongjang_tract).dong_id == dong_a, "tongjang01 works in dong01's dong"
    dong_b = session.execute(select(Dong.id).where(Dong.id != dong_a, Dong.id.in_(
        select(Household.dong_id))).order_by(Dong.code).limit(1)).scalar_one()
    other_facility = session.execute(select(Facility.id).where(Facility.id != partner_facility)
                                     .order_by(Facility.id).limit(1)).scalar_one()
    staff_id = who["admin"].user_id
    h_own, h_other = _household(session, dong_a, partner_facility), _household(session, dong_b, partner_facility)
    h_ref = session.execute(select(Household).where(Household.dong_id == dong_b, Household.status == "active",
                                                    Household.id != h_other.id).order_by(Household.id.desc())
                            .limit(1)).scalar_one()
    households = [
        Rec("household", h_own.id, dong_a, extra={"link_id": _link(session, h_own.id, other_facility, staff_id)}),
        Rec("household", h_other.id, dong_b,
            extra={"link_id": _link(session, h_other.id, other_facility, staff_id)}),
        Rec("household", h_ref.id, dong_b, referred_to=partner_facility,
            extra={"link_id": _link(session, h_ref.id, partner_facility, staff_id)}),
    ]
    tract_b = session.execute(select(Tract.id).where(Tract.dong_id == dong_b).order_by(Tract.number)
                              .limit(1)).scalar_one()
    tract_a2 = session.execute(select(Tract.id).where(Tract.dong_id == dong_a, Tract.id != tongjang_tract)
                               .order_by(Tract.number).limit(1)).scalar_one()
    records = {
        "household": households,
        "dong": [Rec("dong", dong_a, dong_a), Rec("dong", dong_b, dong_b)],
        "tract": [Rec("tract", tongjang_tract, dong_a), Rec("tract", tract_a2, dong_a), Rec("tract", tract_b, dong_b)],
        "report": [Rec("report", _report(session, dong_a, None, 1), dong_a),
                   Rec("report", _report(session, dong_b, None, 2), dong_b),
                   Rec("report", _report(session, dong_a, who["tongjang"].user_id, 3), dong_a,
                       reporter_id=who["tongjang"].user_id),
                   Rec("report", _report(session, dong_b, who["partner"].user_id, 4), dong_b,
                       reporter_id=who["partner"].user_id)],
    }
    session.commit()
    return who, records, partner_facility


def _query_names(route: APIRoute) -> set[str]:
    names, stack = set(), [route.dependant]
    while stack:
        dependant = stack.pop()
        names |= {p.alias or p.name for p in dependant.query_params}
        stack.extend(dependant.dependencies)
    return names


def _fill(path: str, values: dict) -> str:
    for name, value in values.items():
        path = path.replace("{" + name + "}", str(value))
    return path


def _variants(route: APIRoute, op, records, facility_id: int):
    """(record or None, concrete path, query) for each scope the route can address."""
    kinds = {name: kind for name, kind in record_params(op).items() if "{" + name + "}" in route.path}
    defaults = {"fmt": "csv", "facility_id": facility_id, "photo_id": 1, "link_id": 1}
    if kinds:
        (name, kind), = kinds.items()  # every route addresses at most one scoped record in its path
        for rec in records[kind]:
            yield rec, _fill(route.path, {**defaults, **rec.extra, name: rec.id}), {}
        return
    path = _fill(route.path, defaults)
    yield None, path, {}
    query = _query_names(route)
    for name, kind in record_params(op).items():
        if name in query:
            for rec in records[kind]:
                yield rec, path, {name: rec.id}


def api_routes(app):
    for method, path, route in iter_routes(app):
        if isinstance(route, APIRoute) and path.startswith("/api/v1") and (method, path) not in PUBLIC_ROUTES:
            yield method, path, route


def test_every_route_is_in_the_matrix_or_public(app):
    missing = []
    for method, path, _route in iter_routes(app):
        if method == "MOUNT":
            if not path.startswith(PUBLIC_MOUNTS):
                missing.append(f"mount {path}")
        elif (method, path) not in ROUTES and (method, path) not in PUBLIC_ROUTES:
            missing.append(f"{method} {path}")
    assert not missing, "routes missing from app/policy/permissions.py (denied at run time): " + ", ".join(missing)
    for name in set(ROUTES.values()):
        assert name in OPERATIONS
    for op in OPERATIONS.values():
        assert set(op.grants) <= set(ROLES) and all(s <= EVERYWHERE for s in op.grants.values())
        assert not op.personal or op.action, f"{op.name}: personal data needs an access-record action"


def test_matrix_walk_over_routes_roles_and_scopes(app, client, world):
    who, records, partner_facility = world
    headers = {role: login(client, name) for role, name in USERS.items()}
    problems: list[str] = []
    calls = 0
    for method, template, route in api_routes(app):
        op = operation_for(method, template)
        assert op is not None, f"{method} {template} is not in the matrix"
        for rec, path, query in _variants(route, op, records, partner_facility):
            anon = client.request(method, path, params=query)
            if anon.status_code != 401:
                problems.append(f"anonymous {method} {path} {query} → {anon.status_code}")
            for role in ROLES:
                h = login(client, USERS[role]) if op.name == "auth.logout" else headers[role]
                response = client.request(method, path, params=query, headers=h)
                calls += 1
                where = f"{role} {method} {path} {query}"
                if not op.allows_role(role):
                    if response.status_code != 403:
                        problems.append(f"{where}: role not granted → expected 403, got {response.status_code}")
                    continue
                allowed = rec is None or bool(labels(who[role], rec) & op.scopes_for(role))
                if allowed:
                    if response.status_code in (401, 403) or (
                            response.status_code == 404 and (method, template) not in SECOND_ID_MAY_BE_MISSING):
                        problems.append(f"{where}: in scope → expected to pass the gate, got "
                                        f"{response.status_code} {response.text[:120]}")
                elif response.status_code != 404 or response.content != b"":
                    problems.append(f"{where}: out of scope → expected an empty 404, got "
                                    f"{response.status_code} {response.text[:120]}")
    assert calls > 300
    assert not problems, f"{len(problems)} matrix violations:\n" + "\n".join(problems[:80])


def test_out_of_scope_looks_exactly_like_missing(client, as_user, world):
    who, records, _ = world
    other = records["household"][1]
    headers = as_user("dong01")
    hidden = client.get(f"/api/v1/households/{other.id}", headers=headers)
    missing = client.get("/api/v1/households/2147483000", headers=headers)
    unknown_path = client.get("/api/v1/no-such-thing", headers=headers)
    for r in (hidden, missing, unknown_path):
        assert r.status_code == 404 and r.content == b"" and "content-type" not in r.headers
    assert dict(hidden.headers).keys() == dict(missing.headers).keys()


def test_partner_sees_only_referred_households_masked_and_cut_to_the_dong(client, as_user, session, world):
    who, records, partner_facility = world
    own, other, referred = records["household"]
    headers = as_user("partner01")
    body = client.get(f"/api/v1/households/{referred.id}", headers=headers)
    assert body.status_code == 200, body.text
    data = body.json()
    h = session.get(Household, referred.id)
    dong = session.get(Dong, h.dong_id)
    assert data["head_name"] != h.head_name and "*" in data["head_name"] and data["masked"] is True
    assert data["address"] == dong.name and data["registered_address"] is None and data["notes"] is None
    assert data["tract_id"] is None and data["risk_reason"] is None and data["has_rrn"] is False
    if h.phone:
        assert data["phone"] != h.phone and data["phone"].endswith("****")
    exact = session.execute(select(func.ST_X(Household.geom), func.ST_Y(Household.geom))
                            .where(Household.id == h.id)).one()
    assert (round(exact[0], 6), round(exact[1], 6)) != (round(data["lon"], 6), round(data["lat"], 6))
    for hid in (own.id, other.id):
        r = client.get(f"/api/v1/households/{hid}", headers=headers)
        assert r.status_code == 404 and r.content == b""
    for path in ("/api/v1/households", "/api/v1/layers/households", "/api/v1/exports/households.csv?purpose=점검용",
                 f"/api/v1/print/tracts/{records['tract'][0].id}.pdf?purpose=점검용"):
        assert client.get(path, headers=headers).status_code == 403, path
    assert client.post(f"/api/v1/households/{referred.id}/unmask", headers=headers,
                       json={"purpose": "보고 싶음"}).status_code == 403
    links = client.get(f"/api/v1/households/{referred.id}/services", headers=headers).json()["items"]
    assert links and {link["facility_id"] for link in links} == {partner_facility}
    link = links[0]
    done = client.patch(f"/api/v1/households/{referred.id}/services/{link['id']}", headers=headers,
                        json={"status": "delivered", "version": link["version"], "note": "식품 꾸러미 전달"})
    assert done.status_code == 200 and done.json()["status"] == "delivered", done.text


def test_matrix_table_names_every_operation():
    table = matrix_markdown()
    for op in OPERATIONS.values():
        assert op.name in table
    assert table.count("\n") == len(OPERATIONS) + 2
