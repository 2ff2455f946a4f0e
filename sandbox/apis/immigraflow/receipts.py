"""USCIS receipt numbers: three letters naming a service center, then ten digits.

Legacy center numbers read ``EAC`` + fiscal year (2 digits) + computer workday (3) + sequence (5);
``IOE`` numbers (USCIS ELIS, the online filing system) are plain sequences.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from types import MappingProxyType

from sandbox.apis.immigraflow.catalogue import FORMS, Form

RECEIPT_PATTERN = re.compile(r"^[A-Z]{3}[0-9]{10}$")
EXAMPLE = "IOE0923456789"
KNOWN_PREFIXES: Mapping[str, str] = MappingProxyType(
    {
        "EAC": "Vermont Service Center",
        "WAC": "California Service Center",
        "LIN": "Nebraska Service Center",
        "SRC": "Texas Service Center",
        "NBC": "National Benefits Center",
        "MSC": "Missouri Service Center",
        "IOE": "USCIS Electronic Immigration System (ELIS)",
        "YSC": "Potomac Service Center",
    }
)
_SEQUENTIAL = frozenset({"IOE"})  # prefixes whose digits do not encode a fiscal year


class ReceiptError(ValueError):
    """A receipt number the API refuses."""


class MalformedReceipt(ReceiptError):
    """Not 3 letters and 10 digits (the API answers 400)."""


class UnknownPrefix(ReceiptError):
    """Well-formed, but no known service center uses the prefix (the API answers 422)."""


@dataclass(frozen=True, slots=True)
class Receipt:
    """A parsed receipt number."""

    number: str
    prefix: str
    center: str
    fiscal_year: int | None = None  # 2000 + the first two digits; None for ELIS (IOE) numbers
    workday: int | None = None  # the "computer workday" of the fiscal year; None for ELIS numbers
    sequence: int = 0  # the last five digits (ELIS: all ten)


def parse_receipt(value: object) -> Receipt:
    """Check a receipt number; raises :class:`MalformedReceipt` or :class:`UnknownPrefix`."""
    if not isinstance(value, str) or not RECEIPT_PATTERN.fullmatch(value):
        raise MalformedReceipt(f"receipt number {value!r} must be 3 letters and 10 digits, e.g. {EXAMPLE}")
    prefix, digits = value[:3], value[3:]
    if prefix not in KNOWN_PREFIXES:
        raise UnknownPrefix(f"unknown receipt prefix {prefix!r}: expected one of {', '.join(KNOWN_PREFIXES)}")
    if prefix in _SEQUENTIAL:
        return Receipt(value, prefix, KNOWN_PREFIXES[prefix], sequence=int(digits))
    return Receipt(value, prefix, KNOWN_PREFIXES[prefix], 2000 + int(digits[:2]), int(digits[2:5]), int(digits[5:]))


def is_valid_receipt(value: object) -> bool:
    """Whether ``value`` is a well-formed receipt number with a known prefix."""
    try:
        parse_receipt(value)
    except ReceiptError:
        return False
    return True


@lru_cache(maxsize=1 << 16)
def digest(receipt: str, salt: str = "") -> int:
    """A stable number derived from a receipt and a purpose (sha256; never Python's per-process ``hash()``)."""
    return int.from_bytes(hashlib.sha256(f"{salt}:{receipt}".encode()).digest()[:8], "big")


_FORM_CODES = tuple(FORMS)


def form_for(receipt: str) -> Form:
    """The form a receipt number was filed on: fixed for magic receipts, else derived from its digest."""
    from sandbox.apis.immigraflow.simulation import MAGIC_RECEIPTS

    scenario = MAGIC_RECEIPTS.get(receipt)
    if scenario is not None:
        return FORMS[scenario.form]
    return FORMS[_FORM_CODES[digest(receipt, "form") % len(_FORM_CODES)]]
