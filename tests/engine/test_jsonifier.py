"""Response bodies: orjson's bytes, Connexion's values."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from connexion.jsonifier import JSONEncoder

from sandbox.engine.jsonifier import JSONIFIER, encode

VALUES = [
    {"users": [{"id": 1, "name": "Zoë Ñúñez", "active": True, "phone": None}], "total": 1},
    {"naive": datetime(2026, 11, 23, 10, 30, 0, 125000), "aware": datetime(2026, 11, 23, 10, 30, tzinfo=UTC)},
    {"day": date(2026, 11, 23), "amount": Decimal("12.50"), "ref": uuid.UUID(int=7)},
    {"big": 2**70, "negative": -(2**65)},  # beyond 64 bits: orjson refuses, the standard library encodes
    {1: "integer key", "nested": {2: [1.5, "x"]}},
    ["a", "ü", "\u2028", "😀"],
]


@pytest.mark.parametrize("value", VALUES)
def test_encodes_what_connexion_encodes(value: object) -> None:
    assert json.loads(encode(value)) == json.loads(JSONEncoder().encode(value))


def test_bodies_are_compact_utf8() -> None:
    assert encode({"name": "Zoë", "ids": [1, 2]}) == '{"name":"Zoë","ids":[1,2]}'.encode()


def test_connexion_responses_use_the_same_bytes() -> None:
    value = VALUES[0]
    assert JSONIFIER.dumps(value) == encode(value).decode() + "\n"
    assert json.loads(JSONIFIER.dumps(value, indent=2)) == value  # formatting options still honoured


def test_what_json_cannot_hold_is_a_type_error() -> None:
    with pytest.raises(TypeError):
        encode({"oops": object()})
