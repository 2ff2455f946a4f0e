"""Journeys, magic receipts, snapshots and dates: deterministic per receipt and well-formed."""

from __future__ import annotations

import re
import string
from collections import Counter
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sandbox.apis.immigraflow import simulation
from sandbox.apis.immigraflow.catalogue import FORMS, STATUSES, get_status
from sandbox.apis.immigraflow.receipts import KNOWN_PREFIXES, form_for, parse_receipt
from sandbox.engine.clock import iso_ms as clock_iso_ms

receipts = st.builds(
    lambda prefix, digits: prefix + digits,
    st.sampled_from(sorted(KNOWN_PREFIXES)),
    st.text(string.digits, min_size=10, max_size=10),
).filter(lambda r: r not in simulation.MAGIC_RECEIPTS)
any_receipts = st.one_of(receipts, st.sampled_from(sorted(simulation.MAGIC_RECEIPTS)))
ANCHOR = datetime(2026, 11, 1, tzinfo=UTC)
ISO_MS = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
TEXT_FIELDS = {
    "form_type",
    "detail_message",
    "status_code",
    "status_description",
    "status_code_es",
    "status_description_es",
    "status_code_pt",
    "status_description_pt",
}


@given(any_receipts)
def test_journeys_are_deterministic_and_walk_the_catalogue(receipt: str) -> None:
    journey = simulation.journey_for(receipt)
    assert journey == simulation.journey_for(receipt)
    assert journey[0] == "case_received"
    assert all(key in STATUSES for key in journey)
    assert len(set(journey)) == len(journey), "a key appears once, so next_status is well defined"
    assert not any(get_status(key).terminal for key in journey[:-1])
    assert 0 <= simulation.initial_step(receipt) <= min(2, len(journey) - 1)
    assert 3 <= simulation.step_days(receipt) <= 45
    assert form_for(receipt).code in FORMS


@given(any_receipts)
def test_next_status_walks_the_journey_to_its_end(receipt: str) -> None:
    journey = simulation.journey_for(receipt)
    walked = [journey[0]]
    while (following := simulation.next_status(receipt, walked[-1])) is not None:
        walked.append(following)
        assert len(walked) <= len(journey)
    if simulation.is_frozen(receipt):
        assert walked == ["case_received"]
    else:
        assert tuple(walked) == journey


def test_next_status_refuses_a_status_outside_the_journey() -> None:
    with pytest.raises(ValueError, match="not in the journey"):
        simulation.next_status("EAC0000000001", "oath_ceremony_scheduled")


@given(receipts)
def test_snapshots(receipt: str) -> None:
    journey = simulation.journey_for(receipt)
    first = simulation.initial_status(receipt)
    assert first == simulation.status_at_step(receipt, simulation.initial_step(receipt))
    assert first.status_key == journey[first.step] and first.receipt_number == receipt
    assert first.form_type == form_for(receipt).code
    last = simulation.status_at_step(receipt, len(journey) - 1)
    assert last.status.key == journey[-1]
    with pytest.raises(IndexError):
        simulation.status_at_step(receipt, len(journey))
    with pytest.raises(IndexError):
        simulation.status_at_step(receipt, -1)


@given(receipts)
def test_to_fields_gives_the_status_update_texts(receipt: str) -> None:
    snapshot = simulation.initial_status(receipt)
    submitted = simulation.submitted_date_for(receipt, ANCHOR)
    history = simulation.history_for(receipt, snapshot.step, submitted)
    modified = submitted + timedelta(days=simulation.step_days(receipt) * snapshot.step)
    fields = snapshot.to_fields(lang_date=modified, submitted=submitted, modified=modified, history=history)
    assert TEXT_FIELDS | {"submitted_date", "modified_date", "history"} == set(fields)
    status = get_status(snapshot.status_key)
    assert fields["status_code"] == status.code_en and fields["status_code_es"] == status.code_es
    assert fields["status_code_pt"] == status.code_pt and fields["detail_message"] == status.detail_en
    assert fields["status_description"] == history[-1]["status_description"]
    assert receipt in fields["status_description_es"] and receipt in fields["status_description_pt"]
    assert fields["modified_date"] == history[-1]["date"] and fields["submitted_date"] == history[0]["date"]
    assert simulation.status_fields(receipt, snapshot.status_key, modified) == {
        k: v for k, v in fields.items() if k in TEXT_FIELDS
    }


@given(receipts)
def test_history_matches_the_journey_and_the_first_check_lies_in_the_past(receipt: str) -> None:
    journey = simulation.journey_for(receipt)
    submitted = simulation.submitted_date_for(receipt, ANCHOR)
    assert submitted == simulation.submitted_date_for(receipt, ANCHOR)
    assert 30 <= (ANCHOR - submitted).days <= 400
    history = simulation.history_for(receipt, len(journey) - 1, submitted)
    assert [h["status_code"] for h in history] == [get_status(k).code_en for k in journey]
    assert [h["date"] for h in history] == sorted(h["date"] for h in history)
    assert all(ISO_MS.match(h["date"]) for h in history)
    found = simulation.history_for(receipt, simulation.initial_step(receipt), submitted)
    assert found[-1]["date"] < simulation.iso_ms(ANCHOR)
    spaced = simulation.history_for(receipt, 2, submitted, step_days=10)
    assert spaced[2]["date"] == simulation.iso_ms(submitted + timedelta(days=20))


