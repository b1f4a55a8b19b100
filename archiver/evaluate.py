"""Extraction quality against fixture sites: precision and recall per platform.

A fixture site is a directory with ``expected.json`` (the format of
``tests/fixtures/seed-thread/*/expected.json``) and its HTML files, in ``site/`` or
beside it. Every HTML file is extracted as the page ``http://127.0.0.1:8000/<path>``
(``index.html`` answering for its directory), by the extractor the registry picks,
with some platforms switched off if asked. Comment pages are merged as the store
merges them (by post URL and comment id, in comment-page then page order).

Comments are matched by id first. A comment whose id no expected comment has (the
generic extractor's hashed ids, say) is matched by author, text (whitespace collapsed)
and time (to the minute, when both have one) instead; ``matched_by_content`` counts
those. A matched comment's parent link is right when its parent maps to the expected
parent (or both are top level).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from .exceptions import ArchiverError, ExtractionError
from .extract import EXTRACTORS, choose, extract_source
from .page import Page
from .records import Comment, Thread

ORIGIN = "http://127.0.0.1:8000/"
FETCHED_AT = "2026-01-01T00:00:00+00:00"
POST_FIELDS = ("title", "author", "published", "text")
COMMENT_FIELDS = ("author", "published", "text")


@dataclass
class Score:
    """Counts for one platform (or one site); ratios are computed from them."""

    sites: list[str] = field(default_factory=list)
    extractors: Counter[str] = field(default_factory=Counter)
    posts_expected: int = 0
    posts_found: int = 0
    post_fields: int = 0
    post_fields_right: int = 0
    comments_expected: int = 0
    comments_found: int = 0
    comments_matched: int = 0
    matched_by_content: int = 0
    comment_fields: int = 0
    comment_fields_right: int = 0
    parents_right: int = 0  # matched comments whose parent (or top level) is right
    links_expected: int = 0  # expected replies (non-null parents)
    links_found: int = 0  # found replies among matched comments
    links_right: int = 0  # found replies with the right parent
    errors: list[str] = field(default_factory=list)

    def add(self, other: Score) -> None:
        for name, value in asdict(other).items():
            if isinstance(value, int):
                setattr(self, name, getattr(self, name) + value)
        self.sites += other.sites
        self.extractors.update(other.extractors)
        self.errors += other.errors

    def ratios(self) -> dict[str, float | None]:
        return {
            "comment_precision": _ratio(self.comments_matched, self.comments_found),
            "comment_recall": _ratio(self.comments_matched, self.comments_expected),
            "parent_accuracy": _ratio(self.parents_right, self.comments_matched),
            "parent_precision": _ratio(self.links_right, self.links_found),
            "parent_recall": _ratio(self.links_right, self.links_expected),
            "post_recall": _ratio(self.posts_found, self.posts_expected),
            "post_field_accuracy": _ratio(self.post_fields_right, self.post_fields),
            "comment_field_accuracy": _ratio(self.comment_fields_right, self.comment_fields),
        }


@dataclass
class Report:
    platforms: dict[str, Score]
    sites: dict[str, Score]
    disabled: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, object]:
        def one(score: Score) -> dict[str, object]:
            counts = {k: v for k, v in asdict(score).items() if isinstance(v, int)}
            return {**score.ratios(), **counts, "extractors": dict(score.extractors),
                    "sites": score.sites, "errors": score.errors}  # fmt: skip

        return {
            "disabled": list(self.disabled),
            "platforms": {name: one(s) for name, s in self.platforms.items()},
            "sites": {name: one(s) for name, s in self.sites.items()},
        }

    def table(self) -> str:
        """A plain-text table, one row per platform."""
        head = ("platform", "sites", "posts", "comments", "c.prec", "c.recall", "parent.acc",
                "p.prec", "p.recall", "post fields", "extractors")  # fmt: skip
        rows: list[tuple[str, ...]] = [head]
        for name, s in sorted(self.platforms.items()):
            r = s.ratios()
            rows.append((
                name, str(len(s.sites)), f"{s.posts_found}/{s.posts_expected}",
                f"{s.comments_matched}/{s.comments_expected}" + (
                    f" ({s.matched_by_content} by content)" if s.matched_by_content else ""),
                *(_pct(r[k]) for k in ("comment_precision", "comment_recall", "parent_accuracy",
                                       "parent_precision", "parent_recall", "post_field_accuracy")),
                ", ".join(f"{k} {v}" for k, v in sorted(s.extractors.items())) or "-",
            ))  # fmt: skip
        widths = [max(len(row[i]) for row in rows) for i in range(len(head))]
        lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
                 for row in rows]  # fmt: skip
        if self.disabled:
            lines.append(f"(extractors switched off: {', '.join(self.disabled)})")
        for name, s in sorted(self.sites.items()):
            lines.extend(f"{name}: {e}" for e in s.errors)
        return "\n".join(lines)


def evaluate(site_dirs: Iterable[Path | str], disable: Iterable[str] = ()) -> Report:
    """Extract every fixture site in `site_dirs` and score it against its expected.json."""
    disabled = frozenset(disable)
    known = {module.PLATFORM for module in EXTRACTORS}
    if unknown := disabled - known:
        raise ArchiverError(f"no such extractor: {', '.join(sorted(unknown))} "
                            f"(known: {', '.join(sorted(known))})")  # fmt: skip
    platforms: dict[str, Score] = {}
    sites: dict[str, Score] = {}
    for site_dir in fixture_sites(site_dirs):
        expected = json.loads((site_dir / "expected.json").read_text(encoding="utf-8"))
        if not isinstance(expected, dict) or not isinstance(expected.get("threads"), list):
            raise ArchiverError(f"{site_dir / 'expected.json'}: no \"threads\" list; not a "
                                "fixture site's expected.json")  # fmt: skip
        score = _score_site(site_dir, expected, disabled)
        sites[site_dir.name] = score
        platforms.setdefault(expected.get("platform", "?"), Score()).add(score)
    return Report(platforms, sites, tuple(sorted(disabled)))


def fixture_sites(paths: Iterable[Path | str]) -> list[Path]:
    """The fixture sites in `paths`: each directory with an expected.json, or those below it.

    Raises `ArchiverError` for a path that holds none.
    """
    found: list[Path] = []
    for path in map(Path, paths):
        if (path / "expected.json").is_file():
            found.append(path)
            continue
        below = sorted(p.parent for p in path.rglob("expected.json")) if path.is_dir() else []
        if not below:
            raise ArchiverError(f"{path}: no expected.json in or below this directory")
        found.extend(below)
    return found


def site_pages(site_dir: Path) -> list[Page]:
    """Every HTML file of a fixture site as the page a local server would answer."""
    root = site_dir / "site" if (site_dir / "site").is_dir() else site_dir
    pages = []
    for path in sorted(root.rglob("*.html")):
        rel = path.relative_to(root).as_posix()
        url = ORIGIN + (rel.removesuffix("index.html"))
        headers = {"content-type": "text/html; charset=utf-8"}
        pages.append(Page(url, 200, headers, path.read_bytes(), FETCHED_AT))
    return pages


def _local(site_dir: Path, url: str) -> Page | None:
    """A comment source (feed, API answer) of a fixture site, if the site holds it."""
    if not url.startswith(ORIGIN):
        return None
    root = site_dir / "site" if (site_dir / "site").is_dir() else site_dir
    path = url[len(ORIGIN):].split("?")[0].split("#")[0]
    for candidate in (root / path, root / f"{path}.json", root / path / "index.html"):
        if candidate.is_file():
            body = candidate.read_bytes()
            kind = "application/json" if body.lstrip()[:1] in (b"{", b"[") else "text/html"
            return Page(url, 200, {"content-type": kind}, body, FETCHED_AT)
    return None


def _score_site(site_dir: Path, expected: dict, disabled: frozenset[str]) -> Score:
    score = Score(sites=[site_dir.name])
    threads: dict[str, list[Thread]] = {}
    for page in site_pages(site_dir):
        module = choose(page, disabled)
        if module is None:
            continue
        try:
            thread = module.extract(page)
        except ExtractionError as exc:
            score.errors.append(f"{page.url}: {exc.reason}")
            continue
        if thread is not None:
            threads.setdefault(thread.post.url, []).append(thread)
            score.extractors[thread.extractor] += 1
    for url, found in list(threads.items()):  # the threads' comment sources held locally
        sources = [u for t in found for u in t.comment_sources]
        seen: set[str] = set()
        while sources:
            source = sources.pop(0)
            local = None if source in seen else _local(site_dir, source)
            seen.add(source)
            if local is None:
                continue
            try:
                thread = extract_source(local, found[0].post)
            except ExtractionError as exc:
                score.errors.append(f"{source}: {exc.reason}")
                continue
            if thread is not None:
                found.append(thread)
                score.extractors[thread.extractor] += 1
                sources.extend(thread.comment_page_urls)
    for want in expected["threads"]:
        url = ORIGIN + want["url"].lstrip("/")
        got = sorted(threads.get(url, []), key=lambda t: (t.supplement, t.comment_page))
        _score_thread(score, want, got)
    return score


def _score_thread(score: Score, want: dict, got: list[Thread]) -> None:
    wanted = want["comments"]
    score.posts_expected += 1
    score.comments_expected += len(wanted)
    score.links_expected += sum(1 for c in wanted if c.get("parent_id") is not None)
    if not got:
        return
    score.posts_found += 1
    post = got[0].post
    for name in POST_FIELDS:
        score.post_fields += 1
        score.post_fields_right += _same(name, getattr(post, name), want["post"].get(name))
    merged: dict[str, Comment] = {}
    for thread in got:  # comment page order, then page order; the first reading wins
        for comment in thread.comments:
            merged.setdefault(comment.source_id, comment)
    found = list(merged.values())
    score.comments_found += len(found)
    pairs = _match(found, wanted)
    score.comments_matched += len(pairs)
    score.matched_by_content += sum(1 for g, w in pairs.items() if g != str(w["id"]))
    to_expected = {g: str(w["id"]) for g, w in pairs.items()}
    for got_id, w in pairs.items():
        comment = merged[got_id]
        for name in COMMENT_FIELDS:
            score.comment_fields += 1
            score.comment_fields_right += _same(name, getattr(comment, name), w.get(name))
        want_parent = None if w.get("parent_id") is None else str(w["parent_id"])
        got_parent = comment.parent_source_id
        mapped = None if got_parent is None else to_expected.get(got_parent, f"?{got_parent}")
        score.parents_right += mapped == want_parent
        if got_parent is not None:
            score.links_found += 1
            score.links_right += mapped == want_parent


def _match(found: list[Comment], wanted: list[dict]) -> dict[str, dict]:
    """found source_id -> expected comment: by id, then by author, text and time."""
    by_id = {str(w["id"]): w for w in wanted}
    pairs = {c.source_id: by_id[c.source_id] for c in found if c.source_id in by_id}
    left = [w for w in wanted if w not in pairs.values()]
    for c in found:
        if c.source_id in pairs:
            continue
        for w in left:
            if _norm(c.author) == _norm(w.get("author")) and _norm(c.text) == _norm(w.get("text")):
                if c.published and w.get("published") and _minute(c.published) != _minute(w["published"]):
                    continue
                pairs[c.source_id] = w
                left.remove(w)
                break
    return pairs


def _same(name: str, got: str | None, want: str | None) -> bool:
    if name == "published":
        return _minute(got) == _minute(want)
    return _norm(got) == _norm(want)


def _norm(text: str | None) -> str:
    return " ".join((text or "").split())


def _minute(stamp: str | None) -> datetime | None:
    if not stamp:
        return None
    try:
        when = datetime.fromisoformat(stamp)
    except ValueError:
        return None
    when = when if when.tzinfo else when.replace(tzinfo=UTC)
    return when.astimezone(UTC).replace(second=0, microsecond=0)


def _ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.1f}%"
