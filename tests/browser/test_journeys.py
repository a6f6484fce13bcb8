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


OUTSIDE = re.compile(r"^https?://(?!127\.0\.0\.1[:/]|localhost[:/])")


def local_only(context) -> None:
    """No network beyond 127.0.0.1 (the queue's map would fetch OpenStreetMap tiles)."""
    context.route(OUTSIDE, lambda route: route.abort())


@pytest.fixture
def desktop(chromium_browser, live_server):
    context = chromium_browser.new_context(viewport=DESKTOP, base_url=live_server.url, locale="fi-FI")
    local_only(context)
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
    local_only(context)
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
    from tasks.models import Task
    from tests.verification.helpers import category
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


# --- Journey 2 --------------------------------------------------------------------------------------------

HELSINKI = (60.1699, 24.9384)


def tab_to(page, selector: str, *, limit: int = 60) -> None:
    """Presses Tab until the element matching `selector` has the focus (keyboard only, no mouse)."""
    for _ in range(limit):
        if page.evaluate("(s) => { const e = document.activeElement; return !!e && e.matches(s); }", selector):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached {selector} on {page.url}")


def sign_in_with_keyboard(page, user, *, name: str) -> None:
    page.goto("/accounts/login/")
    check(page, f"{name}-login")
    tab_to(page, "input[name=login]")
    page.keyboard.type(user.email)
    tab_to(page, "input[name=password]")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/accounts/2fa/authenticate/"))
    check(page, f"{name}-two-factor")
    tab_to(page, "input[name=code]")
    page.keyboard.type(totp_code(user))
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "/accounts/" not in page.url, page.url


def test_a_suspicious_proof_is_rejected_by_keyboard_appealed_and_approved_by_another_verifier(
    phone, chromium_browser, live_server, tmp_path, parks, publisher, resident
):
    from people import roles
    from tasks.services import claim_task
    from verification.models import Appeal, Decision, Proof
    from wallet import services as wallet

    task = city_task(department=parks, creator=publisher)
    claim = claim_task(task=task, resident=resident, now=timezone.now())
    first = make_user("tarkastaja@example.fi", role=roles.VERIFIER, departments=[parks])
    second = make_user("toinen.tarkastaja@example.fi", role=roles.VERIFIER, departments=[parks])

    # The resident sends photos taken in Helsinki, far from the task: the proof waits in the queue.
    page = phone
    sign_in(page, resident, name="j2-00-resident")
    page.goto(f"/proofs/claim/{claim.pk}/")
    check(page, "j2-00-proof-form")
    page.set_input_files("input[name=photos]", photos(tmp_path, after=claim.claimed_at, gps=HELSINKI))
    page.get_by_role("button", name="Lähetä todiste").click()
    page.wait_for_url(re.compile(r"/proofs/\d+/$"))
    check(page, "j2-01-proof-queued")
    proof = Proof.objects.get(claim=claim)
    assert proof.status == Proof.Status.QUEUED
    assert "flags" in proof.queue_reasons

    # The first verifier rejects it with the keyboard: r, then 2 (wrong place).
    desk = new_page(chromium_browser, live_server)
    try:
        sign_in_with_keyboard(desk, first, name="j2-02-verifier")
        desk.goto("/staff/queue/")
        check(desk, "j2-03-queue")
        assert task.title in desk.locator("main").inner_text()
        desk.keyboard.press("r")
        check(desk, "j2-04-reject-reason")
        with desk.expect_navigation():
            desk.keyboard.press("2")
        check(desk, "j2-05-rejected")
    finally:
        desk.context.close()
    proof.refresh_from_db()
    assert proof.status == Proof.Status.REJECTED
    decision = proof.decisions.get()
    assert (decision.decided_by, decision.outcome, decision.reason_code) == (first, Decision.Outcome.REJECTED, 2)
    assert wallet.wallet_balance(user=resident) == 0

    # The resident reads the reason and appeals.
    page.goto(f"/proofs/{proof.pk}/")
    check(page, "j2-06-rejection")
    assert (
        "Väärä paikka" in page.locator("main").inner_text()
        or decision.get_reason_code_display() in page.locator("main").inner_text()
    )
    page.fill("form[action$='/appeal/'] textarea[name=message]", "Kuvat on otettu tehtävän paikalla, GPS heitti.")
    page.get_by_role("button", name="Lähetä valitus").click()
    page.wait_for_load_state("load")
    check(page, "j2-07-appealed")
    proof.refresh_from_db()
    assert proof.status == Proof.Status.APPEALED
    assert Appeal.objects.get(proof=proof).status == Appeal.Status.OPEN

    # Another verifier approves the appeal with the keyboard: a.
    desk = new_page(chromium_browser, live_server)
    try:
        sign_in_with_keyboard(desk, second, name="j2-08-second-verifier")
        desk.goto("/staff/queue/")
        check(desk, "j2-09-appeal-in-queue")
        assert task.title in desk.locator("main").inner_text()
        with desk.expect_navigation():
            desk.keyboard.press("a")
        check(desk, "j2-10-approved")
    finally:
        desk.context.close()
    proof.refresh_from_db()
    assert proof.status == Proof.Status.APPROVED
    assert Appeal.objects.get(proof=proof).status == Appeal.Status.OVERTURNED
    assert proof.decisions.filter(decided_by=second, is_appeal=True, outcome=Decision.Outcome.APPROVED).exists()
    assert wallet.wallet_balance(user=resident) == 500
    page.goto(f"/proofs/{proof.pk}/")
    check(page, "j2-11-resident-sees-approval")
    assert "Hyväksytty" in page.locator("main").inner_text()


