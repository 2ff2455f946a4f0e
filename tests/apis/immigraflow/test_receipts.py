"""Receipt numbers: 3 letters + 10 digits, a known prefix, and a stable form per number."""

from __future__ import annotations

import hashlib
import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sandbox.apis.immigraflow.catalogue import FORMS
from sandbox.apis.immigraflow.receipts import (
    KNOWN_PREFIXES,
    RECEIPT_PATTERN,
    MalformedReceipt,
    ReceiptError,
    UnknownPrefix,
    digest,
    form_for,
    is_valid_receipt,
    parse_receipt,
)
from sandbox.apis.immigraflow.simulation import MAGIC_RECEIPTS

receipts = st.builds(
    lambda prefix, digits: prefix + digits,
    st.sampled_from(sorted(KNOWN_PREFIXES)),
    st.text(string.digits, min_size=10, max_size=10),
)


def test_prefixes() -> None:
    assert set(KNOWN_PREFIXES) == {"EAC", "WAC", "LIN", "SRC", "NBC", "MSC", "IOE", "YSC"}
    assert all(center.strip() for center in KNOWN_PREFIXES.values())


def test_parse_a_center_receipt() -> None:
    receipt = parse_receipt("EAC2490012345")
    assert (receipt.number, receipt.prefix, receipt.center) == ("EAC2490012345", "EAC", "Vermont Service Center")
    assert (receipt.fiscal_year, receipt.workday, receipt.sequence) == (2024, 900, 12345)


def test_parse_an_elis_receipt() -> None:
    receipt = parse_receipt("IOE0923456789")
    assert receipt.prefix == "IOE" and receipt.fiscal_year is None and receipt.sequence == 923456789


@given(receipts)
def test_valid_receipts_parse(value: str) -> None:
    assert parse_receipt(value).number == value
    assert is_valid_receipt(value)
    assert RECEIPT_PATTERN.match(value)


@given(st.text(max_size=20).filter(lambda s: not (len(s) == 13 and s[:3].isalpha() and s[3:].isdigit())))
def test_malformed_receipts_are_refused(value: str) -> None:
    with pytest.raises(MalformedReceipt, match=r"3 letters and 10 digits, e\.g\. IOE0923456789"):
        parse_receipt(value)


@pytest.mark.parametrize(
    "value",
    ["", "EAC", "EAC123456789", "EAC12345678901", "eac1234567890", "EAC 123456789", "EAC1234567890\n", "EAC١٢٣٤٥٦٧٨٩٠"],
)
def test_near_misses_are_malformed(value: str) -> None:
    with pytest.raises(MalformedReceipt):
        parse_receipt(value)
    assert not is_valid_receipt(value)


def test_non_strings_are_malformed() -> None:
    with pytest.raises(MalformedReceipt):
        parse_receipt(1234567890123)


@given(st.text(string.ascii_uppercase, min_size=3, max_size=3).filter(lambda p: p not in KNOWN_PREFIXES))
def test_unknown_prefixes_are_their_own_error(prefix: str) -> None:
    with pytest.raises(UnknownPrefix, match=f"unknown receipt prefix '{prefix}': expected one of EAC, "):
        parse_receipt(prefix + "0923456789")


def test_error_hierarchy() -> None:
    assert issubclass(MalformedReceipt, ReceiptError) and issubclass(UnknownPrefix, ReceiptError)
    assert issubclass(ReceiptError, ValueError)
    assert not issubclass(MalformedReceipt, UnknownPrefix) and not issubclass(UnknownPrefix, MalformedReceipt)


@given(receipts)
def test_form_for_is_deterministic(value: str) -> None:
    assert form_for(value) == form_for(value)
    assert form_for(value).code in FORMS


def test_digest_is_sha256_not_hash() -> None:
    expected = int.from_bytes(hashlib.sha256(b"form:EAC2490012345").digest()[:8], "big")
    assert digest("EAC2490012345", "form") == expected


def test_forms_spread_over_the_catalogue_and_magic_receipts_pin_theirs() -> None:
    seen = {form_for(f"LIN{n:010d}").code for n in range(1000)}
    assert seen == set(FORMS)
    for scenario in MAGIC_RECEIPTS.values():
        assert form_for(scenario.receipt).code == scenario.form
