from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from sandbox.signatures import compute, parse, sign, verify_signature

SECRET = "whsec_" + "a" * 32


def test_known_vector() -> None:
    # HMAC-SHA256("whsec_aaa…", "1700000000.{}") computed independently with hashlib/hmac.
    import hashlib
    import hmac

    expected = hmac.new(SECRET.encode(), b"1700000000.{}", hashlib.sha256).hexdigest()
    assert sign(SECRET, b"{}", 1700000000) == f"t=1700000000,v1={expected}"


@given(body=st.binary(max_size=200), stamp=st.integers(1, 2**31))
def test_round_trip_and_tamper_detection(body: bytes, stamp: int) -> None:
    header = sign(SECRET, body, stamp)
    assert verify_signature(header, body, SECRET, now=stamp)
    assert not verify_signature(header, body + b"x", SECRET, now=stamp)
    assert not verify_signature(header, body, SECRET + "b", now=stamp)


def test_stale_signatures_are_refused_unless_tolerance_is_off() -> None:
    header = sign(SECRET, b"{}", 1000)
    assert not verify_signature(header, b"{}", SECRET, now=1000 + 301)
    assert verify_signature(header, b"{}", SECRET, now=1000 + 301, tolerance=0)


def test_malformed_headers_are_refused() -> None:
    for header in ("", "t=1", "v1=abc", "t=x,v1=abc", "garbage"):
        assert not verify_signature(header, b"{}", SECRET, now=1)
    assert parse("t=5,v1=aa,v1=bb") == (5, ["aa", "bb"])
    assert compute(SECRET, b"", 0) != compute(SECRET, b"", 1)
