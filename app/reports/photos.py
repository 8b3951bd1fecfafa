"""Report photos: image type checked by magic bytes, size-limited, stored under settings.upload_dir."""
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from app.config import get_settings
from app.errors import InvalidInput, PayloadTooLarge

MAX_PHOTOS = 3
MAX_PHOTO_BYTES = 4 * 1024 * 1024
EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp", "image/heic": "heic"}


@dataclass(frozen=True)
class PhotoUpload:
    """One uploaded file as received (bytes in memory, at most MAX_PHOTO_BYTES)."""

    filename: str
    data: bytes


def sniff(data: bytes) -> str | None:
    """The image type from the first bytes, whatever the client claimed."""
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if len(data) >= 12 and data[4:8] == b"ftyp" and data[8:12] in (b"heic", b"heix", b"mif1", b"heim", b"heis"):
        return "image/heic"
    return None


def check(photos: list[PhotoUpload]) -> list[tuple[PhotoUpload, str]]:
    """Refuse too many, too large, empty or non-image files (Korean messages); return each with its type."""
    if len(photos) > MAX_PHOTOS:
        raise InvalidInput(f"사진은 {MAX_PHOTOS}장까지 올릴 수 있습니다.")
    checked = []
    for photo in photos:
        if len(photo.data) > MAX_PHOTO_BYTES:
            raise PayloadTooLarge(f"사진 한 장은 {MAX_PHOTO_BYTES // (1024 * 1024)}MB 이하여야 합니다.")
        kind = sniff(photo.data)
        if kind is None:
            raise InvalidInput("사진은 JPEG, PNG, WebP, HEIC 이미지 파일만 올릴 수 있습니다.")
        checked.append((photo, kind))
    return checked


def photo_dir() -> Path:
    """Where report photos live: outside the served map_ui folder, never under /static."""
    return Path(get_settings().upload_dir) / "reports"


def store(data: bytes, content_type: str) -> str:
    """Write the bytes under a random name (atomically) and return that name."""
    folder = photo_dir()
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{secrets.token_hex(16)}.{EXTENSIONS[content_type]}"
    tmp = folder / f".{name}.part"
    with open(tmp, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, folder / name)
    return name


def discard(names: list[str]) -> None:
    """Remove stored files of an intake that did not commit."""
    for name in names:
        try:
            (photo_dir() / name).unlink()
        except FileNotFoundError:
            pass


def path_of(storage_name: str) -> Path:
    """The file of a stored photo; the name comes from the database, never from the request."""
    return photo_dir() / Path(storage_name).name
