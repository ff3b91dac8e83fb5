"""What every response carries and how a request body is read: security headers, and a body read
no further than its limit.

:class:`SecurityHeaders` adds a Content-Security-Policy (the dashboard loads its script, styles
and images from this server only; nothing may frame it), ``X-Content-Type-Options: nosniff`` (a
report's text is never sniffed into HTML or script), and a referrer policy to every HTTP
response, API and dashboard alike.

:func:`read_body` reads a request body chunk by chunk and stops as soon as it passes the limit,
after checking the declared ``Content-Length``: the caller authenticates first, so a client
without a valid token gets its answer before a byte of the body is read, and one with a token
never makes the server hold more than the limit.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

__all__ = ["CONTENT_SECURITY_POLICY", "BodyTooLargeError", "SecurityHeaders", "read_body"]

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        # the map library positions its panes and markers with inline styles
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "connect-src 'self'",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
_HEADERS = (
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode("ascii")),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
)


class SecurityHeaders:
    """Pure ASGI middleware: the headers above on every HTTP response (set, never doubled)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Any) -> None:
            if message["type"] == "http.response.start":
                names = {name for name, _ in _HEADERS}
                headers = [(k, v) for k, v in message.get("headers", ()) if k.lower() not in names]
                message = {**message, "headers": [*headers, *_HEADERS]}
            await send(message)

        await self.app(scope, receive, send_with_headers)


class BodyTooLargeError(Exception):
    """The body is (or says it is) larger than the limit; nothing more of it was read."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"A request body is at most {limit:,} bytes.")
        self.limit = limit


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, read only while it stays within ``limit`` bytes: refused at once when
    ``Content-Length`` says more, and as soon as the bytes streamed pass it."""
    declared = request.headers.get("content-length")
    if declared is not None and (
        not declared.strip().isdigit() or len(declared) > 20 or int(declared) > limit
    ):
        raise BodyTooLargeError(limit)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLargeError(limit)
        chunks.append(chunk)
    return b"".join(chunks)
