"""Notice texts: every kind renders in Finnish, Swedish and English with its parameters. No database."""

from __future__ import annotations

import datetime
import zoneinfo

import pytest
from django.utils import translation

from notifications.kinds import EMAIL_KINDS, TEXTS, Kind, render_text

HELSINKI = zoneinfo.ZoneInfo("Europe/Helsinki")
PARAMS = {
    "task": "Roskien keruu",
    "amount": 1250,
    "balance": 4000,
    "reason": "Kuva on epätarkka",
    "note": "Lisää jälkeen-kuva",
    "expires_at": datetime.datetime(2026, 12, 4, 18, 30, tzinfo=datetime.UTC),
    "resident": "Aino",
    "product": "Uimahalli, kertalippu",
    "sender": "Niilo",
    "memo": "Kiitos lumitöistä",
}


def test_every_kind_has_a_text():
    assert set(TEXTS) == set(Kind)


@pytest.mark.parametrize("language", ["fi", "sv", "en"])
@pytest.mark.parametrize("kind", list(Kind))
def test_every_kind_renders_in_every_language(kind, language):
    with translation.override(language):
        text = render_text(kind, PARAMS)
    assert "%(" not in text
    assert len(text) > 10


def test_amounts_are_shown_in_the_recipients_number_format():
    with translation.override("fi"):
        text = render_text(Kind.PROOF_APPROVED, PARAMS)
    assert "12,50 eRaha" in text and "40,00 eRaha" in text
    assert "hyväksyttiin" in text
    with translation.override("en"):
        assert "12.50 eRaha" in render_text(Kind.TOP_UP_CREDITED, {"amount": 1250})


def test_times_are_shown_in_helsinki_time():
    with translation.override("fi"), translation.override("fi"):
        text = render_text(Kind.CLAIM_EXPIRING, PARAMS)
    assert "20.30" in text or "20:30" in text


def test_a_payment_without_a_memo_has_no_dangling_colon():
    with translation.override("en"):
        text = render_text(Kind.PAYMENT_RECEIVED, {"sender": "Niilo", "amount": 300, "memo": ""})
    assert text == "Niilo sent you 3.00 eRaha."


def test_a_missing_parameter_is_an_error():
    with pytest.raises(KeyError):
        render_text(Kind.PROOF_REJECTED, {"task": "Roskien keruu"})


def test_an_amount_that_is_not_integer_cents_is_an_error():
    with pytest.raises(TypeError):
        render_text(Kind.TOP_UP_CREDITED, {"amount": 12.5})


def test_only_the_events_that_matter_when_away_send_e_mail():
    assert {Kind.PROOF_APPROVED, Kind.PROOF_REJECTED, Kind.CLAIM_EXPIRING, Kind.VOUCHER_EXPIRING} == EMAIL_KINDS
