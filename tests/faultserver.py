"""A fault-injection web server on 127.0.0.1: every way a blog host can misbehave.

The home page links to one path per fault; `FAULTS` says what each does.
"""

from __future__ import annotations

import os
import threading
import time
import zlib
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

POST_TEMPLATE = (
    Path(__file__).parent / "fixtures" / "seed-thread" / "wordpress" / "site" / "2016" / "02" / "aleppo-update" / "index.html"
).read_text(encoding="utf-8")

FAULTS = [
    "ok-post", "gone-404", "gone-410", "flaky-500", "busy-503", "rate-429", "too-patient-429",
    "slow", "reset", "huge", "loop-a", "offsite", "endless", "bomb", "cp1252", "sjis",
    "binary", "json", "empty",
]  # fmt: skip


def post_html(path: str, title: str) -> str:
    return POST_TEMPLATE.replace("/2016/02/aleppo-update/", path).replace("Aleppo update", title)


def endless_page(n: int) -> str:
    """Comment page n of a thread whose "Newer Comments" link never ends."""
    html = post_html("/endless/", "Endless thread")
    html = html.replace('<link rel="canonical" href="/endless/" />', f'<link rel="canonical" href="/endless/comment-page-{n}/" />')
    nav = (
        '<nav class="navigation comment-navigation"><div class="nav-links">'
        f'<div class="nav-next"><a href="/endless/comment-page-{n + 1}/#comments">Newer Comments</a></div>'
        "</div></nav>"
    )
    html = html.replace('id="comment-6001"', f'id="comment-{7000 + n}"').replace("#comment-6001", f"#comment-{7000 + n}")
    html = html.replace('id="comment-6002"', f'id="comment-{8000 + n}"').replace("#comment-6002", f"#comment-{8000 + n}")
    return html.replace('<ol class="comment-list">', nav + '<ol class="comment-list">')


class FaultHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    hits: Counter[str]
    bomb: bytes

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass

    def send(self, status: int, body: bytes, content_type: str = "text/html; charset=utf-8", **headers: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name.replace("_", "-"), value)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:  # noqa: N802
        path = self.path.split("?")[0]
        self.server.hits[path] += 1  # type: ignore[attr-defined]
        hits = self.server.hits[path]  # type: ignore[attr-defined]
        name = path.strip("/").split("/")[0]
        if path == "/":
            links = "".join(f'<li><a href="/{f}/">{f}</a></li>' for f in FAULTS)
            body = f'<html><head><meta name="generator" content="WordPress 6.4"></head><body class="home blog"><ul>{links}</ul></body></html>'
            return self.send(200, body.encode())
        if path == "/robots.txt":
            return self.send(200, b"User-agent: *\nDisallow:\n", "text/plain")
        post = post_html(path, name.replace("-", " ").title()).encode()
        if name in ("ok-post", "target"):
            return self.send(200, post)
        if name.startswith("gone-"):
            return self.send(int(name[5:]), b"<h1>gone</h1>")
        if name == "flaky-500":
            return self.send(500, b"oops") if hits <= 2 else self.send(200, post)
        if name in ("busy-503", "rate-429"):
            status = 503 if name == "busy-503" else 429
            return self.send(status, b"later", Retry_After="1") if hits == 1 else self.send(200, post)
        if name == "too-patient-429":
            return self.send(429, b"come back tomorrow", Retry_After="86400")
        if name == "slow":
            time.sleep(6)
            return self.send(200, post)
        if name == "reset":
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(post) * 10))
            self.end_headers()
            self.wfile.write(post[:2000])
            self.wfile.flush()
            self.close_connection = True
            return None
        if name == "huge":
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(4_000_000))
            self.end_headers()
            chunk = b"<p>" + b"x" * 65_533
            try:
                for _ in range(4_000_000 // len(chunk)):
                    self.wfile.write(chunk)
            except (BrokenPipeError, ConnectionResetError):
                pass
            self.close_connection = True
            return None
        if name == "loop-a":
            return self.send(302, b"", Location="/loop-b/")
        if path == "/loop-b/":
            return self.send(302, b"", Location="/loop-a/")
        if name == "offsite":
            host_port = self.server.server_address[1]  # type: ignore[attr-defined]
            return self.send(302, b"", Location=f"http://localhost:{host_port}/target/")
        if name == "endless":
            n = int(path.rstrip("/").rsplit("-", 1)[1]) if "comment-page-" in path else 1
            return self.send(200, endless_page(n).encode())
        if name == "bomb":
            return self.send(200, self.server.bomb, Content_Encoding="gzip")  # type: ignore[attr-defined]
        if name == "cp1252":
            body = post_html(path, "Café déjà vu – “quoted”").replace(
                "Thanks for the update", "Señora Müller’s naïve reply"
            )
            return self.send(200, body.encode("cp1252"), "text/html; charset=utf-8")
        if name == "sjis":
            body = post_html(path, "日本語のブログ記事").replace('<meta charset="UTF-8">', '<meta charset="Shift_JIS">')
            body = body.replace("Thanks for the update", "コメントありがとう").replace("Où sont les convois ? — « on attend »", "返信です")
            body = body.replace("Émile Zoë", "山田太郎")
            return self.send(200, body.encode("shift_jis", errors="replace"), "text/html")
        if name == "binary":
            return self.send(200, os.urandom(3000) + b"\x00" * 10, "text/html")
        if name == "json":
            return self.send(200, b'{"not": "html"}', "text/html")
        if name == "empty":
            return self.send(200, b"")
        return self.send(404, b"not found")


def gzip_bomb(size: int) -> bytes:
    """A gzip body of ~size/1000 bytes that inflates to `size` zero bytes (past the
    crawl's and a rebuild's DOWNLOAD_MAXSIZE of 64 MB), made without holding `size` bytes."""
    packer = zlib.compressobj(6, zlib.DEFLATED, 31)  # 31: gzip framing
    chunk = b"\0" * 1_000_000
    return b"".join([*(packer.compress(chunk) for _ in range(size // len(chunk))), packer.flush()])


def start_fault_server() -> tuple[ThreadingHTTPServer, str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), FaultHandler)
    server.hits = Counter()  # type: ignore[attr-defined]
    server.bomb = gzip_bomb(100_000_000)  # type: ignore[attr-defined]
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"
