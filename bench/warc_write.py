"""How much does writing one exchange to WARC cost?  ms per exchange at several gzip levels.

Writes 500 exchanges (a 75 KiB page of the sample blog's comments, and its request)
with `archiver.warc.WarcWriter` at gzip levels 1, 6 and 9, and with warcio's own gzip
writer (level 9, fixed) for comparison. Each exchange is two records (response + request);
the response dominates.

    python bench/warc_write.py [--count 500] [--kib 75]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import datetime, timezone
from io import BytesIO
from pathlib import Path

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

import archiver
from archiver.warc import Exchange, WarcWriter

SAMPLE = Path(archiver.__file__).parent / "sample_blog/2016/02/no-more-guernicas-no-more-aleppos"


def blog_page(kib: int) -> bytes:
    """A real WordPress comment page of the sample blog, grown to `kib` KiB with its siblings.

    Deflate looks back 32 KiB only, so joining different pages compresses like one long page.
    """
    pages = [SAMPLE / "comment-page-2" / "index.html", SAMPLE / "comment-page-1" / "index.html",
             SAMPLE / "index.html", SAMPLE / "comment-page-3" / "index.html"]
    body = b"".join(p.read_bytes() for p in pages)
    while len(body) < kib * 1024:
        body += body
    return body[: kib * 1024]


def exchanges(count: int, body: bytes) -> list[Exchange]:
    now = datetime.now(timezone.utc)
    return [
        Exchange(
            url=f"https://blog.example/2016/02/post/comment-page-{i}/?replytocom={i}",
            method="GET",
            request_headers=[("User-Agent", "archiver/0.1"), ("Accept", "text/html")],
            request_body=b"",
            protocol="HTTP/1.1",
            status=200,
            reason=None,
            response_headers=[("Content-Type", "text/html; charset=UTF-8"), ("Set-Cookie", "a=1"),
                              ("Set-Cookie", "b=2"), ("Transfer-Encoding", "chunked")],
            body=body,
            fetched_at=now,
            ip_address="192.0.2.1",
        )
        for i in range(count)
    ]


def run_ours(items: list[Exchange], level: int, directory: Path) -> tuple[float, int]:
    start = time.perf_counter()
    with WarcWriter(directory, prefix=f"level{level}", gzip_level=level) as writer:
        for ex in items:
            writer.write_exchange(ex)
    return time.perf_counter() - start, sum(p.stat().st_size for p in writer.files)


def run_warcio(items: list[Exchange], directory: Path) -> tuple[float, int]:
    path = directory / "warcio.warc.gz"
    start = time.perf_counter()
    with path.open("wb") as f:
        writer = WARCWriter(f, gzip=True, warc_version="1.1")
        writer.write_record(writer.create_warcinfo_record(path.name, {"software": "bench"}))
        for ex in items:
            http = StatusAndHeaders("200 OK", list(ex.response_headers[:3]), protocol="HTTP/1.1")
            resp = writer.create_warc_record(ex.url, "response", payload=BytesIO(ex.body),
                                             length=len(ex.body), http_headers=http)
            req_http = StatusAndHeaders(f"GET /x {ex.protocol}", list(ex.request_headers))
            req = writer.create_warc_record(ex.url, "request", http_headers=req_http)
            writer.write_request_response_pair(req, resp)
            f.flush()
    return time.perf_counter() - start, path.stat().st_size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=500)
    parser.add_argument("--kib", type=int, default=75)
    args = parser.parse_args()
    body = blog_page(args.kib)
    items = exchanges(args.count, body)
    print(f"{args.count} exchanges, body {len(body)} bytes, 2 records each (response + request)")
    print(f"{'writer':<26}{'ms/exchange':>12}{'ms/record':>11}{'bytes/exchange':>16}{'ratio':>7}")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        runs = [
            (f"WarcWriter gzip_level={level}", lambda level=level: run_ours(items, level, out))
            for level in (1, 6, 9)
        ]
        runs.append(("warcio WARCWriter (9)", lambda: run_warcio(items, out)))
        for name, run in runs:
            run()  # warm up, then measure the best of three
            seconds, size = min(run() for _ in range(3))
            per = seconds * 1000 / len(items)
            print(f"{name:<26}{per:>12.2f}{per / 2:>11.2f}{size / len(items):>16.0f}"
                  f"{len(body) / (size / len(items)):>7.1f}")
            for p in out.iterdir():
                p.unlink()


if __name__ == "__main__":
    main()
