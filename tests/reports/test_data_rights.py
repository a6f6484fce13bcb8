from __future__ import annotations

import json

import pytest
import time_machine
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.core.files.storage import default_storage
from django.urls import reverse

from people.models import User
from tests.reports.conftest import LATER
from tests.verification import helpers
from verification.models import ProofPhoto
from wallet import services as wallet
from wallet.audit import run_audit
from wallet.exceptions import AccountClosed
from wallet.models import Account, Entry, Transaction

DELETE = "/accounts/delete/"


def test_the_urls_are_where_the_issue_says():
    assert reverse("reports:my_data") == "/accounts/my-data/"
    assert reverse("reports:delete_account") == DELETE
    assert reverse("reports:accessibility") == "/accessibility/"
    assert reverse("reports:privacy") == "/privacy/"


def test_the_export_holds_profile_claims_proofs_transactions_and_vouchers(client, city, resident):
    client.force_login(resident)
    response = client.get(reverse("reports:my_data_json"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    data = json.loads(response.content)
    assert data["profile"]["email"] == "asukas@example.fi"
    assert data["profile"]["handle"] == "aino"
    assert [c["status"] for c in data["claims"]] == ["approved"]
    assert data["proofs"][0]["note"] == "Done"
    assert data["proofs"][0]["decisions"][0]["outcome"] == "approved"
    assert len(data["proofs"][0]["photos"]) == 1
    account = Account.objects.get(kind="wallet", owner_key=f"user:{resident.pk}")
    assert len(data["transactions"]) == Entry.objects.filter(account=account).count() == 6
    assert sum(t["amount_cents"] for t in data["transactions"]) == data["wallet"]["balance_cents"] == 1400
    assert set(data) == {
        "profile",
        "wallet",
        "transactions",
        "claims",
        "proofs",
        "vouchers",
        "top_ups",
        "notifications",
        "posted_tasks",
    }
    assert data["notifications"], "the approval and the payments notified the resident"


def test_the_readable_page_shows_the_same_data(client, city, resident):
    client.force_login(resident)
    response = client.get(reverse("reports:my_data"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "asukas@example.fi" in page and "Pick litter in the park" in page and "Done" in page


def test_someone_signed_out_cannot_see_or_delete_data(client, resident):
    assert client.get(reverse("reports:my_data")).status_code == 302
    assert client.post(DELETE, {"confirm": "yes"}).status_code == 302
    assert User.objects.get(pk=resident.pk).is_active


def test_deletion_is_refused_with_an_open_claim_and_money_in_the_wallet(client, parks, publisher, resident):
    with time_machine.travel(LATER, tick=False):
        task = helpers.city_task(department=parks, creator=publisher)
        helpers.claim(task, resident)
        wallet.credit_card_top_up(resident=resident, amount=100, idempotency_key="t")
    resident.preferred_language = "en"
    resident.save(update_fields=["preferred_language"])
    client.force_login(resident)
    assert "cannot be deleted yet" in client.get(DELETE).content.decode()
    response = client.post(DELETE, {"confirm": "yes"})
    assert response.status_code == 409
    page = response.content.decode()
    assert "claimed tasks that are not finished" in page
    assert "Your wallet still holds eRaha" in page
    resident.refresh_from_db()
    assert resident.is_active and resident.email == "asukas@example.fi"


def test_deletion_is_refused_while_a_peer_task_is_open(client, resident):
    with time_machine.travel(LATER, tick=False):
        helpers.peer_task(poster=resident)
    client.force_login(resident)
    response = client.post(DELETE, {"confirm": "yes"})
    assert response.status_code == 409
    assert User.objects.get(pk=resident.pk).is_active


def test_a_staff_account_is_not_deleted_here(client, publisher):
    client.force_login(publisher)
    assert client.post(DELETE, {"confirm": "yes"}).status_code == 409
    assert User.objects.get(pk=publisher.pk).is_active


def test_without_the_confirmation_nothing_happens(client, resident):
    client.force_login(resident)
    response = client.post(DELETE, {})
    assert response.status_code == 200
    assert User.objects.get(pk=resident.pk).is_active


def test_a_deletion_pseudonymises_deletes_photos_closes_the_wallet_and_keeps_the_ledger(
    client, city, resident, neighbour, django_capture_on_commit_callbacks
):
    with time_machine.travel(LATER, tick=False):
        wallet.pay_neighbour(sender=resident, recipient=neighbour, amount=1400, memo="", idempotency_key="x", now=LATER)
    photo = ProofPhoto.objects.get(proof=city.proof)
    files = [photo.display, photo.thumbnail]
    assert all(default_storage.exists(name) for name in files)
    entries, transactions = Entry.objects.count(), Transaction.objects.count()
    client.force_login(resident)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(DELETE, {"confirm": "yes"})
    assert response.status_code == 302
    user = User.objects.get(pk=resident.pk)
    assert not user.is_active and not user.has_usable_password()
    assert user.email == f"deleted-{user.pk}@deleted.invalid"
    assert (user.display_name, user.handle, user.neighbourhood) == ("", None, "")
    assert not EmailAddress.objects.filter(user=user).exists()
    assert not Authenticator.objects.filter(user=user).exists()
    photo.refresh_from_db()
    assert (photo.display, photo.thumbnail, photo.latitude, photo.longitude) == ("", "", None, None)
    assert not any(default_storage.exists(name) for name in files)
    assert Account.objects.get(kind="wallet", owner_key=f"user:{user.pk}").closed
    assert (Entry.objects.count(), Transaction.objects.count()) == (entries, transactions)
    assert run_audit() == []
    with pytest.raises(AccountClosed):
        wallet.pay_neighbour(sender=neighbour, recipient=user, amount=100, memo="", idempotency_key="y", now=LATER)
    assert "_auth_user_id" not in client.session
    from notifications.models import Notification

    assert not Notification.objects.filter(recipient=user).exists()


@pytest.mark.parametrize(
    ("language", "heading"),
    [("fi", "Saavutettavuusseloste"), ("sv", "Tillgänglighetsutlåtande"), ("en", "Accessibility statement")],
)
def test_the_accessibility_statement_is_in_three_languages(client, language, heading):
    response = client.get("/accessibility/", headers={"accept-language": language})
    assert response.status_code == 200
    assert f"<h1>{heading}</h1>" in response.content.decode()


@pytest.mark.parametrize(
    ("language", "heading"), [("fi", "Tietosuojaseloste"), ("sv", "Dataskyddsbeskrivning"), ("en", "Privacy notice")]
)
def test_the_privacy_notice_is_in_three_languages(client, language, heading):
    response = client.get("/privacy/", headers={"accept-language": language})
    assert response.status_code == 200
    assert f"<h1>{heading}</h1>" in response.content.decode()


def test_deletion_is_refused_while_a_card_top_up_may_still_be_paid(client, resident):
    from payments.models import TopUp

    TopUp.objects.create(resident=resident, eur_cents=1000, eraha_cents=1000, status="pending")
    client.force_login(resident)
    response = client.post(DELETE, {"confirm": "yes"})
    assert response.status_code == 409
    assert "Korttilataus odottaa vielä maksua." in response.content.decode()
    assert User.objects.get(pk=resident.pk).is_active
