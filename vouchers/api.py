"""Partner API v1 (see docs/api.md and DESIGN.md's stable contract). Bearer tokens only, so no CSRF and no session.

GET  /api/v1/vouchers/<code>   look a voucher up
POST /api/v1/vouchers/redeem   {"code": "..."} with an Idempotency-Key header

200 ok (a replay with the same key answers the same), 409 already redeemed, 404 unknown code, 410 expired,
403 another partner's voucher, 401 bad token, 400 malformed; 429 when a token looks up too much.
Errors are {"error": "<code>", "detail": "<text>"}.
"""

from __future__ import annotations

import json
from functools import wraps

from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from eraha.ratelimit import RateLimited, hit
from vouchers import codes, services
from vouchers.exceptions import (
    RedemptionKeyReused,
    VoucherAlreadyRedeemed,
    VoucherExpired,
    VoucherNotFound,
    VoucherOfAnotherPartner,
)
from vouchers.formats import decimal_euros
from vouchers.models import Voucher

MAX_BODY = 4096
MAX_KEY_LENGTH = 100


def _error(status: int, error: str, detail: str, **extra) -> JsonResponse:
    response = JsonResponse({"error": error, "detail": detail, **extra}, status=status)
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="eraha"'
    return response


def _iso(moment) -> str | None:
    return timezone.localtime(moment).isoformat(timespec="seconds") if moment else None


def voucher_json(voucher: Voucher, now) -> dict:
    return {
        "code": voucher.code,
        "status": voucher.state_at(now),
        "product": {"id": voucher.product_id, "name": voucher.product.name_fi},
        "face_value": {"amount": decimal_euros(voucher.face_value), "currency": "EUR"},
        "expires_at": _iso(voucher.expires_at),
        "redeemed_at": _iso(voucher.redeemed_at),
        "redeemed_where": voucher.redeemed_where or None,
    }


def partner_api(view):
    """Authenticates the bearer token, counts the lookup against the token's rate limit, maps errors to JSON."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        now = timezone.now()
        header = request.headers.get("Authorization", "")
        scheme, _, raw = header.partition(" ")
        if scheme.lower() != "bearer" or not raw.strip():
            return _error(401, "unauthorized", "Send Authorization: Bearer <partner token>.")
        token = services.authenticate_token(raw=raw.strip(), now=now)
        if token is None:
            return _error(401, "unauthorized", "The token is unknown or revoked.")
        try:
            hit(scope="partner_api", ident=token.pk)
        except RateLimited as exc:
            response = _error(429, "rate_limited", "Too many lookups with this token; slow down.")
            response["Retry-After"] = str(exc.retry_after)
            return response
        request.partner_token = token
        try:
            return view(request, *args, now=now, **kwargs)
        except VoucherNotFound:
            return _error(404, "not_found", "No voucher has this code.")
        except VoucherOfAnotherPartner:
            return _error(403, "other_partner", "This voucher belongs to another partner.")
        except VoucherExpired as exc:
            return _error(410, "expired", "The voucher has expired.", voucher=voucher_json(exc.voucher, now))
        except VoucherAlreadyRedeemed as exc:
            return _error(
                409, "already_redeemed", "The voucher was already redeemed.", voucher=voucher_json(exc.voucher, now)
            )

    return csrf_exempt(never_cache(wrapper))


def _parse_code(text) -> str | JsonResponse:
    if not isinstance(text, str):
        return _error(400, "malformed", "code must be a string.")
    try:
        return codes.parse(text)
    except codes.MalformedCode as exc:
        detail = {
            "length": "A voucher code has 10 characters.",
            "character": "The code has a character outside the voucher alphabet.",
            "check": "The check character does not match: the code has a typo.",
        }[exc.reason]
        return _error(400, "invalid_code", detail)


@require_http_methods(["GET"])
@partner_api
def lookup(request, code: str, *, now):
    parsed = _parse_code(code)
    if isinstance(parsed, JsonResponse):
        return parsed
    voucher = services.find_voucher(code=parsed, partner=request.partner_token.partner, now=now)
    return JsonResponse({"voucher": voucher_json(voucher, now)})


@require_http_methods(["POST"])
@partner_api
def redeem(request, *, now):
    key = request.headers.get("Idempotency-Key", "").strip()
    if not key or len(key) > MAX_KEY_LENGTH:
        return _error(400, "idempotency_key", f"Send an Idempotency-Key header of 1 to {MAX_KEY_LENGTH} characters.")
    if len(request.body) > MAX_BODY:
        return _error(400, "malformed", "The body is too large.")
    try:
        body = json.loads(request.body or b"")
    except (ValueError, UnicodeDecodeError):
        return _error(400, "malformed", 'The body must be JSON: {"code": "..."}.')
    if not isinstance(body, dict) or "code" not in body:
        return _error(400, "malformed", 'The body must be JSON: {"code": "..."}.')
    parsed = _parse_code(body["code"])
    if isinstance(parsed, JsonResponse):
        return parsed
    token = request.partner_token
    try:
        redemption = services.redeem_voucher(
            code=parsed,
            partner=token.partner,
            idempotency_key=f"api:{key}",
            now=now,
            where=f"{token.partner.name}: {token.name}",
            token=token,
        )
    except RedemptionKeyReused:
        return _error(400, "idempotency_key_reused", "This Idempotency-Key redeemed another voucher.")
    # A replay gets the same body; only this header tells it apart.
    response = JsonResponse({"redeemed": True, "voucher": voucher_json(redemption.voucher, now)})
    response["Idempotent-Replayed"] = "true" if redemption.replay else "false"
    return response
