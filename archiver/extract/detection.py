"""Detection from the raw page text, never a parse: how sure a module is that it reads a page.

A platform module lists what its pages carry (a generator meta tag, asset paths, body
classes), each with a weight; the page scores the sum of the weights it matches
(`detect_by_signals`). A markup module (schema.org, microformats) scores a post marked
up with comments above one marked up without (`detect_markup`).
"""

from __future__ import annotations

import re

from ..page import Page

__all__ = ["MARKED_UP", "MARKED_UP_WITH_COMMENTS", "Signals", "detect_by_signals", "detect_markup"]  # fmt: skip

Signals = tuple[tuple[re.Pattern[str], float], ...]
MARKED_UP_WITH_COMMENTS = 0.85
MARKED_UP = 0.55  # a post without comment markup: still above the fallback's threshold


def detect_by_signals(page: Page, signals: Signals) -> float:
    """Confidence (0..1): the summed weights of the `signals` found in the page's text."""
    if not page.is_html():
        return 0.0
    text = page.text
    return min(1.0, sum(weight for pattern, weight in signals if pattern.search(text)))


def detect_markup(page: Page, needles: tuple[str, ...], post: re.Pattern[str],
                  comments: re.Pattern[str]) -> float:  # fmt: skip
    """`MARKED_UP_WITH_COMMENTS` when the text matches `post` and `comments`, `MARKED_UP`
    when only `post`, else 0. A page holding none of the plain `needles` is not searched:
    a substring test is ~100x cheaper than a case-insensitive regex on a 300 KB page, and
    most pages carry no such markup at all."""
    if not page.is_html():
        return 0.0
    text = page.text
    if not any(needle in text for needle in needles) or not post.search(text):
        return 0.0
    return MARKED_UP_WITH_COMMENTS if comments.search(text) else MARKED_UP
