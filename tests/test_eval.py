"""`archiver eval` and `archiver.evaluate`; end-to-end crawls of one fixture site per format.

The evaluation table these tests pin (and the closing notes quote) is printed by
``archiver eval tests/fixtures/seed-thread tests/fixtures/sites [--disable ...]``.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlite_utils
from click.testing import CliRunner

from archiver.cli import cli
from archiver.evaluate import evaluate

from .conftest import crawl, start_server

FIXTURES = Path(__file__).parent / "fixtures"
SEED = FIXTURES / "seed-thread"
SITES = FIXTURES / "sites"
PLATFORMS = ("wordpress", "blogger", "disqus", "schemaorg", "microformats")


def test_seed_thread_scores_100_percent_with_the_wordpress_extractor() -> None:
    score = evaluate([SEED]).platforms["wordpress"]
    assert set(score.extractors) == {"wordpress@2"}
    assert all(v == 1.0 for v in score.ratios().values()), score.ratios()
    assert (score.comments_expected, score.links_expected) == (36, 23)


def test_wordpress_scores_100_percent_on_every_wordpress_fixture_site() -> None:
    """`archiver eval tests/fixtures/seed-thread tests/fixtures/sites`: the seed (Twenty
    Fifteen), wordpress-block (Twenty Twenty-Four) and wordpress-classic (Twenty Twenty-One)."""
    report = evaluate([SEED, SITES])
    score = report.platforms["wordpress"]
    assert len(score.sites) >= 3, score.sites
    assert {"wordpress", "wordpress-block", "wordpress-classic"} <= set(score.sites)
    ratios = score.ratios()
    assert ratios["comment_recall"] == 1.0, ratios
    assert ratios["parent_accuracy"] == 1.0, ratios
    assert ratios["comment_precision"] == ratios["parent_recall"] == 1.0, ratios
    assert score.comments_matched == score.comments_expected >= 69
    assert not score.errors, score.errors


def test_generic_fallback_on_wordpress_and_blogger_fixtures() -> None:
    """With their platform extractors off, the generic fallback reads the WordPress and
    Blogger fixture sites; every comment it finds is matched and its parent is right."""
    sites = [SEED, *sorted(SITES.glob("blogger-*"))]
    report = evaluate(sites, disable=PLATFORMS)
    for platform in ("wordpress", "blogger"):
        score = report.platforms[platform]
        assert set(score.extractors) == {"generic@1"}, platform
        assert score.ratios()["comment_precision"] == 1.0
        assert score.ratios()["parent_accuracy"] >= 0.95, (platform, score.ratios())
    assert report.platforms["wordpress"].ratios()["comment_recall"] == 1.0
    # Blogger's feed-only comments (past the page's 200) need the Blogger module
    assert report.platforms["blogger"].ratios()["comment_recall"] >= 0.9


def test_every_own_fixture_site_scores_100_percent() -> None:
    sites = [p for p in sorted(SITES.iterdir()) if p.name.startswith(("schemaorg-", "mf2-", "generic-"))]
    assert len(sites) >= 6
    report = evaluate(sites)
    assert set(report.platforms) == {"schemaorg", "microformats", "generic"}
    for name, score in report.platforms.items():
        assert len(score.sites) >= 2, name
        for ratio, value in score.ratios().items():
            assert value in (1.0, None), (name, ratio, value)


def test_comments_without_platform_ids_are_matched_by_content() -> None:
    score = evaluate([SITES / "generic-flat"]).sites["generic-flat"]
    assert score.matched_by_content == score.comments_expected == 11


def test_cli_table_and_json() -> None:
    runner = CliRunner()
    result = runner.invoke(cli, ["eval", str(SEED), "--disable", "wordpress"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split()[:4] == ["platform", "sites", "posts", "comments"]
    assert lines[1].split()[:4] == ["wordpress", "1", "3/3", "36/36"]
    assert "generic@1" in lines[1] and "switched off: wordpress" in result.output
    result = runner.invoke(cli, ["eval", str(SEED), "--json"])
    data = json.loads(result.output)
    assert data["platforms"]["wordpress"]["parent_accuracy"] == 1.0
    assert data["sites"]["wordpress"]["extractors"] == {"wordpress@2": 6}


def test_cli_errors_are_one_line(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(cli, ["eval", str(tmp_path)])
    assert result.exit_code != 0 and "no expected.json" in result.output
    result = runner.invoke(cli, ["eval", str(SEED), "--disable", "wordpres"])
    assert result.exit_code != 0 and "no such extractor: wordpres" in result.output


# --- end to end: a real crawl of one fixture site per format ------------------------------


def minute(stamp: str | None) -> datetime | None:
    if not stamp:
        return None
    when = datetime.fromisoformat(stamp)
    when = when if when.tzinfo else when.replace(tzinfo=UTC)
    return when.astimezone(UTC).replace(second=0, microsecond=0)


def norm(text: str | None) -> str:
    return " ".join((text or "").split())


@pytest.mark.parametrize("name", ["schemaorg-hugo", "mf2-indieweb", "generic-forum"])
def test_crawl_of_a_fixture_site_matches_expected_json(name: str, tmp_path: Path) -> None:
    site = SITES / name
    expected = json.loads((site / "expected.json").read_text(encoding="utf-8"))
    server, info = start_server(site / "site")
    try:
        crawl(info.url, tmp_path)
    finally:
        server.shutdown()
        server.server_close()
    db = sqlite_utils.Database(tmp_path / "archive.db")
    posts = {row["url"]: row for row in db["posts"].rows}
    wanted = {info.url.rstrip("/") + t["url"]: t for t in expected["threads"]}
    assert set(posts) == set(wanted), "exactly the expected posts: no index page"
    for url, thread in wanted.items():
        post = posts[url]
        assert post["platform"] == expected["platform"]
        assert post["extractor"] == f"{expected['platform']}@1" and post["extractor_version"] == 1
        assert post["confidence"] == (0.6 if expected["platform"] == "generic" else 1.0)
        assert post["title"] == thread["post"]["title"]
        assert post["author"] == thread["post"]["author"]
        assert minute(post["published"]) == minute(thread["post"]["published"])
        assert norm(post["text"]) == norm(thread["post"]["text"])
        rows = db.query(
            "select c.*, p.source_id as parent_source from comments c "
            "left join comments p on p.id = c.parent_id where c.post_id = ? order by c.position",
            [post["id"]],
        )
        got = [(r["source_id"], r["parent_source"], r["depth"], r["author"], minute(r["published"]),
                norm(r["text"])) for r in rows]  # fmt: skip
        want = [(str(c["id"]), None if c["parent_id"] is None else str(c["parent_id"]), c["depth"],
                 c["author"], minute(c["published"]), norm(c["text"])) for c in thread["comments"]]  # fmt: skip
        assert got == want
