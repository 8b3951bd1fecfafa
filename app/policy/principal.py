"""Who is calling and which part of the district they may see."""
from dataclasses import dataclass, field

WHOLE_DISTRICT_ROLES = frozenset({"admin", "district_staff"})
STAFF_ROLES = frozenset({"admin", "district_staff", "dong_staff"})


@dataclass(frozen=True)
class Principal:
    """The signed-in user with their area scope, resolved once per request."""

    user_id: int
    username: str
    role: str
    dong_ids: frozenset[int] = field(default_factory=frozenset)
    tract_ids: frozenset[int] = field(default_factory=frozenset)
    facility_id: int | None = None
    session_id: int | None = None
    client_ip: str | None = None

    @property
    def sees_whole_district(self) -> bool:
        return self.role in WHOLE_DISTRICT_ROLES

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES

    def may_see_dong(self, dong_id: int | None) -> bool:
        """Whether households of this dong are in the caller's area (partners: only referrals)."""
        if self.sees_whole_district:
            return True
        return self.role == "dong_staff" and dong_id in self.dong_ids