# --- Journey 3 --------------------------------------------------------------------------------------------


def send_eraha(page, *, to: str, amount: str, memo: str, name: str) -> None:
    page.goto("/wallet/send/")
    check(page, f"{name}-send")
    page.fill("input[name=recipient]", to)
    page.fill("input[name=amount]", amount)
    page.fill("input[name=memo]", memo)
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_selector("button[name=confirm]")
    check(page, f"{name}-confirm")
    page.click("button[name=confirm]")
    page.wait_for_load_state("load")
    check(page, f"{name}-sent")


def test_a_neighbour_posts_a_peer_task_a_resident_does_it_the_poster_confirms_and_they_pay_each_other(
    phone, chromium_browser, live_server, resident, neighbour
):
    from tasks.defaults import install
    from tasks.models import Category, Claim, MarketRule, Task, TaskPolicy
    from verification.models import Proof
    from wallet import services as wallet
    from wallet.models import Transaction

    install(Category=Category, MarketRule=MarketRule, TaskPolicy=TaskPolicy)
    wallet.credit_card_top_up(resident=neighbour, amount=2000, idempotency_key="j3:top-up")

    # The neighbour posts a peer task.
    poster = new_page(chromium_browser, live_server)
    try:
        sign_in(poster, neighbour, name="j3-00-neighbour")
        poster.goto("/tasks/new/")
        check(poster, "j3-01-new-peer-task")
        poster.select_option("select[name=category]", str(Category.objects.get(slug="neighbour-help").pk))
        poster.fill("input[name=title]", "Kauppakassien kantaminen kolmanteen kerrokseen")
        poster.fill("textarea[name=description]", "Kannan itse kevyet, tarvitsen apua painavien kanssa.")
        poster.fill("input[name=reward]", "5")
        deadline = timezone.localtime() + dt.timedelta(days=3)
        poster.fill("input[name=deadline]", deadline.strftime("%Y-%m-%dT%H:%M"))
        poster.fill("input[name=photo_count]", "0")
        poster.locator("main form button[type=submit]").last.click()
        poster.wait_for_url(re.compile(r"/tasks/\d+/$"))
        check(poster, "j3-02-published")
        task = Task.objects.get(poster=neighbour)
        assert task.status == Task.Status.OPEN
        assert wallet.escrow_balance(task_key=task.task_key) == 500
        assert wallet.wallet_balance(user=neighbour) == 1500

        # The resident claims it and reports it done (a photo is optional for neighbour help).
        page = phone
        sign_in(page, resident, name="j3-02-resident")
        page.goto(f"/tasks/{task.pk}/")
        check(page, "j3-03-task")
        page.get_by_role("button", name="Varaa tehtävä").click()
        page.wait_for_load_state("load")
        check(page, "j3-03-claimed")
        claim = Claim.objects.get(task=task, resident=resident)
        page.goto(f"/proofs/claim/{claim.pk}/")
        check(page, "j3-04-proof-form")
        page.fill("textarea[name=note]", "Kassit kannettu ylös.")
        page.get_by_role("button", name="Lähetä todiste").click()
        page.wait_for_url(re.compile(r"/proofs/\d+/$"))
        check(page, "j3-05-waiting-for-poster")
        proof = Proof.objects.get(claim=claim)
        assert proof.status == Proof.Status.PEER_PENDING

        # The poster confirms.
        poster.goto(f"/proofs/{proof.pk}/")
        check(poster, "j3-06-poster-sees-proof")
        poster.select_option("select[name=approve]", "1")
        poster.get_by_role("button", name="Tallenna vastaus").click()
        poster.wait_for_load_state("load")
        check(poster, "j3-07-confirmed")
        proof.refresh_from_db()
        assert proof.status == Proof.Status.APPROVED
        assert wallet.wallet_balance(user=resident) == 500
        assert wallet.escrow_balance(task_key=task.task_key) == 0

        # They pay each other: the resident buys the coffee, the neighbour tips back.
        send_eraha(page, to=neighbour.handle, amount="2,50", memo="Kahvit", name="j3-08-resident")
        assert "2,50" in page.locator("main").inner_text()
        send_eraha(poster, to=resident.handle, amount="1,00", memo="Kiitos avusta", name="j3-09-neighbour")
    finally:
        poster.context.close()
    assert wallet.wallet_balance(user=resident) == 500 - 250 + 100
    assert wallet.wallet_balance(user=neighbour) == 1500 + 250 - 100
    assert Transaction.objects.filter(memo__in=["Kahvit", "Kiitos avusta"]).count() == 2


