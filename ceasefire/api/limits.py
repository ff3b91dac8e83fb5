"""Rate limiting: one token bucket per account for a valid token, one per client address for
everything else (no token, a malformed header, a token that is not valid).

A valid token is looked up once and remembered, so its caller pays the database lookup once; an
unknown token is looked up only while its address still has requests left, and is charged to that
address: random bogus tokens share one bucket, get 401 (then 429), and add nothing to the tables.
Both tables (buckets, remembered tokens) are bounded: the least recently used entry goes first.

What a remembered token decides is only whose bucket pays: every endpoint authenticates again, so
a token disabled since is still refused, and a remembered token answered 401 is forgotten (its
later requests are charged to their address, not to the account whose new token would wait for
them).  The price of not looking up every token: a token the server has not seen yet, sent from
an address that is over its limit, waits like that address (behind a shared address under a
flood of bogus tokens, until the flood stops).
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import Any

import anyio.to_thread
from fastapi.responses import JSONResponse

from ceasefire._bounded import BoundedMemo

__all__ = ["MAX_CALLERS", "MAX_TOKENS", "Buckets", "Limiter", "RateLimit"]

MAX_CALLERS = 10_000  # buckets kept; beyond it the least recently seen caller starts afresh
MAX_TOKENS = 10_000  # valid tokens remembered (by their SHA-256)


class Buckets:
    """Token buckets per caller: a burst, then a steady rate; over it → the seconds to wait."""

    def __init__(self, rate: float, burst: float, limit: int = MAX_CALLERS) -> None:
        self.rate, self.burst, self.limit = rate, burst, limit
        self._state: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self._lock = threading.Lock()

    def _level(self, who: str, now: float) -> float:
        tokens, last = self._state.get(who, (self.burst, now))
        return min(self.burst, tokens + (now - last) * self.rate)

    def take(self, who: str) -> float:
        """0 when allowed (one request charged), else the seconds to wait."""
        now = time.monotonic()
        with self._lock:
            tokens = self._level(who, now)
            allowed = tokens >= 1.0
            self._state[who] = (tokens - 1.0 if allowed else tokens, now)
            self._state.move_to_end(who)
            while len(self._state) > self.limit:
                self._state.popitem(last=False)
            return 0.0 if allowed else (1.0 - tokens) / self.rate

    def wait(self, who: str) -> float:
        """What :meth:`take` would answer, without charging anything."""
        now = time.monotonic()
        with self._lock:
            tokens = self._level(who, now)
        return 0.0 if tokens >= 1.0 else (1.0 - tokens) / self.rate

    def __len__(self) -> int:
        return len(self._state)


def _limited(wait: float) -> JSONResponse:
    response = JSONResponse(
        status_code=429,
        content={"error": {"code": "rate_limited",
                           "message": f"Too many requests; retry in {wait:.2f} s."}},
    )  # fmt: skip
    response.headers["Retry-After"] = str(max(1, round(wait)))
    return response


def _bearer(headers: Iterable[tuple[bytes, bytes]]) -> str | None:
    raw = next((v for k, v in headers if k == b"authorization"), None)
    if raw is None:
        return None
    scheme, _, token = raw.decode("latin-1").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogateescape")).hexdigest()


class Limiter:
    """The buckets and the tokens known to be valid; ``account_of(token)`` names the account a
    token belongs to, or ``None`` when it is not valid (it reads the database: it is run in a
    worker thread)."""

    def __init__(self, buckets: Buckets, account_of: Callable[[str], str | None]) -> None:
        self.buckets, self.account_of = buckets, account_of
        self.tokens: BoundedMemo[str, str] = BoundedMemo(MAX_TOKENS)

    def forget(self, token: str) -> None:
        """The token was refused (disabled, expired, rotated away): its requests are charged to
        their address again, not to the account whose new token would otherwise wait for them."""
        self.tokens.pop(_digest(token))

    async def charge(self, client: str, token: str | None) -> float:
        """Charge one request to its caller: 0 when allowed, else the seconds to wait."""
        who = f"addr:{client}"
        if token is not None:
            account = await self._account(token, who)
            if account is not None:
                who = f"account:{account}"
        return self.buckets.take(who)

    async def _account(self, token: str, address: str) -> str | None:
        digest = _digest(token)
        known = self.tokens.get(digest)
        if known is not None:
            return known
        if self.buckets.wait(address) > 0:
            return None  # the address is over its limit: no lookup for it now
        account = await anyio.to_thread.run_sync(self.account_of, token)
        if account is not None:
            self.tokens.put(digest, account)
        return account


class RateLimit:
    """Pure ASGI middleware (no per-request task, unlike ``@app.middleware``): over the
    caller's rate → 429 with Retry-After, in the one error shape."""

    def __init__(self, app: Any, limiter: Limiter) -> None:
        self.app, self.limiter = app, limiter

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        client = scope.get("client") or ("unknown", 0)
        token = _bearer(scope.get("headers", ()))
        wait = await self.limiter.charge(str(client[0]), token)
        if wait > 0:
            await _limited(wait)(scope, receive, send)
            return
        if token is None:
            await self.app(scope, receive, send)
            return
        limiter = self.limiter

        async def watch(message: Any) -> None:
            if message["type"] == "http.response.start" and message["status"] == 401:
                limiter.forget(token)
            await send(message)

        await self.app(scope, receive, watch)
