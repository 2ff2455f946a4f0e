"""Plausible status journeys, chosen deterministically from the receipt number.

The same receipt number always plays the same journey (sha256 of the receipt, never Python's
``hash()``), so a one-off check, a created case and its re-checks agree across processes. Magic
receipt numbers play fixed, documented scenarios. Every key appears at most once in a journey, so
"the next status after ``key``" is well defined. All datetimes are aware UTC; :func:`iso_ms` writes
them the way the API does.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from types import MappingProxyType
from typing import Any

from sandbox.apis.immigraflow.catalogue import FORMS, LANGUAGES, Form, Status, get_form, get_status
from sandbox.apis.immigraflow.receipts import digest, form_for

__all__ = [
    "CHECK_INTERVAL",
    "JOURNEYS",
    "MAGIC_RECEIPTS",
    "Scenario",
    "StatusSnapshot",
    "UscisUnavailable",
    "check_interval",
    "ensure_reachable",
    "history_for",
    "initial_status",
    "initial_step",
    "is_frozen",
    "iso_ms",
    "journey_for",
    "magic_receipts_markdown",
    "next_status",
    "status_at_step",
    "status_fields",
    "step_days",
    "submitted_date_for",
]


def iso_ms(moment: datetime) -> str:
    """``2026-03-04T14:15:22.123Z``: ISO 8601 in UTC with milliseconds, as the API writes dates."""
    if moment.tzinfo is not UTC:
        moment = moment.astimezone(UTC)
    return moment.isoformat(timespec="milliseconds")[:-6] + "Z"


CHECK_INTERVAL = timedelta(hours=24)
"""Default simulated time between two re-checks of a monitored case."""
check_interval = CHECK_INTERVAL

BIOMETRICS = ("fingerprint_fee_received", "biometrics_scheduled", "fingerprints_taken")
CARD = ("card_being_produced", "card_mailed", "card_delivered")
RFE = ("rfe_sent", "rfe_response_received")
INTERVIEW = ("interview_scheduled", "interview_completed")
VARIANTS = ("approval", "rfe", "denial", "transfer", "withdrawal")


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
        "transfer": (*happy[:review], "transferred", *happy[review:]),
        "withdrawal": (*happy[:review], "withdrawal_acknowledged"),
    }


JOURNEYS: Mapping[str, Mapping[str, tuple[str, ...]]] = MappingProxyType(
    {code: MappingProxyType(_journeys(code)) for code in FORMS}
)
"""Every form's journey variants (``approval``, ``rfe``, ``denial``, ``transfer``, ``withdrawal``)."""

# Out of 100: which variant a normal receipt plays.
_WEIGHTS = (("approval", 75), ("rfe", 10), ("denial", 7), ("transfer", 5), ("withdrawal", 3))


class UscisUnavailable(Exception):
    """The (simulated) USCIS status service did not answer; retry after ``retry_after`` seconds."""

    def __init__(self, receipt: str, retry_after: int = 30) -> None:
        super().__init__(f"USCIS did not answer for {receipt}")
        self.receipt = receipt
        self.retry_after = retry_after


@dataclass(frozen=True, slots=True)
class Scenario:
    """A magic receipt number and the fixed journey it plays."""

    receipt: str
    name: str
    description: str
    form: str
    journey: tuple[str, ...]
    unavailable: bool = False  # every check raises UscisUnavailable
    frozen: bool = False  # re-checks never find a change

    @property
    def form_code(self) -> str:
        """The form the scenario is filed on (``I-765``)."""
        return self.form


def _scenario(receipt: str, name: str, description: str, form: str, variant: str, **flags: bool) -> Scenario:
    return Scenario(receipt, name, description, form, JOURNEYS[form][variant], **flags)


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


def magic_receipts_markdown() -> str:
    """The magic receipt numbers as a Markdown table (for READMEs and the sandbox docs)."""
    lines = ["| receipt number | scenario | what it plays |", "|---|---|---|"]
    lines += [f"| `{s.receipt}` | {s.name} | {s.description} |" for s in MAGIC_RECEIPTS.values()]
    return "\n".join(lines) + "\n"


def journey_for(receipt: str) -> tuple[str, ...]:
    """The status keys a receipt number goes through, in order (always starting at ``case_received``)."""
    scenario = MAGIC_RECEIPTS.get(receipt)
    if scenario is not None:
        return scenario.journey
    roll = digest(receipt, "journey") % 100
    for variant, weight in _WEIGHTS:
        if roll < weight:
            return JOURNEYS[form_for(receipt).code][variant]
        roll -= weight
    raise AssertionError("weights add up to 100")  # pragma: no cover


def ensure_reachable(receipt: str) -> None:
    """Raise :class:`UscisUnavailable` for the outage scenario."""
    scenario = MAGIC_RECEIPTS.get(receipt)
    if scenario is not None and scenario.unavailable:
        raise UscisUnavailable(receipt, retry_after=30)