# --- Journey 4 --------------------------------------------------------------------------------------------


def test_a_publisher_creates_tasks_from_a_template_and_a_forbidden_peer_task_is_blocked_with_a_reason(
    phone, chromium_browser, live_server, parks, publisher, neighbour
):
    from tasks.defaults import install
    from tasks.models import Category, MarketRule, Task, TaskPolicy, TaskTemplate
    from wallet import services as wallet

    install(Category=Category, MarketRule=MarketRule, TaskPolicy=TaskPolicy)
    wallet.fund_department(department=parks, amount=100_000, actor=None, idempotency_key="j4:fund")
    template = TaskTemplate.objects.create(
        department=parks,
        category=Category.objects.get(slug="litter"),
        name="Roskien keräys puistossa",
        title="Roskien keräys: {place}",
        description="Kerää roskat puistosta.",
        reward_cents=500,
        created_by=publisher,
    )

    page = phone
    sign_in(page, publisher, name="j4-01-publisher")
    page.goto("/tasks/publish/")
    check(page, "j4-02-publisher-home")
    page.goto(f"/tasks/publish/templates/{template.pk}/")
    check(page, "j4-03-template")
    page.fill(
        "textarea[name=places]",
        "Kruununpuisto, Kruununpuisto, 61.1724, 28.7646\nVarpasaari, Varpasaari, 61.1968, 28.7814",
    )
    page.click("button[name=confirm][value='0']")
    page.wait_for_selector("#preview-heading")
    check(page, "j4-04-preview")
    page.click("button[name=confirm][value='1']")
    page.wait_for_url(re.compile(r"/tasks/publish/$"))
    check(page, "j4-05-created")
    created = list(template.tasks.order_by("title"))
    assert [task.title for task in created] == ["Roskien keräys: Kruununpuisto", "Roskien keräys: Varpasaari"]
    assert all(task.status == Task.Status.OPEN for task in created)
    assert "Roskien keräys: Varpasaari" in page.locator("main").inner_text()

    # A neighbour tries to buy window cleaning by the hour: blocked, with the reason in Finnish.
    wallet.credit_card_top_up(resident=neighbour, amount=5000, idempotency_key="j4:top-up")
    other = new_page(chromium_browser, live_server)
    try:
        sign_in(other, neighbour, name="j4-06-neighbour")
        other.goto("/tasks/new/")
        check(other, "j4-06-new-peer-task")
        other.select_option("select[name=category]", str(Category.objects.get(slug="neighbour-help").pk))
        other.fill("input[name=title]", "Ikkunoiden pesu 20 € tunti")
        other.fill("textarea[name=description]", "Ikkunoiden pesu 20 € tunti, kolmio kerrostalossa.")
        other.fill("input[name=reward]", "20")
        other.fill("input[name=deadline]", (timezone.localtime() + dt.timedelta(days=3)).strftime("%Y-%m-%dT%H:%M"))
        other.locator("main form button[type=submit]").last.click()
        other.wait_for_load_state("load")
        check(other, "j4-07-blocked")
        blocked = Task.objects.get(poster=neighbour)
        assert blocked.status == Task.Status.BLOCKED
        text = other.locator("main").inner_text()
        assert "estettiin" in text or "estetty" in text.lower()
        assert "ikkunanpesu" in text.lower()
        assert wallet.wallet_balance(user=neighbour) == 5000
    finally:
        other.context.close()


# --- Every journey page in fi, sv and en ------------------------------------------------------------------


