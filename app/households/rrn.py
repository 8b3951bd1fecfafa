"""주민등록번호: validated, stored only AES-256-GCM encrypted, found again through a keyed HMAC hash."""
import base64
import binascii
import hashlib
import hmac
import os
import re
from datetime import date

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from app.config import get_settings
from app.errors import InvalidInput
from app.validation import mask_rrn_in_text

FORMAT_MESSAGE = "주민등록번호 형식이 올바르지 않습니다 (YYMMDD-NNNNNNN, 숫자 13자리)."
NO_KEY_MESSAGE = ("주민등록번호 암호화 키(HAPPYMAP_RRN_KEY_B64, HAPPYMAP_RRN_HASH_KEY_B64)가 설정되지 않아 "
                  "주민등록번호를 저장하거나 찾을 수 없습니다. 관리자에게 문의하세요.")
_PATTERN = re.compile(r"([0-9]{6})-?([0-9]{7})")
# An RRN-shaped run inside free text (not part of a longer number).
_VERSION = b"\x01"  # ciphertext layout version (key rotation adds new ones)
_AAD = b"happymap:household:rrn:v1"
_CENTURY = {"1": 1900, "2": 1900, "5": 1900, "6": 1900, "3": 2000, "4": 2000, "7": 2000, "8": 2000,
            "9": 1800, "0": 1800}


def normalize(value: str) -> str:
    """The 13 digits of a valid number (hyphen optional), or ValueError without echoing the value."""
    m = _PATTERN.fullmatch((value or "").strip())
    if not m:
        raise ValueError(FORMAT_MESSAGE)
    digits = m.group(1) + m.group(2)
    year = _CENTURY[digits[6]] + int(digits[:2])
    try:
        date(year, int(digits[2:4]), int(digits[4:6]))
    except ValueError:
        raise ValueError(FORMAT_MESSAGE) from None
    return digits


mask_in_text = mask_rrn_in_text  # one rule for every free-text field (app.validation)


def _key(b64: str | None, name: str) -> bytes:
    if not b64:
        raise InvalidInput(NO_KEY_MESSAGE)
    try:
        key = base64.b64decode(b64, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidInput(f"{name} 설정이 올바른 base64가 아닙니다.") from None
    if len(key) not in (16, 24, 32) and name == "HAPPYMAP_RRN_KEY_B64":
        raise InvalidInput(f"{name}는 AES 키 길이(16·24·32바이트)여야 합니다.")
    if len(key) < 16:
        raise InvalidInput(f"{name}는 16바이트 이상이어야 합니다.")
    return key


def encrypt(digits: str) -> bytes:
    """AES-GCM ciphertext of normalised digits: version byte, 12-byte random nonce, ciphertext and tag."""
    key = _key(get_settings().rrn_key_b64, "HAPPYMAP_RRN_KEY_B64")
    nonce = os.urandom(12)
    return _VERSION + nonce + AESGCM(key).encrypt(nonce, digits.encode(), _AAD)


def decrypt(blob: bytes) -> str:
    """The digits back from a stored ciphertext (for a future authorised reveal; never sent by the API today)."""
    key = _key(get_settings().rrn_key_b64, "HAPPYMAP_RRN_KEY_B64")
    if not blob or blob[:1] != _VERSION:
        raise InvalidInput("알 수 없는 주민등록번호 암호문 형식입니다.")
    return AESGCM(key).decrypt(blob[1:13], blob[13:], _AAD).decode()


def lookup_hash(digits: str) -> str:
    """Keyed HMAC-SHA256 of the digits: equal numbers match, the number cannot be read back or guessed offline."""
    key = _key(get_settings().rrn_hash_key_b64, "HAPPYMAP_RRN_HASH_KEY_B64")
    return hmac.new(key, digits.encode(), hashlib.sha256).hexdigest()


def protect(value: str) -> tuple[bytes, str]:
    """Ciphertext and lookup hash for a raw number (validated again here)."""
    try:
        digits = normalize(value)
    except ValueError as exc:
        raise InvalidInput(str(exc)) from None
    return encrypt(digits), lookup_hash(digits)


def mask(value: str) -> str:
    """A number as a list may show it: birth date and the sex digit, the rest hidden (980101-1******)."""
    digits = re.sub(r"\D", "", value or "")
    return f"{digits[:6]}-{digits[6]}******" if len(digits) == 13 else "*" * 6


def keys_configured() -> bool:
    settings = get_settings()
    return bool(settings.rrn_key_b64 and settings.rrn_hash_key_b64)