def is_frozen(receipt: str) -> bool:
    """Whether re-checks of this receipt never find a change (the ``stuck`` scenario)."""
    scenario = MAGIC_RECEIPTS.get(receipt)
    return bool(scenario and scenario.frozen)


def initial_step(receipt: str) -> int:
    """Where a first check finds the case: magic receipts at the beginning; others at step 0–2."""
    if receipt in MAGIC_RECEIPTS:
        return 0
    return digest(receipt, "initial") % min(3, len(journey_for(receipt)) - 1)


def _pace(receipt: str) -> int:
    return 3 + digest(receipt, "pace") % 43


def step_days(receipt: str) -> int:
    """Simulated days between two status changes of this receipt (3 to 45)."""
    return _pace(receipt)


def submitted_date_for(receipt: str, anchor: datetime) -> datetime:
    """When the form was filed: 30 to 400 whole days before ``anchor``, at 14:15:22.123 UTC.

    Always early enough for the steps a first check finds (``initial_step``) to lie before ``anchor``.
    """
    days = max(30 + digest(receipt, "submitted") % 371, initial_step(receipt) * _pace(receipt) + 1)
    latest = anchor.astimezone(UTC) - timedelta(days=days)
    filed = latest.replace(hour=14, minute=15, second=22, microsecond=123000)
    return filed if filed <= latest else filed - timedelta(days=1)


def status_fields(receipt: str, status_key: str, date: datetime, *, form: Form | str | None = None) -> dict[str, Any]:
    """The text fields of a StatusUpdate / CheckResponse: titles and descriptions in en/es/pt.

    Keys: ``form_type``, ``detail_message``, ``status_code``, ``status_description`` and their
    ``_es`` / ``_pt`` twins. ``date`` is the date the descriptions mention.
    """
    status = get_status(status_key)
    form_obj = form_for(receipt) if form is None else get_form(form) if isinstance(form, str) else form
    fields: dict[str, Any] = {"form_type": form_obj.code, "detail_message": status.detail_en}
    for lang in LANGUAGES:
        suffix = "" if lang == "en" else f"_{lang}"
        fields[f"status_code{suffix}"] = status.code(lang)
        fields[f"status_description{suffix}"] = status.description(lang, date=date, form=form_obj, receipt=receipt)
    return fields


@dataclass(frozen=True, slots=True)
class StatusSnapshot:
    """Where a receipt stands: its form, the current status key and its index in the journey."""

    receipt_number: str
    form_type: str
    status_key: str
    step: int

    @property
    def status(self) -> Status:
        """The catalogue entry of the current status."""
        return get_status(self.status_key)

    def to_fields(
        self, *, lang_date: datetime, submitted: datetime, modified: datetime, history: Iterable[Mapping[str, Any]]
    ) -> dict[str, Any]:
        """StatusUpdate / CheckResponse fields: the en/es/pt texts (dated ``lang_date``), dates and history."""
        return {
            **status_fields(self.receipt_number, self.status_key, lang_date, form=self.form_type),
            "submitted_date": iso_ms(submitted),
            "modified_date": iso_ms(modified),
            "history": [dict(entry) for entry in history],
        }


def status_at_step(receipt: str, step: int) -> StatusSnapshot:
    """The snapshot at ``step`` of the receipt's journey; ``IndexError`` outside the journey."""
    journey = journey_for(receipt)
    if not 0 <= step < len(journey):
        raise IndexError(f"step {step} is outside the {len(journey)}-step journey of {receipt}")
    return StatusSnapshot(receipt, form_for(receipt).code, journey[step], step)


def initial_status(receipt: str) -> StatusSnapshot:
    """The status a first check finds; raises :class:`UscisUnavailable` for the outage scenario."""
    ensure_reachable(receipt)
    return status_at_step(receipt, initial_step(receipt))


def next_status(receipt: str, current_key: str) -> str | None:
    """The status after ``current_key`` in the receipt's journey; ``None`` at its end (or when stuck).

    Raises ``ValueError`` when ``current_key`` is not part of the journey.
    """
    journey = journey_for(receipt)
    if current_key not in journey:
        raise ValueError(f"status {current_key!r} is not in the journey of {receipt}: {', '.join(journey)}")
    if is_frozen(receipt):
        return None
    index = journey.index(current_key) + 1
    return journey[index] if index < len(journey) else None


def history_for(
    receipt: str, up_to_step: int, submitted: datetime, step_days: int | None = None
) -> list[dict[str, Any]]:
    """History entries ``{date, status_code, status_description}`` for steps 0..up_to_step, oldest first.

    Step ``i`` is dated ``submitted + i * step_days`` (default: the receipt's own pace).
    """
    journey = journey_for(receipt)
    form = form_for(receipt)
    gap = timedelta(days=_pace(receipt) if step_days is None else step_days)
    entries = []
    for index in range(up_to_step + 1):
        status = get_status(journey[index])
        moment = submitted + gap * index
        entries.append(
            {
                "date": iso_ms(moment),
                "status_code": status.code_en,
                "status_description": status.description("en", date=moment, form=form, receipt=receipt),
            }
        )
    return entries
