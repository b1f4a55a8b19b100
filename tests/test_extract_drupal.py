"""Drupal extraction: core's comment module as Olivero (Drupal 10), Bartik (Drupal 9) and
Bartik (Drupal 7) print it.

Fixtures: ``tests/fixtures/drupal/<theme>.html``, each rendered from the theme's own
templates (cited at the top of each file): an article with three comments, one a reply,
one by an anonymous visitor with a homepage.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from archiver.extract import choose, drupal, extract

from .test_extract_wordpress import make_page

FIXTURES = Path(__file__).parent / "fixtures" / "drupal"
URL = "https://example.org/blog/some-article"
NAMES = {"olivero": ("Tomás Reyes", "Dana Whitfield"), "bartik": ("Tomás Reyes", "Dana Whitfield"),
         "bartik7": ("tomas", "dana")}  # fmt: skip
TEXTS = ("Great overview, thanks.", "Same here. We wrote a small source plugin", "Did the Redirect module")


def read(theme: str):
    return make_page(URL, (FIXTURES / f"{theme}.html").read_bytes())


@pytest.mark.parametrize("theme", sorted(NAMES))
def test_comments_their_parents_authors_times_and_words(theme: str) -> None:
    page = read(theme)
    assert choose(page) is drupal
    thread = extract(page)
    assert thread is not None and (thread.platform, thread.extractor) == ("drupal", "drupal@1")
    got = [(c.source_id, c.parent_source_id, c.depth, c.published) for c in thread.comments]
    assert got == [("12", None, 0, "2023-05-03T09:12:00+00:00"), ("13", "12", 1, "2023-05-03T11:47:00+00:00"),
                   ("15", None, 0, "2023-05-04T18:05:00+00:00")]  # fmt: skip
    registered, author = NAMES[theme]
    assert [c.author for c in thread.comments] == [registered, author, "Maria K."]  # "(not verified)" dropped
    assert [c.author_url for c in thread.comments][:2] == [URL.rsplit("/", 2)[0] + "/user/7",
                                                            URL.rsplit("/", 2)[0] + "/user/3"]  # fmt: skip
    for comment, words in zip(thread.comments, TEXTS, strict=True):
        assert comment.text.startswith(words)
        assert not {"Reply", "reply", "Permalink"} & set(comment.text.split())
        assert "<h3" not in comment.html and "Great overview</a>" not in comment.html  # no subject
        n = comment.source_id
        assert comment.permalink == f"https://example.org/comment/{n}#comment-{n}"


@pytest.mark.parametrize("theme", sorted(NAMES))
def test_the_post(theme: str) -> None:
    post = extract(read(theme)).post
    assert post.title == "Migrating a small newsroom to Drupal 10"
    assert post.author == NAMES[theme][1]
    assert post.published.startswith("2023-05-02")
    assert post.text.startswith("Last spring our four-person newsroom") and "Great overview" not in post.text


def test_a_relative_time_gives_way_to_the_hidden_timestamp() -> None:
    """Olivero writes "3 years 6 months ago": the time comes from data-comment-timestamp."""
    first = extract(read("olivero")).comments[0]
    assert first.published_raw == "3 years 6 months ago" and first.published == "2023-05-03T09:12:00+00:00"


def test_core_medium_dates_are_month_first() -> None:
    """Bartik's "Thu, 05/04/2023 - 18:05" is 4 May, not 5 April."""
    last = extract(read("bartik")).comments[-1]
    assert (last.published, last.published_raw) == ("2023-05-04T18:05:00+00:00", "Thu, 05/04/2023 - 18:05")


def test_other_platforms_are_not_taken() -> None:
    wordpress = Path(__file__).parent / "fixtures" / "wordpress" / "astra-theme.html"
    assert drupal.detect(make_page(URL, wordpress.read_bytes())) == 0.0
