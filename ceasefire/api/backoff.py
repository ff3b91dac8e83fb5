"""Failed-authentication backoff: a client address that keeps sending bad tokens waits longer and
longer before it may try again.

After :data:`FREE_FAILURES` answers of 401 to requests that carried an ``Authorization`` header,
each further failure from the same address closes it to authenticated requests for twice as long
as the last (1 s, 2 s, 4 s … up to :data:`MAX_WAIT_S`); meanwhile such requests get 429 with
``Retry-After`` before any token is looked up. A success clears the address; an address quiet for
:data:`FORGET_S` is forgotten. The table is bounded (:data:`MAX_ADDRESSES`, least recently seen
dropped first), so a flood of addresses cannot grow memory. Requests without a token are not
concerned: they are the public's (and the rate limiter's).
"""

from __future__ import annotations

import json
import threading
import time
from collections import OrderedDict
from typing import Any

__all__ = ["AuthBackoff", "FailedAuthBackoff"]

FREE_FAILURES = 5
MAX_WAIT_S = 900.0
FORGET_S = 3600.0
MAX_ADDRESSES = 10_000


class FailedAuthBackoff:
    """Per-address failure counts and the time each address may try again."""

    def __init__(self, free: int = FREE_FAILURES, max_wait: float = MAX_WAIT_S,
                 size: int = MAX_ADDRESSES, clock: Any = time.monotonic) -> None:  # fmt: skip
        self.free, self.max_wait, self.size, self.clock = free, max_wait, size, clock
        self.table: OrderedDict[str, tuple[int, float, float]] = (
            OrderedDict()
        )  # failures, until, seen
        self.lock = threading.Lock()

    def wait(self, who: str) -> float:
        """0 when ``who`` may try, else the seconds left to wait."""
        now = self.clock()
        with self.lock:
            entry = self.table.get(who)
            if entry is None:
                return 0.0
            if now - entry[2] > FORGET_S:
                del self.table[who]
                return 0.0
            return max(0.0, float(entry[1] - now))

    def failed(self, who: str) -> None:
        now = self.clock()
        with self.lock:
            failures, _, _ = self.table.pop(who, (0, 0.0, now))
            failures += 1
            extra = failures - self.free
            until = now + min(self.max_wait, 2.0 ** (extra - 1)) if extra > 0 else 0.0
            self.table[who] = (failures, until, now)
            while len(self.table) > self.size:
                self.table.popitem(last=False)

    def succeeded(self, who: str) -> None:
        with self.lock:
            self.table.pop(who, None)


class AuthBackoff:
    """Pure ASGI middleware around :class:`FailedAuthBackoff`, keyed by the client address."""

    def __init__(self, app: Any, backoff: FailedAuthBackoff) -> None:
        self.app, self.backoff = app, backoff

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or not any(
            k == b"authorization" for k, _ in scope.get("headers", ())
        ):
            await self.app(scope, receive, send)
            return
        who = (scope.get("client") or ("unknown", 0))[0]
        wait = self.backoff.wait(who)
        if wait > 0:
            body = json.dumps({"error": {"code": "auth_backoff", "message": (
                f"Too many requests with a token that is not valid from this address; retry in {wait:.0f} s.")}}).encode()  # fmt: skip
            await send({"type": "http.response.start", "status": 429, "headers": [
                (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                (b"retry-after", str(max(1, round(wait))).encode())]})  # fmt: skip
            await send({"type": "http.response.body", "body": body})
            return

        async def watch(message: Any) -> None:
            if message["type"] == "http.response.start":
                status = message["status"]
                if status == 401:
                    self.backoff.failed(who)
                elif status < 400:
                    self.backoff.succeeded(who)
            await send(message)

        await self.app(scope, receive, watch)
