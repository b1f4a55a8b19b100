"""`Page`: one fetched HTTP response, whether it came from a live crawl or a WARC.

Extractors take a `Page` and nothing else, so the same code runs inside a crawl
and offline over old WARC files.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from bs4.dammit import UnicodeDammit
from w3lib.encoding import (
    html_body_declared_encoding,
    http_content_type_encoding,
    read_bom,
)


@dataclass(frozen=True)
class Page:
    url: str  # the URL that answered (after redirects)
    status: int
    headers: dict[str, str]  # lower-cased names; repeated headers joined with ", "
    body: bytes  # payload with Content-Encoding removed
    fetched_at: str  # ISO 8601, UTC
    capture_id: int | None = None  # the `captures` row holding its WARC record
    meta: dict[str, object] = field(default_factory=dict, compare=False)

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()

    @cached_property
    def _decoded(self) -> tuple[str, str | None]:
        return _detect_encoding(self.body, self.headers.get("content-type", ""))

    @cached_property
    def encoding(self) -> str:
        return self._decoded[0]

    @cached_property
    def text(self) -> str:
        """The body as text, decoded with the charset that actually fits it."""
        encoding, text = self._decoded
        return text if text is not None else self.body.decode(encoding, errors="replace")

    def is_html(self) -> bool:
        if self.content_type in ("text/html", "application/xhtml+xml"):
            return True
        if self.content_type:
            return False
        head = self.body[:512].lstrip().lower()
        return head.startswith((b"<!doctype html", b"<html"))


def _detect_encoding(body: bytes, content_type: str) -> tuple[str, str | None]:
    """BOM, then the declared charset if the bytes decode with it, then a guess; with the
    text when deciding already decoded it (strictly: the same text a lenient decode gives).

    Servers and pages often declare one charset and send another (a utf-8
    header on windows-1252 bytes); decoding strictly catches that, and
    UnicodeDammit guesses from the bytes instead of producing mojibake.
    """
    bom, _ = read_bom(body)
    if bom:
        return bom, None
    declared = [
        enc
        for enc in (http_content_type_encoding(content_type), html_body_declared_encoding(body))
        if enc
    ]
    for enc in declared:
        try:
            text = codecs.decode(body, enc)
        except (UnicodeDecodeError, LookupError):
            continue
        return enc, text if isinstance(text, str) else None  # bytes: not a text encoding
    guessed = UnicodeDammit(body, known_definite_encodings=declared).original_encoding
    if guessed is None:
        return "utf-8", None
    # Detectors cannot tell the Latin single-byte code pages apart on short
    # texts; mislabelled Western pages are by far the most common case.
    if codecs.lookup(guessed).name in LATIN_CODE_PAGES:
        try:
            text = codecs.decode(body, "cp1252")
        except UnicodeDecodeError:
            return guessed, None
        return "cp1252", text
    return guessed, None


LATIN_CODE_PAGES = frozenset(
    {"cp1250", "cp1252", "cp1254", "cp1257", "latin-1", "iso8859-1", "iso8859-2", "iso8859-9",
     "iso8859-13", "iso8859-15", "mac-roman"}
)  # fmt: skip


def header_dict(pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    """`Page.headers` from header lines: names lower-cased, repeats joined with ", "."""
    headers: dict[str, str] = {}
    for name, value in pairs:
        key = name.lower()
        headers[key] = f"{headers[key]}, {value}" if key in headers else value
    return headers


def page_from_response(response: Any, fetched_at: str, capture_id: int | None) -> Page:
    """A `Page` from a Scrapy response (after Scrapy removed the Content-Encoding)."""
    pairs = (
        (name.decode("latin-1"), value.decode("latin-1"))
        for name, values in response.headers.items()
        for value in values
    )
    return Page(
        url=response.url,
        status=response.status,
        headers=header_dict(pairs),
        body=response.body,
        fetched_at=fetched_at,
        capture_id=capture_id,
    )
