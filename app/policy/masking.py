"""Masking of personal data on the server, per role (김*수, 010-1234-****)."""
import re

from app.policy.principal import Principal

FULL_VIEW_ROLES = frozenset({"admin", "district_staff", "dong_staff"})


def mask_name(name: str | None) -> str | None:
    """Keep the first and last character: 김철수 → 김*수, 김수 → 김*, 남궁민수 → 남**수."""
    if not name:
        return name
    if len(name) <= 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def mask_phone(phone: str | None) -> str | None:
    """Hide the last block of digits: 010-1234-5678 → 010-1234-****. ASCII digits only, as phones are
    validated; app.exports.cells.masked_phone says the same in SQL."""
    if not phone:
        return phone
    if len(re.sub(r"[^0-9]", "", phone)) < 8:
        return "*" * len(phone)
    if re.search(r"[0-9]{4}\Z", phone):
        return re.sub(r"[^0-9-]", "", phone)[:-4] + "****"
    return phone[:-4] + "****"


def sees_full_identity(principal: Principal) -> bool:
    return principal.role in FULL_VIEW_ROLES
