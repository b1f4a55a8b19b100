"""Security headers for every response: a strict Content-Security-Policy and friends.

Datasette sends no CSP. Archived HTML is sanitised when stored and again when
shown, and this policy is the third wall: no script runs unless it is served by
this Datasette (`'self'`) or is one of Datasette's own inline scripts, allowed by
the SHA-256 of its exact text. No frames, plugins, forms to elsewhere, or
`<base>` rewriting; images only from this server unless remote images are on.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Awaitable, Callable, MutableMapping
from functools import lru_cache
from importlib.resources import files
from typing import Any

__all__ = ["csp", "datasette_inline_script_hashes", "security_headers", "wrap"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
ASGIApp = Callable[[Scope, Callable[[], Awaitable[Message]], Callable[[Message], Awaitable[None]]], Awaitable[None]]

_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.S)
# table.html's one templated inline script; the variable is "true" or "false".
_ALLOW_FACET = "{{ datasette_allow_facet }}"


def _sha256(text: str) -> str:
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return "'sha256-" + base64.b64encode(digest).decode("ascii") + "'"


@lru_cache(maxsize=1)
def datasette_inline_script_hashes() -> tuple[str, ...]:
    """CSP hashes of the inline scripts in the installed Datasette's templates.

    Computed from the templates themselves, so a Datasette upgrade that changes
    a script changes its hash too. Scripts with template code other than
    table.html's facet flag are not allowed (there are none in Datasette 0.65).
    """
    hashes: set[str] = set()
    for template in (files("datasette") / "templates").iterdir():
        if not template.name.endswith(".html"):
            continue
        for script in _INLINE_SCRIPT.findall(template.read_text(encoding="utf-8")):
            variants = [script]
            if _ALLOW_FACET in script:
                variants = [script.replace(_ALLOW_FACET, flag) for flag in ("true", "false")]
            hashes.update(_sha256(v) for v in variants if "{{" not in v and "{%" not in v)
    return tuple(sorted(hashes))


def csp(*, remote_images: bool = False) -> str:
    images = "'self' data:" + (" https: http:" if remote_images else "")
    directives = {
        "default-src": "'none'",
        "script-src": " ".join(["'self'", *datasette_inline_script_hashes()]),
        # Datasette's pages carry <style> blocks and style attributes; archived
        # HTML carries neither (nh3 drops them), so inline styles stay allowed.
        "style-src": "'self' 'unsafe-inline'",
        "img-src": images,
        "font-src": "'self'",
        "connect-src": "'self'",
        "form-action": "'self'",
        "base-uri": "'none'",
        "frame-src": "'none'",
        "frame-ancestors": "'none'",
        "object-src": "'none'",
    }
    return "; ".join(f"{name} {value}" for name, value in directives.items())


def security_headers(*, remote_images: bool = False) -> list[tuple[bytes, bytes]]:
    return [
        (b"content-security-policy", csp(remote_images=remote_images).encode("ascii")),
        (b"x-content-type-options", b"nosniff"),
        (b"x-frame-options", b"DENY"),
        # Links and remote images do not tell archived sites who is reading.
        (b"referrer-policy", b"no-referrer"),
    ]


def wrap(app: ASGIApp, headers: list[tuple[bytes, bytes]]) -> ASGIApp:
    """An ASGI app that adds `headers` to every HTTP response of `app`."""
    names = {name for name, _ in headers}

    async def with_headers(scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                kept = [(k, v) for k, v in message.get("headers", []) if k.lower() not in names]
                message = {**message, "headers": kept + headers}
            await send(message)

        await app(scope, receive, send_with_headers)

    return with_headers
