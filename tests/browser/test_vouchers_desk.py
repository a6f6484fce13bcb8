"""The desk on a phone: a cashier scans a resident's voucher QR with the (fake) camera and it is used once."""

from __future__ import annotations

import os

import pytest
from django.utils import timezone

from tests.browser.conftest import (
    CHROMIUM,
    CHROMIUM_ARGS,
    PHONE,
    _missing,
    assert_accessible,
    assert_fits_phone,
    screenshot,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def write_y4m(path, text: str, width: int = 640, height: int = 480) -> None:
    """A one-frame YUV4MPEG2 video of the QR code for `text`: Chromium's fake camera plays it in a loop."""
    import qrcode
    from PIL import Image

    qr = qrcode.make(text, box_size=10, border=4).convert("L")
    frame = Image.new("L", (width, height), 255)
    side = min(width, height) - 40
    frame.paste(qr.resize((side, side), Image.NEAREST), ((width - side) // 2, (height - side) // 2))
    luma = frame.tobytes()
    chroma = bytes([128]) * ((width // 2) * (height // 2))
    with open(path, "wb") as handle:
        handle.write(f"YUV4MPEG2 W{width} H{height} F10:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(2):
            handle.write(b"FRAME\n" + luma + chroma + chroma)


@pytest.fixture
def voucher_and_camera(tmp_path, db):
    from people import roles
    from tests.factories import make_user
    from vouchers import services
    from vouchers.models import Partner, Product
    from wallet.services import credit_card_top_up

    resident = make_user("asukas@example.fi")
    credit_card_top_up(resident=resident, amount=10_00, idempotency_key="browser-top-up")
    hall = Partner.objects.create(slug="uimahalli", name="Imatran uimahalli")
    product = Product.objects.create(
        partner=hall, name_fi="Uintikerta", name_sv="Simtur", name_en="Single swim", price=500, face_value=600
    )
    voucher = services.buy_voucher(resident=resident, product=product, idempotency_key="b", now=timezone.now())
    cashier = make_user("kassa@example.fi", role=roles.CASHIER)
    hall.cashiers.add(cashier)
    video = tmp_path / "qr.y4m"
    write_y4m(video, voucher.code)
    return voucher, cashier, video


@pytest.fixture
def desk_page(voucher_and_camera, live_server):
    reason = _missing()
    if reason:
        if os.environ.get("CI"):
            pytest.fail(f"browser tests cannot run in CI: {reason}")
        pytest.skip(reason)
    from django.conf import settings
    from django.test import Client
    from playwright.sync_api import sync_playwright

    voucher, cashier, video = voucher_and_camera
    client = Client()
    client.force_login(cashier)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    camera_args = [
        "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-video-capture={video}",
    ]
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS + camera_args)
            context = browser.new_context(viewport=PHONE, base_url=live_server.url, locale="fi-FI")
            context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}])
            page = context.new_page()
            page.set_default_timeout(15000)
            yield page, voucher
            browser.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


def test_the_cashier_scans_the_qr_and_a_second_scan_says_when_it_was_used(desk_page):
    from vouchers.models import Voucher

    page, voucher = desk_page
    page.goto("/partner/redeem/")
    assert_fits_phone(page)
    assert_accessible(page)
    page.get_by_role("button", name="Lue kameralla").click()
    result = page.locator("#desk-result")
    result.get_by_text("Lunastettu").wait_for()
    assert "Uintikerta" in result.inner_text()
    screenshot(page, "vouchers-desk-1-redeemed")
    assert Voucher.objects.get(pk=voucher.pk).status == "redeemed"
    assert_accessible(page)

    page.get_by_role("button", name="Lue kameralla").click()
    page.locator("#desk-result").get_by_text("Jo käytetty").wait_for()
    assert "Imatran uimahalli" in page.locator("#desk-result").inner_text()
    screenshot(page, "vouchers-desk-2-already-used")
    assert Voucher.objects.filter(status="redeemed").count() == 1
    assert page.locator("table tbody tr").count() == 1


def test_the_typed_code_form_works_without_javascript(voucher_and_camera, chromium_browser, live_server):
    from django.conf import settings
    from django.test import Client

    from vouchers.models import Voucher

    voucher, cashier, _video = voucher_and_camera
    client = Client()
    client.force_login(cashier)
    context = chromium_browser.new_context(
        viewport=PHONE, base_url=live_server.url, locale="fi-FI", java_script_enabled=False
    )
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    page = context.new_page()
    page.goto("/partner/redeem/")
    assert not page.get_by_role("button", name="Lue kameralla").is_visible()
    page.get_by_label("Setelin koodi").fill(voucher.display_code.lower())
    page.get_by_role("button", name="Lunasta", exact=True).click()
    page.locator("#desk-result").get_by_text("Lunastettu").wait_for()
    assert Voucher.objects.get(pk=voucher.pk).status == "redeemed"
    context.close()


def test_the_resident_buys_a_swim_and_sees_an_accessible_full_screen_qr(
    voucher_and_camera, chromium_browser, live_server
):
    from django.conf import settings
    from django.test import Client

    from people.models import User
    from vouchers.models import Voucher

    resident = User.objects.get(email="asukas@example.fi")
    client = Client()
    client.force_login(resident)
    context = chromium_browser.new_context(viewport=PHONE, base_url=live_server.url, locale="fi-FI")
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    page = context.new_page()
    page.goto("/vouchers/")
    assert_fits_phone(page)
    assert_accessible(page)
    page.get_by_role("link", name="Osta: Uintikerta").click()
    assert_accessible(page)
    screenshot(page, "vouchers-resident-1-confirm")
    page.get_by_role("button", name="Vahvista: maksa 5,00 eRaha").click()
    page.locator("svg.qr").wait_for()
    assert_fits_phone(page)
    assert_accessible(page)
    screenshot(page, "vouchers-resident-2-qr")
    assert Voucher.objects.filter(resident=resident).count() == 2
    page.goto("/vouchers/mine/")
    assert_accessible(page)
    context.close()
