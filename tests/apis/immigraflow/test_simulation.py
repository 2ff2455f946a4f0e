"""Status catalogue, receipt numbers and journeys: deterministic and well-formed."""

from __future__ import annotations

import string
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sandbox.apis.immigraflow import simulation
from sandbox.apis.immigraflow.catalogue import FORMS, LANGUAGES, STATUSES, get_status
from sandbox.apis.immigraflow.receipts import (
    KNOWN_PREFIXES,
    MalformedReceipt,
    UnknownPrefix,
    form_for,
    parse_receipt,
)

receipts = st.builds(
    lambda prefix, digits: prefix + digits,
    st.sampled_from(sorted(KNOWN_PREFIXES)),
    st.text(string.digits, min_size=10, max_size=10),
)
ANCHOR = datetime(2026, 11, 1, tzinfo=UTC)


@given(receipts)
def test_journeys_are_deterministic_and_walk_the_catalogue(receipt: str) -> None:
    journey = simulation.journey_for(receipt)
    assert journey == simulation.journey_for(receipt)
    assert journey[0] == "case_received"
    assert all(key in STATUSES for key in journey)
    assert 0 <= simulation.initial_step(receipt) < len(journey)
    assert 3 <= simulation.step_days(receipt) <= 45
    assert form_for(receipt).code in FORMS


@given(receipts)
def test_history_matches_the_journey(receipt: str) -> None:
    journey = simulation.journey_for(receipt)
    submitted = simulation.submitted_date_for(receipt, ANCHOR)
    assert 30 <= (ANCHOR - submitted).days <= 401
    history = simulation.history_for(receipt, len(journey) - 1, submitted)
    assert [h["status_code"] for h in history] == [get_status(k).code_en for k in journey]
    assert [h["date"] for h in history] == sorted(h["date"] for h in history)


@given(st.text(max_size=20).filter(lambda s: not (len(s) == 13 and s[:3].isalpha() and s[3:].isdigit())))
def test_malformed_receipts_are_refused(value: str) -> None:
    with pytest.raises(MalformedReceipt):
        parse_receipt(value)


def test_unknown_prefix_is_its_own_error() -> None:
    with pytest.raises(UnknownPrefix, match="ABC"):
        parse_receipt("ABC0923456789")
    assert parse_receipt("IOE0923456789").center


def test_every_status_speaks_three_languages() -> None:
    form = FORMS["I-485"]
    for status in STATUSES.values():
        titles = {lang: status.code(lang) for lang in LANGUAGES}
        assert all(titles.values()) and titles["es"] != titles["en"] and titles["pt"] != titles["en"]
        for lang in LANGUAGES:
            text = status.description(lang, date=ANCHOR, form=form, receipt="IOE0923456789")
            assert "IOE0923456789" in text and "{" not in text
    assert "de noviembre de 2026" in get_status("approved").description("es", date=ANCHOR, form=form, receipt="X")


def test_status_lookup_by_key_or_title() -> None:
    assert get_status("Case Was Approved").key == "approved"
    assert get_status("RFE_SENT").key == "rfe_sent"
    with pytest.raises(KeyError, match="valid keys"):
        get_status("nope")


def test_magic_receipts_play_their_scenarios() -> None:
    assert simulation.journey_for("EAC0000000001")[-1] == "card_delivered"
    assert "rfe_sent" in simulation.journey_for("EAC0000000002")
    assert simulation.journey_for("EAC0000000003")[-1] == "denied"
    assert "transferred" in simulation.journey_for("EAC0000000004")
    with pytest.raises(simulation.UscisUnavailable):
        simulation.ensure_reachable("EAC0000000005")
    assert simulation.is_frozen("EAC0000000006")
    assert simulation.journey_for("EAC0000000007")[-1] == "withdrawal_acknowledged"
    for scenario in simulation.MAGIC_RECEIPTS.values():
        assert parse_receipt(scenario.receipt).number == scenario.receipt
        assert simulation.initial_step(scenario.receipt) == 0
