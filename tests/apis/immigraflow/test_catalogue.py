"""The status catalogue: every status and form speaks en/es/pt; lookups are forgiving but strict."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sandbox.apis.immigraflow.catalogue import FORMS, LANGUAGES, STATUSES, get_form, get_status, long_date

REQUIRED_STATUSES = (
    "case_received",
    "fingerprint_fee_received",
    "biometrics_scheduled",
    "fingerprints_taken",
    "actively_reviewed",
    "rfe_sent",
    "rfe_response_received",
    "interview_scheduled",
    "interview_completed",
    "approved",
    "card_being_produced",
    "card_mailed",
    "card_delivered",
    "oath_ceremony_scheduled",
    "denied",
    "transferred",
    "withdrawal_acknowledged",
)
REQUIRED_FORMS = ("I-485", "I-130", "I-765", "I-131", "I-129", "I-140", "I-539", "I-751", "I-90", "N-400")
RECEIPT = "IOE0923456789"
dates = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2040, 12, 31), timezones=st.just(UTC))


def test_catalogue_has_every_status_and_form() -> None:
    assert set(REQUIRED_STATUSES) <= set(STATUSES)
    assert set(REQUIRED_FORMS) <= set(FORMS)
    assert all(key == status.key for key, status in STATUSES.items())
    assert len({status.code_en for status in STATUSES.values()}) == len(STATUSES)


def test_terminal_statuses() -> None:
    terminal = {key for key, status in STATUSES.items() if status.terminal}
    assert {"card_delivered", "oath_ceremony_scheduled", "denied", "withdrawal_acknowledged"} <= terminal
    assert not {"case_received", "approved", "transferred", "rfe_sent"} & terminal


@pytest.mark.parametrize("key", sorted(STATUSES))
def test_every_status_speaks_three_languages(key: str) -> None:
    status = STATUSES[key]
    titles = {lang: status.code(lang) for lang in LANGUAGES}
    assert all(titles.values())
    assert titles["es"] != titles["en"] and titles["pt"] != titles["en"]
    texts = {
        lang: status.description(lang, date=datetime(2026, 3, 3, tzinfo=UTC), form=FORMS["I-485"], receipt=RECEIPT)
        for lang in LANGUAGES
    }
    assert len(set(texts.values())) == 3
    for text in texts.values():
        assert RECEIPT in text and "{" not in text and "}" not in text
    assert "March 3, 2026" in texts["en"]
    assert "3 de marzo de 2026" in texts["es"]
    assert "3 de março de 2026" in texts["pt"]
    assert status.detail_en is None or status.detail_en.strip()


def test_descriptions_read_like_uscis() -> None:
    text = get_status("case_received").description(
        "en", date=datetime(2026, 3, 3, tzinfo=UTC), form="I-485", receipt=RECEIPT
    )
    assert text.startswith(
        "On March 3, 2026, we received your Form I-485, Application to Register Permanent Residence or Adjust "
        "Status, Receipt Number IOE0923456789, and sent you the receipt notice."
    )
    es = get_status("approved").description("es", date=datetime(2026, 11, 1, tzinfo=UTC), form="I-765", receipt="X")
    assert "Solicitud de Autorización de Empleo" in es and "1 de noviembre de 2026" in es


@given(dates, st.sampled_from(sorted(STATUSES)), st.sampled_from(sorted(FORMS)), st.sampled_from(LANGUAGES))
def test_descriptions_render_for_any_date_form_and_language(moment: datetime, key: str, form: str, lang: str) -> None:
    text = STATUSES[key].description(lang, date=moment, form=FORMS[form], receipt=RECEIPT)
    assert long_date(moment, lang) in text and RECEIPT in text
    assert str(moment.year) in text


def test_long_dates() -> None:
    moment = datetime(2026, 3, 3, tzinfo=UTC)
    assert [long_date(moment, lang) for lang in LANGUAGES] == [
        "March 3, 2026",
        "3 de marzo de 2026",
        "3 de março de 2026",
    ]
    months = {long_date(datetime(2026, month, 1, tzinfo=UTC), "pt") for month in range(1, 13)}
    assert len(months) == 12


def test_status_lookup_by_key_or_title() -> None:
    assert get_status("approved") is STATUSES["approved"]
    assert get_status("Case Was Approved").key == "approved"
    assert get_status("  case was received ").key == "case_received"
    assert get_status("RFE_SENT").key == "rfe_sent"
    with pytest.raises(KeyError, match="valid keys: case_received"):
        get_status("nope")


def test_forms() -> None:
    form = get_form("i-485")
    assert form.code == "I-485"
    assert form.title("en") == "Application to Register Permanent Residence or Adjust Status"
    for candidate in FORMS.values():
        assert len({candidate.title(lang) for lang in LANGUAGES}) == 3
    with pytest.raises(KeyError, match="I-485"):
        get_form("I-000")
