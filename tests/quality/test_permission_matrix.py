"""Every URL of the project, requested as every role and as an anonymous visitor, answers as this table says.

The table is explicit on purpose: a new URL without an entry fails the test, so whoever adds it decides who
may open it. Answer classes (tests/quality/world.py classify): ok (2xx, or a redirect within the same area),
login (sent to sign in), mfa (sent to set up two-factor authentication), moved (redirected elsewhere), or the
HTTP status (403 no permission, 404 not yours or not there, 405 POST only, 401 no partner token).
Columns: anonymous, resident, neighbour, publisher (parks), verifier (parks), cashier (swimming hall),
city_admin. Objects in the paths belong to the resident (asukas) or to the parks department.
"""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from tests.quality.world import ROLES, build_world, classify, snapshot, walk_urls

# fmt: off
EXPECTED = {
    "home": "ok ok ok ok ok ok ok",
    "healthz": "ok ok ok ok ok ok ok",
    "readiness": "ok ok ok ok ok ok ok",
    "set_language": "405 405 405 405 405 405 405",
    "profile": "login ok ok ok ok ok ok",
    "tasks:list": "ok ok ok ok ok ok ok",
    "tasks:map_data": "ok ok ok ok ok ok ok",
    "tasks:mine": "login ok ok ok ok ok ok",
    "tasks:new": "login ok ok ok ok ok ok",
    "tasks:screen": "login 405 405 405 405 405 405",
    "tasks:detail": "ok ok ok ok ok ok ok",
    "tasks:claim": "login 405 405 405 405 405 405",
    "tasks:edit": "login 403 403 ok 403 403 ok",
    "tasks:cancel": "login 405 405 405 405 405 405",
    "tasks:give_up": "login 405 405 405 405 405 405",
    "tasks:publisher_home": "login 403 403 ok 403 403 ok",
    "tasks:new_city": "login 403 403 ok 403 403 ok",
    "tasks:template_new": "login 403 403 ok 403 403 ok",
    "tasks:template_edit": "login 403 403 ok 403 403 ok",
    "tasks:template_batch": "login 403 403 ok 403 403 ok",
    "tasks:moderation": "login 403 403 403 ok 403 ok",
    "tasks:moderate": "login 403 403 403 ok 403 ok",
    "verification:queue": "login 403 403 403 ok 403 ok",
    "verification:queue_proof": "login 403 403 403 ok 403 ok",
    "verification:decide": "login 405 405 405 405 405 405",
    "verification:my_proofs": "login ok ok ok ok ok ok",
    "verification:submit": "login ok 404 404 404 404 404",
    "verification:proof": "login ok 404 404 ok 404 ok",
    "verification:appeal": "login 405 405 405 405 405 405",
    "verification:poster_decision": "login 405 405 405 405 405 405",
    "verification:dispute": "login 405 405 405 405 405 405",
    "verification:photo": "login ok 404 404 ok 404 ok",
    "payments:top_up": "login ok ok ok ok ok ok",
    "payments:preview": "login ok ok ok ok ok ok",
    "payments:status": "login ok 404 404 404 404 404",
    "payments:cancelled": "login ok 404 404 404 404 404",
    "payments:reconciliation": "login 403 403 403 403 403 ok",
    "payments:webhook": "405 405 405 405 405 405 405",
    "account_login": "ok moved moved moved moved moved moved",
    "account_logout": "moved ok ok ok ok ok ok",
    "account_inactive": "ok ok ok ok ok ok ok",
    "account_signup": "ok moved moved moved moved moved moved",
    "account_reauthenticate": "login ok ok ok ok ok ok",
    "account_request_reauthentication_code": "login ok ok ok ok ok ok",
    "account_confirm_reauthentication_code": "login ok ok ok ok ok ok",
    "account_email": "login ok ok ok ok ok ok",
    "account_email_verification_sent": "ok ok ok ok ok ok ok",
    "account_change_password": "login ok ok ok ok ok ok",
    "account_set_password": "login ok ok ok ok ok ok",
    "account_reset_password": "ok ok ok ok ok ok ok",
    "account_confirm_login_code": "login moved moved moved moved moved moved",
    "account_confirm_email": "ok ok ok ok ok ok ok",
    "account_reset_password_from_key_done": "ok ok ok ok ok ok ok",
    "account_reset_password_from_key": "ok ok ok ok ok ok ok",
    "account_reset_password_done": "ok ok ok ok ok ok ok",
    "account_request_login_code": "ok moved moved moved moved moved moved",
    "mfa_index": "login ok ok ok ok ok ok",
    "mfa_authenticate": "login moved moved moved moved moved moved",
    "mfa_reauthenticate": "login ok ok ok ok ok ok",
    "mfa_activate_totp": "login ok ok ok ok ok ok",
    "mfa_deactivate_totp": "login 404 404 ok ok ok ok",
    "mfa_view_recovery_codes": "login 404 404 404 404 404 404",
    "mfa_generate_recovery_codes": "login ok ok ok ok ok ok",
    "mfa_download_recovery_codes": "login 404 404 404 404 404 404",
    "mfa_list_webauthn": "login ok ok ok ok ok ok",
    "mfa_add_webauthn": "login ok ok ok ok ok ok",
    "mfa_reauthenticate_webauthn": "login ok ok ok ok ok ok",
    "mfa_remove_webauthn": "login ok ok ok ok ok ok",
    "mfa_edit_webauthn": "login ok ok ok ok ok ok",
    "mfa_login_webauthn": "login moved moved moved moved moved moved",
    "wallet:home": "login ok ok ok ok ok ok",
    "wallet:send": "login ok ok ok ok ok ok",
    "wallet:transaction": "login ok 404 404 404 404 404",
    "vouchers:list": "login ok ok ok ok ok ok",
    "vouchers:buy": "login ok ok ok ok ok ok",
    "vouchers:mine": "login ok ok ok ok ok ok",
    "vouchers:detail": "login ok 404 404 404 404 404",
    "vouchers:redeem": "login 403 403 403 403 ok 403",
    "vouchers:settlement": "login 403 403 403 403 ok ok",
    "vouchers:settlement_csv": "login 403 403 403 403 ok ok",
    "vouchers:api_redeem": "405 405 405 405 405 405 405",
    "vouchers:api_lookup": "401 401 401 401 401 401 401",
    "notifications:list": "login ok ok ok ok ok ok",
    "notifications:status": "ok ok ok ok ok ok ok",
    "notifications:mark_all_read": "login 405 405 405 405 405 405",
    "notifications:mark_read": "login 405 405 405 405 405 405",
    # Reports: city administrators see the whole city, publishers their own departments.
    "reports:dashboard": "login 403 403 ok 403 403 ok",
    "reports:dashboard_csv": "login 403 403 404 403 403 404",  # the path's table name is unknown
    "reports:my_data": "login ok ok ok ok ok ok",
    "reports:my_data_json": "login ok ok ok ok ok ok",
    "reports:delete_account": "login ok ok ok ok ok ok",
    "reports:accessibility": "ok ok ok ok ok ok ok",
    "reports:privacy": "ok ok ok ok ok ok ok",
}
# fmt: on

