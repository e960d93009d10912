"""Owners' photos, in the office's own media store so the console can show them.

A photo an owner sent is known to the desk by the channel's file id (Telegram's), which a
browser cannot open.  The first time a case page shows it, it is fetched through the
channel that received it and kept in MEDIA_DIR under a name derived from the file id
(`photo-<digest>-<content hash>.jpg`), so later views read the copy.  A console running
without that channel (`wuye web` beside a bot in another process) shows what was already
fetched and counts the rest.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path

from bot import media

log = logging.getLogger("wuye.web.photos")

Fetch = Callable[[str], Awaitable[bytes]]


class PhotoStore:
    def __init__(self, media_dir: Path, fetchers: dict[str, Fetch] | None = None) -> None:
        self.media_dir = media_dir
        # One per channel this process runs: the channel's own download (bot.telegram).
        self.fetchers: dict[str, Fetch] = dict(fetchers or {})

    def _stem(self, channel: str, ref: str) -> str:
        return "photo-" + hashlib.sha256(f"{channel}:{ref}".encode()).hexdigest()[:20]

    async def local(self, channel: str, refs: list[str], case_id: int) -> tuple[list[str], int]:
        """Media-store names for the case's photos (fetching those not yet here), and how many
        could not be shown."""
        names: list[str] = []
        missing = 0
        for ref in refs:
            if media.is_media(ref):
                names.append(ref.removeprefix(media.PREFIX))
                continue
            stem = self._stem(channel, ref)
            kept = sorted(self.media_dir.glob(f"{stem}-*.jpg")) if self.media_dir.is_dir() else []
            if kept:
                names.append(kept[0].name)
                continue
            fetch = self.fetchers.get(channel)
            if fetch is None:
                missing += 1
                continue
            try:
                data = await fetch(ref)
                names.append(media.save(self.media_dir, stem, data, ".jpg").removeprefix(media.PREFIX))
            except Exception as exc:  # the channel refused or could not be reached: shown as missing
                log.warning("could not fetch a photo of case %s from %s (%s)", case_id, channel,
                            exc.__class__.__name__)
                missing += 1
        return names, missing
