"""Plausible status journeys, chosen deterministically from the receipt number.

The same receipt number always plays the same journey, so a check, a created case and a
re-check agree. Magic receipt numbers play fixed, documented scenarios.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Any

from sandbox.apis.immigraflow.catalogue import get_form, get_status
from sandbox.apis.immigraflow.receipts import digest, form_for
from sandbox.engine.clock import iso_ms

BIOMETRICS = ("fingerprint_fee_received", "biometrics_scheduled", "fingerprints_taken")
CARD = ("card_being_produced", "card_mailed", "card_delivered")
RFE = ("rfe_sent", "rfe_response_received")
INTERVIEW = ("interview_scheduled", "interview_completed")


def _journeys(form: str) -> dict[str, tuple[str, ...]]:
    """The variants a form can play, by name: most approve; some meet an RFE, a denial, a transfer."""
    start: tuple[str, ...] = ("case_received",)
    if form in ("I-485", "I-751"):
        happy = (*start, *BIOMETRICS, "actively_reviewed", *INTERVIEW, "approved", *CARD)
    elif form == "N-400":
        happy = (*start, *BIOMETRICS, "actively_reviewed", *INTERVIEW, "approved", "oath_ceremony_scheduled")
    elif form in ("I-765", "I-131", "I-90"):
        happy = (*start, "actively_reviewed", "approved", *CARD)
    elif form == "I-539":
        happy = (*start, *BIOMETRICS, "actively_reviewed", "approved")
    else:  # I-130, I-140, I-129: petitions end at approval
        happy = (*start, "actively_reviewed", "approved")
    review = happy.index("actively_reviewed") + 1
    return {
        "approval": happy,
        "rfe": (*happy[:review], *RFE, *happy[review:]),
        "denial": (*happy[:review], *RFE, "denied"),
        "transfer": (*happy[:review], "transferred", *happy[review - 1 :]),
        "withdrawal": (*happy[:review], "withdrawal_acknowledged"),
    }


# Out of 100: which variant a normal receipt plays.
_WEIGHTS = (("approval", 75), ("rfe", 10), ("denial", 7), ("transfer", 5), ("withdrawal", 3))


class UscisUnavailable(Exception):
    """The (simulated) USCIS status service did not answer."""

    def __init__(self, receipt: str, retry_after: int = 30) -> None:
        super().__init__(f"USCIS did not answer for {receipt}")
        self.retry_after = retry_after


@dataclass(frozen=True, slots=True)
class Scenario:
    """A magic receipt number and the fixed journey it plays."""

    receipt: str
    name: str
    description: str
    form: str
    journey: tuple[str, ...]
    unavailable: bool = False
    frozen: bool = False


def _scenario(receipt: str, name: str, description: str, form: str, variant: str, **flags: bool) -> Scenario:
    return Scenario(receipt, name, description, form, _journeys(form)[variant], **flags)


MAGIC_RECEIPTS: Mapping[str, Scenario] = MappingProxyType(
    {
        s.receipt: s
        for s in (
            _scenario(
                "EAC0000000001",
                "straight-to-approval",
                "I-765 work permit: received, reviewed, approved, card produced, mailed, delivered.",
                "I-765",
                "approval",
            ),
            _scenario(
                "EAC0000000002",
                "rfe-cycle",
                "I-485: an RFE is sent and answered, then interview, approval and the green card.",
                "I-485",
                "rfe",
            ),
            _scenario(
                "EAC0000000003",
                "denial",
                "I-130: an RFE is answered, then the case is denied.",
                "I-130",
                "denial",
            ),
            _scenario(
                "EAC0000000004",
                "transfer",
                "I-485: the case is transferred to another office mid-review, then approved.",
                "I-485",
                "transfer",
            ),
            _scenario(
                "EAC0000000005",
                "uscis-outage",
                "Every status check fails: POST /v1/check and case creation answer 503 with Retry-After.",
                "I-765",
                "approval",
                unavailable=True,
            ),
            _scenario(
                "EAC0000000006",
                "stuck",
                "I-131: stays at Case Was Received forever; re-checks never find a change.",
                "I-131",
                "approval",
                frozen=True,
            ),
            _scenario(
                "EAC0000000007",
                "withdrawal",
                "I-539: the applicant withdraws after review starts.",
                "I-539",
                "withdrawal",
            ),
        )
    }
)


def journey_for(receipt: str) -> tuple[str, ...]:
    """The statuses a receipt number goes through, in order."""
    scenario = MAGIC_RECEIPTS.get(receipt)
    if scenario is not None:
        return scenario.journey
    roll = digest(receipt, "journey") % 100
    for variant, weight in _WEIGHTS:
        if roll < weight:
            return _journeys(form_for(receipt).code)[variant]
        roll -= weight
    raise AssertionError("weights add up to 100")  # pragma: no cover


def initial_step(receipt: str) -> int:
    """Where a first check finds the case: magic receipts start at the beginning; others at step 0–2."""
    if receipt in MAGIC_RECEIPTS:
        return 0
    return digest(receipt, "initial") % min(3, len(journey_for(receipt)) - 1)


def step_days(receipt: str) -> int:
    """Simulated days between two status changes of this receipt (3 to 45)."""
    return 3 + digest(receipt, "pace") % 43


def submitted_date_for(receipt: str, anchor: datetime) -> datetime:
    """When the form was filed: 30 to 400 days before ``anchor``, at a fixed time of day."""
    days = 30 + digest(receipt, "submitted") % 371
    day = (anchor - timedelta(days=days)).replace(hour=14, minute=15, second=22, microsecond=123000)
    return day


def history_for(receipt: str, step: int, submitted: datetime) -> list[dict[str, Any]]:
    """History entries ``{date, status_code, status_description}`` for steps 0..step, oldest first."""
    journey = journey_for(receipt)
    form = get_form(form_for(receipt).code)
    entries = []
    for index in range(step + 1):
        status = get_status(journey[index])
        moment = submitted + timedelta(days=index * step_days(receipt))
        entries.append(
            {
                "date": iso_ms(moment),
                "status_code": status.code_en,
                "status_description": status.description("en", date=moment, form=form, receipt=receipt),
            }
        )
    return entries


def ensure_reachable(receipt: str) -> None:
    """Raise :class:`UscisUnavailable` for the outage scenario."""
    scenario = MAGIC_RECEIPTS.get(receipt)
    if scenario is not None and scenario.unavailable:
        raise UscisUnavailable(receipt, retry_after=30)


def is_frozen(receipt: str) -> bool:
    scenario = MAGIC_RECEIPTS.get(receipt)
    return bool(scenario and scenario.frozen)
