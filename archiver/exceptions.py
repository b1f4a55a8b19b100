"""Exceptions the library raises; the CLI turns them into one clear line."""

from __future__ import annotations


class ArchiverError(Exception):
    """Base class for errors a user can act on."""


class ExtractionError(ArchiverError):
    """A page looks like a thread of `platform` but could not be read."""

    def __init__(self, url: str, platform: str, reason: str) -> None:
        super().__init__(f"{url}: cannot read this {platform} thread: {reason}")
        self.url = url
        self.platform = platform
        self.reason = reason
