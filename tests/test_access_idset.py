"""Access records keep their household ids packed: the encoding round-trips, existing records keep verifying
after the migration that packs them, and a map view's record is a third of what it was."""
import uuid

import pytest
from alembic import command
from alembic.config import Config
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from app.access import service as access
from app.config import get_settings
from app.dev.pgcluster import drop_database
from app.idset import pack, unpack
from app.policy.principal import Principal
from tests.conftest import ROOT

IDS = st.lists(st.integers(min_value=1, max_value=2**31 - 1), max_size=300)


@given(IDS)
def test_pack_round_trips_sorted_distinct_ids(ids):
    assert unpack(pack(ids)) == sorted(set(ids))


def test_packing_refuses_what_is_not_an_id_and_reading_refuses_a_cut_set():
    with pytest.raises(ValueError):
        pack([0])
    with pytest.raises(ValueError):
        unpack(pack([300])[:1])
    assert pack([]) == b"" and unpack(b"") == []


def test_a_map_view_of_two_thousand_households_takes_a_third_of_the_array():
    ids = list(range(1, 150_000, 75))[:2000]  # 2,000 households spread over a district of 150,000
    assert len(pack(ids)) <= 2000 and 2000 * 8 / len(pack(ids)) >= 3  # bigint[] needed 8 bytes each


def _alembic(url: str, revision: str, down: bool = False) -> None:
    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    cfg.attributes["url"] = url
    (command.downgrade if down else command.upgrade)(cfg, revision)


def test_records_written_before_the_packing_migration_still_verify(pg_server):
    name = f"happymap_m_{uuid.uuid4().hex[:10]}"
    pg_server.create(name)
    owner_url = pg_server.url(name, app=False)
    try:
        _alembic(owner_url, "0005")
        engine = create_engine(owner_url)
        with engine.begin() as conn:  # three records as the old schema held them (bigint[]), chained
            prev = access.GENESIS
            for i, ids in enumerate(([3, 1, 2], [], list(range(10, 5000, 7))), start=1):
                row = {"id": i, "at": get_settings().now().replace(microsecond=0), "user_id": 1,
                       "username": "admin", "role": "admin", "client_ip": None, "action": "list",
                       "resource": "GET /api/v1/layers/households", "household_ids": sorted(ids), "purpose": None}
                digest = access.record_hash(prev, row)
                conn.execute(text("INSERT INTO access_records (id, at, user_id, username, role, client_ip, action, "
                                  "resource, household_ids, purpose, prev_hash, hash) VALUES (:id, :at, :user_id, "
                                  ":username, :role, :client_ip, :action, :resource, :household_ids, :purpose, "
                                  ":prev, :hash)"), {**row, "prev": prev, "hash": digest})
                prev = digest
            conn.execute(text("SELECT setval(pg_get_serial_sequence('access_records', 'id'), 3)"))
        _alembic(owner_url, "head")
        with Session(engine) as s:
            check = access.verify_chain(s)
            assert check.ok and check.checked == 3
            counts = s.execute(text("SELECT household_count FROM access_records ORDER BY id")).scalars().all()
            assert counts == [3, 0, len(range(10, 5000, 7))]
            access.record(s, Principal(user_id=1, username="admin", role="admin"), "read", "GET /x", [5])
            s.commit()
            assert access.verify_chain(s).checked == 4
        _alembic(owner_url, "0005", down=True)  # and back: the arrays return as they were
        with engine.connect() as conn:
            first = conn.execute(text("SELECT household_ids FROM access_records WHERE id = 1")).scalar_one()
            assert first == [1, 2, 3]
        engine.dispose()
    finally:
        drop_database(pg_server.admin_url, name)