# The admin is requested lightly: its index and one changelist per app (only city administrators get in;
# other staff members are sent to the admin's sign-in page, residents too).
ADMIN_PAGES = {
    "/admin/": "login login login login login login ok",
    "/admin/people/staffaction/": "login login login login login login ok",
    "/admin/people/user/": "login login login login login login ok",
    "/admin/tasks/category/": "login login login login login login ok",
    "/admin/verification/riskpolicy/": "login login login login login login ok",
    "/admin/wallet/transaction/": "login login login login login login ok",
    "/admin/vouchers/partnertoken/": "login login login login login login ok",
    "/admin/payments/topup/": "login login login login login login ok",
    "/admin/notifications/notification/": "login login login login login login ok",
}


def path_for(name: str, route: str, objects: dict) -> str:
    """Fills every path parameter with a real object of the world (or a harmless value for allauth's keys)."""
    in_queue = name in {"verification:queue_proof", "verification:decide"}
    values = {
        "task_id": objects["task"].pk,
        "claim_id": objects["claim"].pk,
        "template_id": objects["template"].pk,
        "decision_id": objects["screening"].pk,
        "proof_id": objects["queued_proof"].pk if in_queue else objects["proof"].pk,
        "photo_id": objects["photo"].pk,
        "size": "thumb",
        "top_up_id": objects["top_up"].pk,
        "transaction_id": objects["transaction"].pk,
        "product_id": objects["product"].pk,
        "code": objects["voucher"].code,
        "notification_id": objects["notification"].pk,
        "key": "no-such-key",
        "uidb36": "1",
        "pk": 1,
    }
    kwargs = {}
    for plain, regex in re.findall(r"<(?:\w+:)?(\w+)>|\(\?P<(\w+)>", route):
        kwargs[plain or regex] = values[plain or regex]
    return reverse(name, kwargs=kwargs)


