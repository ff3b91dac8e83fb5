"""Rate limiting: by account for a valid token, by client address otherwise; bounded tables."""

from __future__ import annotations

import secrets
from pathlib import Path

from fastapi.testclient import TestClient

from ceasefire._bounded import BoundedMemo
from ceasefire.api.app import create_app
from ceasefire.api.limits import Buckets
from ceasefire.governance import add_user
from ceasefire.store import Store
from tests.conftest import TZ


def _workspace(tmp_path: Path) -> tuple[Path, str, str]:
    ws = tmp_path / "ws"
    with Store(ws) as store:
        admin = add_user(store, "root", "admin", None, "bootstrap")
        monitor = add_user(store, "team", "monitor", None, "root")
    return ws, admin, monitor


def test_random_bogus_tokens_share_the_address_bucket_and_add_nothing(tmp_path: Path) -> None:
    ws, _, monitor = _workspace(tmp_path)
    app = create_app(ws, TZ, rate=0.01, burst=50.0)
    client = TestClient(app)
    # an account known before the flood (from the same address) keeps its own bucket
    assert (
        client.get("/audit/verify", headers={"Authorization": f"Bearer {monitor}"}).status_code
        == 200
    )
    codes = [
        client.get("/audit/verify",
                   headers={"Authorization": f"Bearer {secrets.token_urlsafe(16)}"}).status_code
        for _ in range(1000)
    ]  # fmt: skip
    assert set(codes) <= {401, 429}
    # 401 until the failed-auth backoff closes the address (after 5 failures; it opens again
    # briefly after 1 s, 2 s … on a slow store), never beyond the address's burst: then 429 only
    assert codes[:5] == [401] * 5
    assert set(codes[51:]) == {429}
    assert codes[-1] == 429
    limiter = app.state.limiter
    assert len(limiter.buckets) == 2  # the one client address and the monitor's account
    assert len(limiter.tokens) == 1  # the monitor's token; no bogus one remembered
    ok = client.get("/audit/verify", headers={"Authorization": f"Bearer {monitor}"})
    assert ok.status_code == 200  # the address being over its limit does not block the account


def test_a_malformed_header_counts_against_the_address(tmp_path: Path) -> None:
    ws, _, _ = _workspace(tmp_path)
    client = TestClient(create_app(ws, TZ, rate=1.0, burst=3.0))
    codes = [client.get("/whoami", headers={"Authorization": f"Basic {n}"}).status_code
             for n in range(5)]  # fmt: skip
    assert codes[3:] == [429, 429]
    assert client.get("/whoami").status_code == 429  # same address, no header: same bucket


def test_one_account_one_bucket_whatever_its_tokens_look_like(tmp_path: Path) -> None:
    ws, admin, monitor = _workspace(tmp_path)
    client = TestClient(create_app(ws, TZ, rate=1.0, burst=3.0))
    for scheme in ("Bearer", "bearer", "BEARER"):  # one token written three ways: one account
        response = client.get("/audit/verify", headers={"Authorization": f"{scheme} {monitor}"})
        assert response.status_code == 200
    assert (
        client.get("/audit/verify", headers={"Authorization": f"Bearer {monitor}"}).status_code
        == 429
    )
    # the address's own bucket is untouched by the account's requests
    assert client.get("/whoami").status_code == 200
    assert (
        client.get("/audit/verify", headers={"Authorization": f"Bearer {admin}"}).status_code == 200
    )


def test_the_bucket_table_is_bounded() -> None:
    buckets = Buckets(rate=1.0, burst=2.0, limit=100)
    for n in range(10_000):
        assert buckets.take(f"addr:10.0.{n // 256}.{n % 256}") == 0.0
    assert len(buckets) == 100
    # the most recent callers are kept: the last one is still charged
    assert buckets.take("addr:10.0.39.15") == 0.0
    assert buckets.take("addr:10.0.39.15") > 0.0


def test_bounded_memo_keeps_the_most_recently_used() -> None:
    memo: BoundedMemo[int, str] = BoundedMemo(3)
    for n in range(3):
        memo.put(n, str(n))
    assert memo.get(0) == "0"  # 0 is now the most recent: 1 goes next
    memo.put(3, "3")
    assert sorted(memo) == [0, 2, 3]
    assert memo.get_or_make(4, lambda: "four") == "four"
    assert len(memo) == 3


def test_a_token_rotated_away_does_not_spend_the_accounts_requests(tmp_path: Path) -> None:
    """Whoever still holds an account's old token (the reason it was rotated) cannot use it to
    keep the account's new token waiting: once refused, it is charged to its own address."""
    ws = tmp_path / "ws"
    with Store(ws) as store:
        admin = add_user(store, "root", "admin", None, "bootstrap")
        old = add_user(store, "team", "monitor", None, "root")
    client = TestClient(create_app(ws, TZ, rate=0.001, burst=3.0))
    assert (
        client.get("/audit/verify", headers={"Authorization": f"Bearer {old}"}).status_code == 200
    )
    rotated = client.post("/users/team/rotate", headers={"Authorization": f"Bearer {admin}"})
    assert rotated.status_code == 200, rotated.text
    new = rotated.json()["token"]
    refused = [client.get("/audit/verify", headers={"Authorization": f"Bearer {old}"}).status_code
               for _ in range(2)]  # fmt: skip
    assert refused == [401, 401]
    assert (
        client.get("/audit/verify", headers={"Authorization": f"Bearer {new}"}).status_code == 200
    )
