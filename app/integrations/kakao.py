"""Kakao i Open Builder skill webhook (filled in by its issue)."""
from fastapi import APIRouter

router = APIRouter(prefix="/integrations/kakao", tags=["kakao"])
