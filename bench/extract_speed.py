"""Extraction cost of one comment-heavy page against a bare lxml parse of the same text (issue 8).

    python bench/extract_speed.py                  # the seed's comment page, comments x10 (150)
    python bench/extract_speed.py PAGE.html        # any saved page (e.g. make_blog.py's largest)
    python bench/extract_speed.py --profile 200    # cProfile of 200 extractions, top costs

Like `bench/run.py`, each extraction gets a fresh `Page` (decoding is part of its work) and
the bare parse is ``lxml.html.document_fromstring(text)``; medians of `--repeat` runs, the
two interleaved. The target: extract / parse <= 1.5.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import re
import statistics
import sys
import time
from pathlib import Path

import lxml.html

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from archiver.extract import extract
from archiver.page import Page

SEED_PAGE = (HERE.parent / "tests/fixtures/seed-thread/wordpress/site/2016/02"
             / "no-more-guernicas-no-more-aleppos/comment-page-2/index.html")  # fmt: skip
SEED_URL = "http://127.0.0.1:8000/2016/02/no-more-guernicas-no-more-aleppos/comment-page-2/"
HEADERS = {"content-type": "text/html; charset=UTF-8"}


def seed_long_page(copies: int = 10) -> str:
    """The seed's comment page 2 (15 comments) with its comment list repeated `copies`
    times, ids renumbered (as `tests/test_extract_wordpress.py` builds it)."""
    html = SEED_PAGE.read_text(encoding="utf-8")
    start = html.index('<ol class="comment-list">') + len('<ol class="comment-list">')
    end = html.rindex("</ol>", start, html.index('<nav class="navigation comment-navigation"', start))
    block = html[start:end]
    ids = sorted(set(re.findall(r'id="comment-(\d+)"', block)))
    pattern = re.compile(r"\b(" + "|".join(ids) + r")\b")
    parts = []
    for k in range(copies):
        renumber = {old: str(10000 * (k + 1) + int(old)) for old in ids}
        parts.append(pattern.sub(lambda m, new=renumber: new[m.group(1)], block))
    return html[:start] + "".join(parts) + html[end:]


def measure(body: bytes, url: str, repeat: int) -> tuple[float, float, int]:
    """Median ms of extract(fresh Page) and of document_fromstring(text); comments read."""
    text = body.decode("utf-8")

    def page() -> Page:
        return Page(url, 200, HEADERS, body, "2024-01-01T00:00:00+00:00")

    thread = extract(page())
    for _ in range(3):  # warm up
        extract(page())
        lxml.html.document_fromstring(text)
    extract_ms, parse_ms = [], []
    for _ in range(repeat):
        p = page()
        t0 = time.perf_counter()
        extract(p)
        t1 = time.perf_counter()
        lxml.html.document_fromstring(text)
        t2 = time.perf_counter()
        extract_ms.append((t1 - t0) * 1000)
        parse_ms.append((t2 - t1) * 1000)
    comments = len(thread.comments) if thread else 0
    return statistics.median(extract_ms), statistics.median(parse_ms), comments


def profile(body: bytes, url: str, rounds: int, top: int) -> None:
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(rounds):
        extract(Page(url, 200, HEADERS, body, "2024-01-01T00:00:00+00:00"))
    profiler.disable()
    stats = pstats.Stats(profiler)
    stats.sort_stats("tottime").print_stats(top)
    stats.sort_stats("cumulative").print_stats(top)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("page", nargs="?", type=Path, help="a saved HTML page (default: the seed x10)")
    parser.add_argument("--url", default=SEED_URL, help="the URL the page is read as")
    parser.add_argument("--repeat", type=int, default=50)
    parser.add_argument("--profile", type=int, metavar="ROUNDS", help="profile instead of timing")
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    body = args.page.read_bytes() if args.page else seed_long_page().encode("utf-8")
    if args.profile:
        profile(body, args.url, args.profile, args.top)
        return
    extract_ms, parse_ms, comments = measure(body, args.url, args.repeat)
    print(f"{comments} comments, {len(body) / 1024:.0f} KiB, median of {args.repeat}: "
          f"extract {extract_ms:.2f} ms, lxml parse {parse_ms:.2f} ms, "
          f"ratio {extract_ms / parse_ms:.2f} (target <= 1.5)")


if __name__ == "__main__":
    main()