def project_urls():
    return [(name, route) for name, route, _ in walk_urls() if not route.startswith("admin/")]


def clients(world) -> dict[str, Client]:
    result = {"anonymous": Client()}
    for role in ROLES[1:]:
        result[role] = Client()
        result[role].force_login(world.users[role])
    return result


def test_every_url_of_the_project_has_an_entry_in_the_permission_table():
    names = {name for name, _ in project_urls()}
    assert sorted(names - EXPECTED.keys()) == [], "add the new URLs to EXPECTED and decide who may open them"
    assert sorted(EXPECTED.keys() - names) == [], "remove URLs that no longer exist from EXPECTED"


@pytest.mark.django_db
def test_every_url_answers_every_role_and_anonymous_visitors_as_the_table_says(settings):
    world = build_world(settings)
    by_role = clients(world)
    mismatches = []
    for name, route in project_urls():
        path = path_for(name, route, world.objects)
        got = " ".join(classify(by_role[role].get(path), path) for role in ROLES)
        if got != EXPECTED.get(name):
            mismatches.append(f"{name} {path}: expected {EXPECTED.get(name)!r}, got {got!r}")
    for path, expected in ADMIN_PAGES.items():
        got = " ".join(classify(by_role[role].get(path), path) for role in ROLES)
        if got != expected:
            mismatches.append(f"{path}: expected {expected!r}, got {got!r}")
    assert not mismatches, "\n".join(mismatches)


# POST-only endpoints, in the same columns: "-" is an insider (not requested here, their requests are tested
# in each app), every other role is an outsider whose POST must be refused (login, 401, 400, 403, 404) and write
# nothing. Verifiers and city administrators may read a resident's proof, so their appeal, confirmation or
# dispute is turned away by the service with a message on the proof page ("ok": a redirect to it).
POST_OUTSIDERS = {
    "tasks:claim": "login - - - - - -",
    "tasks:cancel": "login 403 403 - 403 403 -",
    "tasks:give_up": "login - 404 404 404 404 404",
    "verification:decide": "login 403 403 403 - 403 -",
    "verification:appeal": "login - 404 404 ok 404 ok",
    "verification:poster_decision": "login - 404 404 ok 404 ok",
    "verification:dispute": "login - 404 404 ok 404 ok",
    "notifications:mark_read": "login - 404 404 404 404 404",
    "notifications:mark_all_read": "login - - - - - -",
    "tasks:screen": "login - - - - - -",
    "vouchers:api_redeem": "401 401 401 401 401 401 401",  # no partner token
    "payments:webhook": "400 400 400 400 400 400 400",  # no Stripe signature
    "set_language": "- - - - - - -",  # anyone may choose a language
}
POST_DATA = {
    "verification:decide": {"action": "approve", "message": ""},
    "verification:appeal": {"message": "The photo shows the work."},
    "verification:poster_decision": {"approve": "1", "message": ""},
    "verification:dispute": {"message": "Not done."},
    "vouchers:api_redeem": {"code": "x"},
}


def test_every_post_only_endpoint_has_an_entry_in_the_outsider_table():
    post_only = {name for name, expected in EXPECTED.items() if set(expected.split()[1:]) == {"405"}}
    assert sorted(post_only - POST_OUTSIDERS.keys()) == []


@pytest.mark.django_db
def test_outsiders_posting_to_post_only_endpoints_are_refused_and_nothing_changes(settings):
    world = build_world(settings)
    by_role = clients(world)
    routes = dict(project_urls())
    before = snapshot()
    mismatches = []
    for name, expected in POST_OUTSIDERS.items():
        path = path_for(name, routes[name], world.objects)
        got = " ".join(
            "-" if want == "-" else classify(by_role[role].post(path, POST_DATA.get(name, {})), path)
            for role, want in zip(ROLES, expected.split(), strict=True)
        )
        if got != expected:
            mismatches.append(f"{name} {path}: expected {expected!r}, got {got!r}")
    assert not mismatches, "\n".join(mismatches)
    assert snapshot() == before
