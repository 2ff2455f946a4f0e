"""Signing and verifying ImmigraFlow webhook deliveries.

Each delivery carries ``ImmigraFlow-Signature: t=<unix seconds>,v1=<hex>``, where ``<hex>`` is the
HMAC-SHA256 of ``"<t>.<raw body>"`` keyed with the webhook's signing secret. Receivers should
verify it over the raw bytes (before any JSON parsing) and refuse stale timestamps::

    from sandbox.signatures import verify_signature

    if not verify_signature(request.headers["ImmigraFlow-Signature"], raw_body, secret):
        return 400
"""

from __future__ import annotations

import hashlib
import hmac
import time

HEADER = "ImmigraFlow-Signature"
DEFAULT_TOLERANCE = 300


def compute(secret: str, body: bytes, timestamp: int) -> str:
    """The hex ``v1`` digest of ``body`` sent at ``timestamp``."""
    message = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def sign(secret: str, body: bytes, timestamp: int | None = None) -> str:
    """The full header value for ``body``, timestamped now unless ``timestamp`` is given."""
    stamp = int(time.time()) if timestamp is None else timestamp
    return f"t={stamp},v1={compute(secret, body, stamp)}"


def parse(header: str) -> tuple[int, list[str]]:
    """``(timestamp, [v1 digests])`` of a header value; raises ``ValueError`` when malformed."""
    stamp: int | None = None
    digests: list[str] = []
    for part in header.split(","):
        key, sep, value = part.strip().partition("=")
        if not sep:
            raise ValueError(f"malformed signature element {part!r}")
        if key == "t":
            stamp = int(value)
        elif key == "v1":
            digests.append(value)
    if stamp is None or not digests:
        raise ValueError("signature needs both t=<timestamp> and v1=<digest>")
    return stamp, digests


def verify_signature(
    header: str, body: bytes, secret: str, *, tolerance: int = DEFAULT_TOLERANCE, now: float | None = None
) -> bool:
    """True when ``header`` signs ``body`` with ``secret`` within ``tolerance`` seconds of ``now``.

    ``tolerance=0`` skips the freshness check (e.g. when replaying a logged delivery).
    """
    try:
        stamp, digests = parse(header)
    except ValueError:
        return False
    if tolerance and abs((time.time() if now is None else now) - stamp) > tolerance:
        return False
    expected = compute(secret, body, stamp)
    return any(hmac.compare_digest(expected, digest) for digest in digests)
