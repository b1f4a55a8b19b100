"""What the spider hands to the item pipeline: one page's thread, or an error."""

from __future__ import annotations

from dataclasses import dataclass

from .records import Thread


@dataclass(frozen=True, slots=True)
class ThreadItem:
    thread: Thread
    capture_id: int | None
    seen_at: str  # the capture time


@dataclass(frozen=True, slots=True)
class ErrorItem:
    url: str
    kind: str  # "http 404", "timeout", "dns", "extraction", "too large", ...
    detail: str
    capture_id: int | None = None
