"""Auth payloads."""
from pydantic import BaseModel


class TokenRead(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int


class MeRead(BaseModel):
    username: str
    role: str
    dong_ids: list[int]
    tract_ids: list[int]
    display_name: str | None = None
    facility_id: int | None = None
