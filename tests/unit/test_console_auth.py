"""The console's pure rules of sessions and addresses (web/auth.py)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from web.auth import client_address, session_ended

T0 = datetime(2026, 6, 1, 9, 0, tzinfo=timezone.utc)
IDLE = timedelta(minutes=30)
PROXY = frozenset({"127.0.0.1", "::1"})


def test_a_session_lives_while_used_and_ends_idle_or_at_its_lifetime() -> None:
    expires = T0 + timedelta(hours=12)
    assert session_ended(T0 + timedelta(minutes=29), T0, expires, IDLE) is None
    assert session_ended(T0 + timedelta(minutes=30), T0, expires, IDLE) == "idle"
    busy = T0 + timedelta(hours=11, minutes=59)
    assert session_ended(busy, busy - timedelta(minutes=1), expires, IDLE) is None
    assert session_ended(expires, expires - timedelta(minutes=1), expires, IDLE) == "expired"
    assert session_ended(expires + timedelta(hours=1), T0, expires, IDLE) == "expired"  # the lifetime says why first


def test_the_client_address_comes_from_a_header_only_through_a_trusted_proxy() -> None:
    assert client_address("203.0.113.7", None, PROXY) == "203.0.113.7"
    # A client talking to us directly cannot claim another address.
    assert client_address("203.0.113.7", "198.51.100.1", PROXY) == "203.0.113.7"
    # Through the proxy: the rightmost entry is the address the proxy saw; the left ones are claims.
    assert client_address("127.0.0.1", "10.0.0.1, 198.51.100.1", PROXY) == "198.51.100.1"
    assert client_address("::1", "2001:db8::5", PROXY) == "2001:db8::5"
    # Nonsense in the header leaves the connection's address.
    assert client_address("127.0.0.1", "unknown", PROXY) == "127.0.0.1"
    assert client_address("127.0.0.1", "", PROXY) == "127.0.0.1"
