"""USCIS receipt numbers: three letters naming a service center, then ten digits."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from sandbox.apis.immigraflow.catalogue import FORMS, Form

RECEIPT_PATTERN = re.compile(r"^[A-Z]{3}[0-9]{10}$")
EXAMPLE = "IOE0923456789"
KNOWN_PREFIXES = {
    "EAC": "Vermont Service Center",
    "WAC": "California Service Center",
    "LIN": "Nebraska Service Center",
    "SRC": "Texas Service Center",
    "NBC": "National Benefits Center",
    "MSC": "Missouri Service Center",
    "IOE": "USCIS Electronic Immigration System (ELIS)",
    "YSC": "Potomac Service Center",
}


class ReceiptError(ValueError):
    """A receipt number the API refuses."""


class MalformedReceipt(ReceiptError):
    """Not 3 letters and 10 digits (the API answers 400)."""


class UnknownPrefix(ReceiptError):
    """Well-formed, but no known service center uses the prefix (the API answers 422)."""


@dataclass(frozen=True, slots=True)
class Receipt:
    number: str
    prefix: str
    center: str


def parse_receipt(value: str) -> Receipt:
    """Check a receipt number; raises :class:`MalformedReceipt` or :class:`UnknownPrefix`."""
    if not RECEIPT_PATTERN.match(value):
        raise MalformedReceipt(f"receipt number {value!r} must be 3 letters and 10 digits, e.g. {EXAMPLE}")
    prefix = value[:3]
    if prefix not in KNOWN_PREFIXES:
        raise UnknownPrefix(f"unknown receipt prefix {prefix!r}: expected one of {', '.join(KNOWN_PREFIXES)}")
    return Receipt(value, prefix, KNOWN_PREFIXES[prefix])


def digest(receipt: str, salt: str = "") -> int:
    """A stable number derived from a receipt (never Python's per-process ``hash()``)."""
    return int.from_bytes(hashlib.sha256(f"{salt}:{receipt}".encode()).digest()[:8], "big")


def form_for(receipt: str) -> Form:
    """The form a receipt number was filed on (magic receipts pin theirs)."""
    from sandbox.apis.immigraflow.simulation import MAGIC_RECEIPTS

    scenario = MAGIC_RECEIPTS.get(receipt)
    if scenario is not None:
        return FORMS[scenario.form]
    codes = list(FORMS)
    return FORMS[codes[digest(receipt, "form") % len(codes)]]
