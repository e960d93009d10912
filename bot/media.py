"""Files the bot makes and sends as photos (the weekly chart), kept in MEDIA_DIR.

`Reply.photos` holds references the channel already knows (Telegram file ids; console
paths) — and, for a generated image, `media:<name>`: a file directly inside the media
directory, which the channel uploads.  Only a plain name is accepted there: no path
separators, no leading dot, no "..", and the file must resolve to a regular file of
the directory itself (a symbolic link leading out is refused too).  So whatever ends up
in a reply, a channel can never be made to upload any other file of this machine.

Names carry a hash of the content (`weekly-lanting-20260601-3fa2c1d0e9b4.png`): a
name never changes meaning, so a message retried hours later sends what was meant.
Files older than `KEEP` are pruned when new ones are written; by then the outbox has
long delivered or given up on them.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import stat
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from handlers.kit.messages import MEDIA_PREFIX

log = logging.getLogger("wuye.media")

PREFIX = MEDIA_PREFIX
# Telegram's limit for a photo upload.
MAX_BYTES = 10 * 1024 * 1024
KEEP = timedelta(days=30)
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")


class MediaRefused(ValueError):
    """A `media:` reference that names no file of the media directory (or one too big to send)."""


@dataclass(frozen=True, slots=True)
class Upload:
    """The bytes of a media file, ready for a channel to upload."""

    filename: str
    data: bytes


def is_media(ref: str) -> bool:
    return ref.startswith(PREFIX)


def _checked_name(ref: str) -> str:
    name = ref.removeprefix(PREFIX)
    if not _NAME.fullmatch(name) or ".." in name:
        raise MediaRefused(f"not a media file name: {name[:80]!r}")
    return name


def save(media_dir: Path, stem: str, data: bytes, suffix: str = ".png") -> str:
    """Store `data` in the media directory (created on demand); return its `media:` reference."""
    if len(data) > MAX_BYTES:
        raise MediaRefused(f"{len(data)} bytes is more than a channel takes ({MAX_BYTES})")
    media_dir.mkdir(parents=True, exist_ok=True)
    name = _checked_name(f"{stem}-{hashlib.sha256(data).hexdigest()[:12]}{suffix}")
    path = media_dir / name
    if not path.is_file():
        # Written aside under a hidden name (never a valid reference), then renamed into place:
        # a deliverer reading at the same moment sees the whole file or none.
        partial = media_dir / f".{name}.{os.getpid()}.part"
        partial.write_bytes(data)
        os.replace(partial, path)
    prune(media_dir)
    return PREFIX + name


def path_of(media_dir: Path, ref: str) -> Path:
    """The file a reference names, after every check; MediaRefused otherwise."""
    name = _checked_name(ref)
    root = media_dir.resolve()
    path = root / name
    if path.resolve().parent != root:
        raise MediaRefused(f"media file {name!r} leads out of the media directory")
    return path


def read(media_dir: Path, ref: str) -> Upload:
    """The bytes of a `media:` reference, for uploading; MediaRefused when it is not one we may send."""
    path = path_of(media_dir, ref)
    try:
        # O_NOFOLLOW: a link swapped in after the check above is refused, not followed.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError as exc:
        raise MediaRefused(f"media file {path.name!r} cannot be read ({exc.strerror})") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise MediaRefused(f"media file {path.name!r} is not a regular file")
        if info.st_size > MAX_BYTES:
            raise MediaRefused(f"media file {path.name!r} is too big to send ({info.st_size} bytes)")
        with os.fdopen(fd, "rb") as file:
            fd = -1  # the file object closes it now
            return Upload(path.name, file.read(MAX_BYTES + 1))
    finally:
        if fd >= 0:
            os.close(fd)


def prune(media_dir: Path, keep: timedelta = KEEP) -> None:
    """Remove media files older than `keep` (by modification time)."""
    cutoff = time.time() - keep.total_seconds()
    try:
        entries = list(os.scandir(media_dir))
    except FileNotFoundError:
        return
    for entry in entries:
        try:
            if _NAME.fullmatch(entry.name) and entry.is_file(follow_symlinks=False) and entry.stat().st_mtime < cutoff:
                os.unlink(entry.path)
        except OSError as exc:  # another process pruned it first, or a permission problem
            log.debug("could not prune %s: %s", entry.name, exc)