def test_variants_follow_their_weights() -> None:
    journeys = [simulation.journey_for(f"WAC{n:010d}") for n in range(3000)]
    ends = Counter(
        "denied"
        if j[-1] == "denied"
        else "withdrawn"
        if j[-1] == "withdrawal_acknowledged"
        else "transferred"
        if "transferred" in j
        else "rfe"
        if "rfe_sent" in j
        else "approved"
        for j in journeys
    )
    assert 0.70 < ends["approved"] / 3000 < 0.80
    assert 0.07 < ends["rfe"] / 3000 < 0.13
    assert 0.045 < ends["denied"] / 3000 < 0.095
    assert 0.03 < ends["transferred"] / 3000 < 0.07
    assert 0.015 < ends["withdrawn"] / 3000 < 0.045


def test_form_journeys() -> None:
    i485 = simulation.JOURNEYS["I-485"]["approval"]
    assert i485 == (
        "case_received",
        "fingerprint_fee_received",
        "biometrics_scheduled",
        "fingerprints_taken",
        "actively_reviewed",
        "interview_scheduled",
        "interview_completed",
        "approved",
        "card_being_produced",
        "card_mailed",
        "card_delivered",
    )
    assert simulation.JOURNEYS["N-400"]["approval"][-1] == "oath_ceremony_scheduled"
    for form in ("I-765", "I-131", "I-90"):
        assert "interview_scheduled" not in simulation.JOURNEYS[form]["approval"]
    for form in ("I-130", "I-140", "I-129"):
        assert simulation.JOURNEYS[form]["approval"][-1] == "approved"
    for form, variants in simulation.JOURNEYS.items():
        assert set(variants) == set(simulation.VARIANTS), form
        assert variants["rfe"].index("rfe_sent") + 1 == variants["rfe"].index("rfe_response_received")
        assert variants["denial"][-1] == "denied" and variants["withdrawal"][-1] == "withdrawal_acknowledged"
        transfer = variants["transfer"]
        assert transfer[-1] == variants["approval"][-1] and "transferred" in transfer


def test_magic_receipts_play_their_scenarios() -> None:
    magic = simulation.MAGIC_RECEIPTS
    assert [*magic] == [f"EAC000000000{n}" for n in range(1, 8)]
    assert magic["EAC0000000001"].journey == (
        "case_received",
        "actively_reviewed",
        "approved",
        "card_being_produced",
        "card_mailed",
        "card_delivered",
    )
    assert "rfe_sent" in simulation.journey_for("EAC0000000002")
    assert simulation.journey_for("EAC0000000003")[-1] == "denied"
    assert "transferred" in simulation.journey_for("EAC0000000004")
    assert simulation.journey_for("EAC0000000004")[-1] == "card_delivered"
    with pytest.raises(simulation.UscisUnavailable) as outage:
        simulation.initial_status("EAC0000000005")
    assert outage.value.retry_after > 0
    with pytest.raises(simulation.UscisUnavailable):
        simulation.ensure_reachable("EAC0000000005")
    assert simulation.is_frozen("EAC0000000006")
    assert simulation.next_status("EAC0000000006", "case_received") is None
    assert simulation.journey_for("EAC0000000007")[-1] == "withdrawal_acknowledged"
    for scenario in magic.values():
        assert parse_receipt(scenario.receipt).number == scenario.receipt
        assert simulation.initial_step(scenario.receipt) == 0
        assert scenario.form_code in FORMS and form_for(scenario.receipt).code == scenario.form
        assert scenario.journey == simulation.journey_for(scenario.receipt)
        assert scenario.description and "\n" not in scenario.description
    assert not simulation.is_frozen("EAC0000000001")
    simulation.ensure_reachable("EAC0000000001")


def test_magic_receipts_markdown() -> None:
    table = simulation.magic_receipts_markdown()
    for scenario in simulation.MAGIC_RECEIPTS.values():
        assert f"| `{scenario.receipt}` | {scenario.name} | {scenario.description} |" in table


def test_check_interval() -> None:
    assert simulation.CHECK_INTERVAL == simulation.check_interval == timedelta(hours=24)


@given(
    st.datetimes(
        min_value=datetime(1000, 1, 1),
        max_value=datetime(9998, 1, 1),
        timezones=st.sampled_from([UTC, timezone(timedelta(hours=-5))]),
    )
)
def test_iso_ms(moment: datetime) -> None:
    text = simulation.iso_ms(moment)
    assert ISO_MS.match(text)
    assert text == clock_iso_ms(moment)
    assert datetime.fromisoformat(text.replace("Z", "+00:00")) == moment.replace(
        microsecond=moment.microsecond // 1000 * 1000
    )


def test_iso_ms_example() -> None:
    assert simulation.iso_ms(datetime(2026, 3, 4, 14, 15, 22, 123456, tzinfo=UTC)) == "2026-03-04T14:15:22.123Z"
