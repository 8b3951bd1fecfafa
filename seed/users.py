"""Demo accounts for every role, with one password from the settings (local default documented)."""
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.auth.models import PermissionEvent, User, UserDong, UserTract
from app.auth.security import hash_password
from app.config import get_settings
from app.facilities.models import Facility
from app.tracts.models import District, Dong, Tract
from seed.bulk import insert_returning_ids, insert_rows
from seed.facilities import FOOD_BANK_NAME

DEFAULT_DEMO_PASSWORD = "happymap-demo-2026"  # documented local default; set HAPPYMAP_DEMO_PASSWORD to change
SEED_ACTOR = "seed"
# 통장 accounts: (username, dong index in code order, tract number). Two share a dong on purpose.
TONGJANG = [("tongjang01", 0, 1), ("tongjang02", 0, 2), ("tongjang03", 2, 1)]


@dataclass
class DemoUser:
    username: str
    role: str
    display_name: str
    dong_ids: list[int] = field(default_factory=list)
    tract_ids: list[int] = field(default_factory=list)
    facility_id: int | None = None


def demo_password() -> str:
    """The demo accounts' password: settings.demo_password or the local default."""
    return get_settings().demo_password or DEFAULT_DEMO_PASSWORD


def demo_users(session: Session, district_code: str) -> list[DemoUser]:
    """The accounts the demo needs, with their area scope looked up in the database."""
    district_id = session.scalar(select(District.id).where(District.code == district_code))
    dongs = session.execute(select(Dong.id, Dong.name).where(Dong.district_id == district_id)
                            .order_by(Dong.code)).all()
    users = [DemoUser("admin", "admin", "관리자"), DemoUser("district", "district_staff", "구청 복지정책과 담당")]
    for k, (dong_id, name) in enumerate(dongs, start=1):
        users.append(DemoUser(f"dong{k:02d}", "dong_staff", f"{name} 담당", dong_ids=[dong_id]))
    for username, dong_index, number in TONGJANG:
        dong_id, dong_name = dongs[dong_index]
        tract_id = session.scalar(select(Tract.id).where(Tract.dong_id == dong_id, Tract.number == number))
        users.append(DemoUser(username, "tongjang", f"{dong_name} {number}통 통장", dong_ids=[dong_id],
                              tract_ids=[tract_id]))
    food_bank = session.scalar(select(Facility.id).where(Facility.name == FOOD_BANK_NAME).order_by(Facility.id))
    users.append(DemoUser("partner01", "partner", f"{FOOD_BANK_NAME} 담당", facility_id=food_bank))
    return users


def load_users(session: Session, district_code: str) -> int:
    """Create the demo accounts that do not exist yet (by username); returns how many were created."""
    district_id = session.scalar(select(District.id).where(District.code == district_code))
    existing = set(session.scalars(select(User.username)))
    wanted = [u for u in demo_users(session, district_code) if u.username not in existing]
    if not wanted:
        return 0
    # One argon2id hash serves every demo account: they share the password anyway, and each hash costs
    # ~0.1 s of CPU and 64 MiB, which adds up on a small shared machine.
    password_hash = hash_password(demo_password())
    rows = [{"username": u.username, "display_name": u.display_name, "password_hash": password_hash,
             "role": u.role, "district_id": district_id, "facility_id": u.facility_id, "is_active": True,
             "failed_logins": 0} for u in wanted]
    ids = insert_returning_ids(session, User, rows)
    dong_rows = [{"user_id": i, "dong_id": d} for i, u in zip(ids, wanted, strict=False) for d in u.dong_ids]
    tract_rows = [{"user_id": i, "tract_id": t} for i, u in zip(ids, wanted, strict=False) for t in u.tract_ids]
    if dong_rows:
        insert_rows(session, UserDong, dong_rows)
    if tract_rows:
        insert_rows(session, UserTract, tract_rows)
    events = []
    for i, u in zip(ids, wanted, strict=False):
        scope = ""
        if u.dong_ids:
            scope += f", dong_ids={u.dong_ids}"
        if u.tract_ids:
            scope += f", tract_ids={u.tract_ids}"
        if u.facility_id:
            scope += f", facility_id={u.facility_id}"
        events.append({"user_id": i, "action": "create", "actor": SEED_ACTOR,
                       "detail": f"데모 계정 생성: role={u.role}{scope}"})
    insert_rows(session, PermissionEvent, events)
    return len(rows)
