"""Whole journeys in a real browser: what each person sees, the database afterwards, axe on every page.

Run at phone width (360x740); journey 1 also on a desktop. Screenshots of each step go to test-artifacts/.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets

import pytest
from django.core import mail
from django.utils import timezone

from tests.browser.conftest import PHONE, assert_accessible, assert_fits_phone, screenshot
from tests.factories import PASSWORD, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESKTOP = {"width": 1280, "height": 800}
PLACE = (61.1719, 28.7526)  # Imatrankoski


@pytest.fixture
def desktop(chromium_browser, live_server):
    context = chromium_browser.new_context(viewport=DESKTOP, base_url=live_server.url, locale="fi-FI")
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    context.close()


@pytest.fixture(params=["phone", "desktop"])
def any_screen(request):
    return request.param, request.getfixturevalue(request.param)


def new_page(browser, live_server, viewport=PHONE):
    """A second person on their own phone (own cookies)."""
    context = browser.new_context(viewport=viewport, base_url=live_server.url, locale="fi-FI")
    page = context.new_page()
    page.set_default_timeout(15000)
    return page


def totp_code(user) -> str:
    """The current code of the user's authenticator, computed as `manage.py totp_code` does."""
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value, yield_hotp_counters_from_time
    from allauth.mfa.utils import decrypt

    authenticator = Authenticator.objects.get(user=user, type=Authenticator.Type.TOTP)
    secret = decrypt(authenticator.data["secret"])
    counters = list(yield_hotp_counters_from_time())
    return format_hotp_value(hotp_value(secret, counters[len(counters) // 2]))


def check(page, name: str, *, phone: bool = True) -> None:
    """Every page visited: axe finds nothing, no sideways scroll on a phone, and a screenshot."""
    page.wait_for_load_state("load")
    screenshot(page, name)
    assert_accessible(page)
    if phone:
        assert_fits_phone(page)


def sign_in(page, user, *, name: str | None = None) -> None:
    """Signs in with e-mail and password; staff then type the code from their authenticator."""
    from allauth.mfa.models import Authenticator

    page.goto("/accounts/login/")
    if name:
        check(page, f"{name}-login")
    page.fill("input[name=login]", user.email)
    page.fill("input[name=password]", PASSWORD)
    page.locator("main button[type=submit]").first.click()
    page.wait_for_load_state("load")
    if Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
        page.wait_for_url(re.compile(r"/accounts/2fa/authenticate/"))
        if name:
            check(page, f"{name}-two-factor")
        page.fill("input[name=code]", totp_code(user))
        page.locator("main button[type=submit]").first.click()
        page.wait_for_load_state("load")
    assert "/accounts/login/" not in page.url and "/2fa/" not in page.url, page.url


def city_task(*, department, creator, title="Roskien keräys Imatrankoskella", reward=500, slots=3):
    from tests.verification.helpers import category
    from tasks.models import Task
    from wallet import services as wallet

    now = timezone.now()
    task = Task.objects.create(
        kind=Task.Kind.CITY,
        department=department,
        created_by=creator,
        category=category(slug="litter"),
        title=title,
        description="Kerää roskat rannalta.",
        latitude=PLACE[0],
        longitude=PLACE[1],
        max_distance_m=200,
        reward_cents=reward,
        slots=slots,
        slots_left=slots,
        deadline=now + dt.timedelta(days=10),
        status=Task.Status.OPEN,
        escrow_funded=True,
        published_at=now,
    )
    wallet.fund_department(department=department, amount=reward * slots, actor=None, idempotency_key=f"fd:{task.pk}")
    wallet.fund_task_escrow(
        task_key=task.task_key, amount=reward * slots, department=department, idempotency_key=f"fe:{task.pk}"
    )
    return task


def photos(tmp_path, *, after, gps=PLACE, count=2) -> list[str]:
    """JPEGs taken just after `after` (UTC) at `gps`, written to files the browser can upload."""
    from verification.sample_photos import sample_jpeg

    taken = after.astimezone(dt.UTC) + dt.timedelta(seconds=1)
    paths = []
    for index in range(count):
        data = sample_jpeg(
            seed=700 + index + int(after.timestamp()) % 1000,
            taken=taken.strftime("%Y:%m:%d %H:%M:%S"),
            offset="+00:00",
            gps=gps,
        )
        path = tmp_path / f"photo-{index}.jpg"
        path.write_bytes(data)
        paths.append(str(path))
    return paths


def trusting_policy(**fields):
    from verification.models import RiskPolicy

    RiskPolicy.objects.all().delete()
    return RiskPolicy.objects.create(**{"min_approved_proofs": 0, "audit_share_percent": 0, **fields})


def swim_product():
    from vouchers.models import Partner, Product

    hall = Partner.objects.create(slug="uimahalli", name="Imatran uimahalli")
    product = Product.objects.create(
        partner=hall, name_fi="Uintikerta", name_sv="Simtur", name_en="Single swim", price=400, face_value=500
    )
    return hall, product


# --- Journey 1 --------------------------------------------------------------------------------------------


def test_a_new_resident_signs_up_earns_by_proof_and_buys_a_swim_voucher_the_desk_redeems(
    any_screen, chromium_browser, live_server, tmp_path, parks, publisher
):
    from people import roles
    from people.models import User
    from tasks.models import Claim
    from verification.models import Proof
    from vouchers.models import Voucher
    from wallet import services as wallet

    screen, page = any_screen
    on_phone = screen == "phone"
    step = f"j1-{screen}"
    trusting_policy()
    task = city_task(department=parks, creator=publisher)
    hall, product = swim_product()
    cashier = make_user("kassa@example.fi", role=roles.CASHIER)
    hall.cashiers.add(cashier)

    # Sign up and verify the e-mail from the link in the message.
    page.goto("/accounts/signup/")
    check(page, f"{step}-01-signup", phone=on_phone)
    # allauth sends one confirmation per address every few minutes: a fresh address each run.
    email = f"uusi-{screen}-{secrets.token_hex(3)}@example.fi"
    page.fill("input[name=email]", email)
    page.fill("input[name=password1]", PASSWORD)
    page.fill("input[name=password2]", PASSWORD)
    page.locator("main button[type=submit]").first.click()
    page.wait_for_load_state("load")
    check(page, f"{step}-02-verification-sent", phone=on_phone)
    new = User.objects.get(email=email)
    assert not new.emailaddress_set.get().verified
    assert len(mail.outbox) == 1
    link = re.search(r"https?://\S+/accounts/confirm-email/\S+", mail.outbox[0].body).group(0)
    page.goto(link)
    check(page, f"{step}-03-confirm-email", phone=on_phone)
    page.locator("main button[type=submit]").first.click()
    page.wait_for_load_state("load")
    assert new.emailaddress_set.get().verified
    if "/accounts/login/" in page.url:
        sign_in(page, new)

    # Claim the task.
    page.goto("/tasks/")
    check(page, f"{step}-04-tasks", phone=on_phone)
    page.get_by_role("link", name=task.title).first.click()
    page.wait_for_url(re.compile(rf"/tasks/{task.pk}/$"))
    check(page, f"{step}-05-task", phone=on_phone)
    page.get_by_role("button", name="Varaa tehtävä").click()
    page.wait_for_load_state("load")
    claim = Claim.objects.get(task=task, resident=new)
    check(page, f"{step}-06-claimed", phone=on_phone)

    # Upload two photos taken after the claim at the task's place: approved at once.
    page.goto(f"/proofs/claim/{claim.pk}/")
    check(page, f"{step}-07-proof-form", phone=on_phone)
    page.set_input_files("input[name=photos]", photos(tmp_path, after=claim.claimed_at))
    page.get_by_role("button", name="Lähetä todiste").click()
    page.wait_for_url(re.compile(r"/proofs/\d+/$"))
    check(page, f"{step}-08-proof-approved", phone=on_phone)
    proof = Proof.objects.get(claim=claim)
    assert proof.status == Proof.Status.APPROVED
    assert proof.photos.count() == 2
    assert wallet.wallet_balance(user=new) == 500
    assert "Hyväksytty" in page.locator("main").inner_text()

    # The balance is up on the wallet page.
    page.goto("/wallet/")
    check(page, f"{step}-09-wallet", phone=on_phone)
    assert "5,00" in page.locator("main").inner_text()

    # Buy a swim voucher.
    page.goto("/vouchers/")
    check(page, f"{step}-10-vouchers", phone=on_phone)
    page.get_by_role("link", name="Osta: Uintikerta").click()
    page.wait_for_url(re.compile(rf"/vouchers/buy/{product.pk}/$"))
    check(page, f"{step}-11-buy", phone=on_phone)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state("load")
    voucher = Voucher.objects.get(resident=new)
    check(page, f"{step}-12-voucher", phone=on_phone)
    assert voucher.display_code in page.locator("main").inner_text()
    assert wallet.wallet_balance(user=new) == 100

    # The cashier types the code at the desk.
    desk = new_page(chromium_browser, live_server, viewport=PHONE if on_phone else DESKTOP)
    try:
        sign_in(desk, cashier, name=f"{step}-13-cashier")
        desk.goto("/partner/redeem/")
        check(desk, f"{step}-14-desk", phone=on_phone)
        desk.fill("input[name=code]", voucher.code)
        desk.locator("#redeem-form button[type=submit]").click()
        desk.wait_for_selector("#desk-result")
        check(desk, f"{step}-15-redeemed", phone=on_phone)
        voucher.refresh_from_db()
        assert voucher.status == Voucher.Status.REDEEMED
        assert "Lunastettu" in desk.locator("main").inner_text()
    finally:
        desk.context.close()