def seed_language_pages(*, parks, publisher, resident):
    """The smallest world in which every journey page has something on it."""
    from people import roles
    from tasks.defaults import install
    from tasks.models import Category, MarketRule, TaskPolicy, TaskTemplate
    from tasks.services import claim_task
    from tests.verification.helpers import photo_file
    from verification import services as proofs
    from verification.models import Decision
    from verification.services import Upload
    from vouchers import services as vouchers
    from wallet import services as wallet

    install(Category=Category, MarketRule=MarketRule, TaskPolicy=TaskPolicy)
    now = timezone.now()
    verifier = make_user("tarkastaja@example.fi", role=roles.VERIFIER, departments=[parks])
    cashier = make_user("kassa@example.fi", role=roles.CASHIER)
    other = make_user("toinen@example.fi")
    hall, product = swim_product()
    hall.cashiers.add(cashier)
    open_task = city_task(department=parks, creator=publisher)
    second_task = city_task(department=parks, creator=publisher, title="Rantojen siivous Vuoksella")
    active = claim_task(task=open_task, resident=resident, now=now)

    def queued(claim, person, key):
        taken = claim.claimed_at.astimezone(dt.UTC).strftime("%Y:%m:%d %H:%M:%S")
        upload = Upload(photo_file(taken=taken, offset="+00:00", gps=HELSINKI))
        return proofs.submit_proof(
            claim=claim, resident=person, uploads=[upload], note="Valmis.", submission_key=key, now=timezone.now()
        )

    queued(claim_task(task=open_task, resident=other, now=now), other, "lang:other")
    rejected = queued(claim_task(task=second_task, resident=resident, now=now), resident, "lang:own")
    proofs.reject_proof(
        proof=rejected, actor=verifier, how=Decision.How.HUMAN, reason_code=2, message="", now=timezone.now()
    )
    wallet.credit_card_top_up(resident=resident, amount=2000, idempotency_key="lang:top-up")
    vouchers.buy_voucher(resident=resident, product=product, idempotency_key="lang:buy", now=timezone.now())
    wallet.fund_department(department=parks, amount=10_000, actor=None, idempotency_key="lang:fund")
    template = TaskTemplate.objects.create(
        department=parks,
        category=Category.objects.get(slug="litter"),
        name="Roskien keräys puistossa",
        title="Roskien keräys: {place}",
        description="Kerää roskat.",
        reward_cents=500,
        created_by=publisher,
    )
    resident_pages = [
        "/tasks/",
        f"/tasks/{open_task.pk}/",
        "/tasks/mine/",
        "/tasks/new/",
        f"/proofs/claim/{active.pk}/",
        "/proofs/",
        f"/proofs/{rejected.pk}/",
        "/wallet/",
        "/wallet/send/",
        "/vouchers/",
        f"/vouchers/buy/{product.pk}/",
        "/vouchers/mine/",
    ]
    return [
        (None, ["/accounts/signup/", "/accounts/login/", "/tasks/"]),
        (resident, resident_pages),
        (verifier, ["/staff/queue/"]),
        (cashier, ["/partner/redeem/"]),
        (publisher, ["/tasks/publish/", f"/tasks/publish/templates/{template.pk}/"]),
    ]


# Finnish interface words that must not show on a Swedish or English page (the seeded data avoids them).
FINNISH_UI = [
    "Kirjaudu",
    "Tehtävät",
    "Lompakko",
    "Setelit",
    "Lähetä",
    "Varaa",
    "Hyväksy",
    "Hylkää",
    "Peruuta",
    "Tallenna",
    "Valitse",
    "Odottaa",
    "Palkkio",
    "Määräaika",
    "Saldosi",
    "Kieli:",
]


def assert_translated(page, language: str) -> None:
    if language == "fi":
        return
    text = page.locator("body").inner_text()
    found = [word for word in FINNISH_UI if re.search(rf"\b{word}", text)]
    assert not found, f"untranslated Finnish on {page.url} ({language}): {found}"


def choose_language(page, language: str) -> None:
    """Uses the language form at the bottom of the page."""
    with page.expect_navigation():
        page.click(f"form.language-form button[name=language][value={language}]")
    assert page.evaluate("document.documentElement.lang") == language


@pytest.mark.parametrize("language", ["fi", "sv", "en"])
def test_every_journey_page_is_accessible_and_fits_a_phone_in_each_language(
    language, chromium_browser, live_server, parks, publisher, resident
):
    visits = seed_language_pages(parks=parks, publisher=publisher, resident=resident)
    for user, paths in visits:
        who = user.email.split("@")[0] if user else "anonymous"
        page = new_page(chromium_browser, live_server)
        try:
            page.goto("/accounts/login/")
            choose_language(page, language)
            if user is not None:
                sign_in(page, user, name=f"lang-{language}-{who}")
                # Signing in brings back the account's own language; the form changes it for good.
                choose_language(page, language)
            for path in paths:
                page.goto(path)
                assert page.url.endswith(path), f"{who} was sent from {path} to {page.url}"
                assert page.evaluate("document.documentElement.lang") == language, path
                name = path.strip("/").replace("/", "-") or "home"
                check(page, f"lang-{language}-{who}-{name}")
                assert_translated(page, language)
        finally:
            page.context.close()
