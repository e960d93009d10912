"""Secrets of the console's sign-in, kept pure: tokens, one-time codes, password hashes.

Only digests are stored — a session token's or a code's SHA-256, a password's scrypt — so a
copy of the database lets no one sign in.  Comparisons are constant-time.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
from datetime import datetime, timedelta

CODE_TTL = timedelta(minutes=10)
# A session's last request is written down at most this often (sliding renewal without a
# write per page view); its idle time and lifetime are settings (WEB_IDLE_MINUTES, WEB_SESSION_HOURS).
RENEW_EVERY = timedelta(minutes=1)
# Wrong codes or passwords in a row before the account is locked, and for how long.
MAX_FAILURES = 20
LOCK_FOR = timedelta(minutes=30)
# Wrong codes or passwords from one address, whichever staff numbers they name, before that
# address may not try again until the window has slid past them.  Fewer than MAX_FAILURES,
# so one address alone can never lock someone's account.
ADDRESS_MAX_FAILURES = 15
ADDRESS_WINDOW = timedelta(minutes=15)
CODE_DIGITS = 6
# scrypt's cost (RFC 7914's interactive setting: about 16 MiB and tens of ms per check).
_N, _R, _P = 2**14, 8, 1


def new_token() -> str:
    return secrets.token_urlsafe(32)


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def new_code() -> str:
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


def code_digest(staff_id: int, code: str) -> str:
    """A code's digest bound to its staff member (a 6-digit code alone is easy to tabulate)."""
    return digest(f"{staff_id}:{code.strip()}")


def same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    key = hashlib.scrypt(password.encode(), salt=salt, n=_N, r=_R, p=_P, maxmem=64 * 1024 * 1024)
    return f"scrypt${_N}${_R}${_P}${salt.hex()}${key.hex()}"


def check_password(password: str, stored: str | None) -> bool:
    if not stored:
        return False
    try:
        scheme, n, r, p, salt, key = stored.split("$")
        if scheme != "scrypt":
            return False
        got = hashlib.scrypt(password.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p),
                             maxmem=64 * 1024 * 1024)
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got.hex(), key)


def password_problem(password: str) -> str | None:
    """Why a password the operator typed is refused (a catalogue key), or None."""
    if len(password) < 10:
        return "console.password_short"
    return None


def session_ended(now: datetime, last_seen_at: datetime, expires_at: datetime, idle: timedelta) -> str | None:
    """Why a session is over: 'expired' past its lifetime, 'idle' after `idle` without a
    request; None while it lives."""
    if now >= expires_at:
        return "expired"
    if now - last_seen_at >= idle:
        return "idle"
    return None


def client_address(peer: str, header_value: str | None, trusted_proxies: frozenset[str]) -> str:
    """The client's address: the connection's, unless it comes from a trusted proxy that put
    one in its header (the rightmost entry of X-Forwarded-For is the one that proxy saw; the
    entries left of it are whatever the client claimed).  Never a header by default."""
    if header_value is None or peer not in trusted_proxies:
        return peer
    claimed = header_value.split(",")[-1].strip()
    try:
        return str(ipaddress.ip_address(claimed))
    except ValueError:
        return peer
