"""Partners (swimming hall, bus operator), their API tokens, products, and the vouchers residents buy."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from vouchers import codes


def _localized(instance, field: str) -> str:
    language = (get_language() or "fi")[:2]
    return getattr(instance, f"{field}_{language}", "") or getattr(instance, f"{field}_fi")


class Partner(models.Model):
    """A business that accepts eRaha vouchers; the city settles its redeemed vouchers in euros."""

    class ExpiryPolicy(models.TextChoices):
        REFUND = "refund", _("Refund the resident")
        LAPSE = "lapse", _("Lapse (the value stays with the partner)")

    slug = models.SlugField(_("identifier"), unique=True)
    name = models.CharField(_("name"), max_length=100)
    contact_name = models.CharField(_("contact person"), max_length=100, blank=True)
    contact_email = models.EmailField(_("contact e-mail"), blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=40, blank=True)
    settlement_details = models.TextField(
        _("settlement details"), blank=True, help_text=_("Business ID, IBAN and invoicing address for settlement.")
    )
    expiry_policy = models.CharField(
        _("expired vouchers"),
        max_length=10,
        choices=ExpiryPolicy.choices,
        default=ExpiryPolicy.REFUND,
        help_text=_("What happens to a voucher that expires unused."),
    )
    cashiers = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("cashiers"),
        related_name="voucher_partners",
        blank=True,
        help_text=_("Users who redeem this partner's vouchers at the desk (they also need the cashier role)."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("partner")
        verbose_name_plural = _("partners")

    def __str__(self) -> str:
        return self.name

    @property
    def ledger_key(self) -> str:
        return f"partner:{self.pk}"


class PartnerToken(models.Model):
    """A bearer token for one desk or system of a partner. Only its SHA-256 hash is stored."""

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="tokens", verbose_name=_("partner"))
    name = models.CharField(_("desk or system"), max_length=100)
    prefix = models.CharField(_("prefix"), max_length=12, editable=False)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", editable=False
    )
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True, editable=False)

    class Meta:
        ordering = ["partner__name", "name"]
        verbose_name = _("partner API token")
        verbose_name_plural = _("partner API tokens")

    def __str__(self) -> str:
        return f"{self.partner.name}: {self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class Product(models.Model):
    """Something a partner sells for eRaha: a single swim, a 10-swim card, a bus trip."""

    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="products", verbose_name=_("partner"))
    name_fi = models.CharField(_("name in Finnish"), max_length=100)
    name_sv = models.CharField(_("name in Swedish"), max_length=100)
    name_en = models.CharField(_("name in English"), max_length=100)
    description_fi = models.TextField(_("description in Finnish"), blank=True)
    description_sv = models.TextField(_("description in Swedish"), blank=True)
    description_en = models.TextField(_("description in English"), blank=True)
    price = models.BigIntegerField(_("price (eRaha cents)"))
    face_value = models.BigIntegerField(_("face value (euro cents)"), help_text=_("What the city pays the partner."))
    validity_days = models.PositiveIntegerField(_("valid for (days)"), default=90)
    monthly_limit = models.PositiveIntegerField(
        _("limit per resident per month"), null=True, blank=True, help_text=_("Empty: no limit.")
    )
    total_stock = models.PositiveIntegerField(_("total stock"), null=True, blank=True, help_text=_("Empty: unlimited."))
    active = models.BooleanField(_("on sale"), default=True)
    sort_order = models.PositiveIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["partner__name", "sort_order", "pk"]
        verbose_name = _("product")
        verbose_name_plural = _("products")
        constraints = [
            models.CheckConstraint(condition=Q(price__gt=0), name="vouchers_product_price_positive"),
            models.CheckConstraint(condition=Q(face_value__gte=0), name="vouchers_product_face_value_nonnegative"),
            models.CheckConstraint(condition=Q(validity_days__gt=0), name="vouchers_product_validity_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.partner.name}: {self.name}"

    @property
    def name(self) -> str:
        return _localized(self, "name")

    @property
    def description(self) -> str:
        return _localized(self, "description")


class Voucher(models.Model):
    """A bought product: single use, valid until `expires_at`. State changes are conditional updates."""

    class Status(models.TextChoices):
        VALID = "valid", _("Valid")
        REDEEMED = "redeemed", _("Used")
        REFUNDED = "refunded", _("Expired, refunded")
        LAPSED = "lapsed", _("Expired")

    code = models.CharField(_("code"), max_length=codes.CODE_LENGTH, unique=True)
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="vouchers", verbose_name=_("product"))
    # Copied from the product at purchase: the partner, price and face value of a sold voucher never change.
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="vouchers", verbose_name=_("partner"))
    resident = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="vouchers", verbose_name=_("resident")
    )
    price = models.BigIntegerField(_("price (eRaha cents)"))
    face_value = models.BigIntegerField(_("face value (euro cents)"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.VALID)
    purchase_key = models.CharField(max_length=100)
    purchased_at = models.DateTimeField(_("bought"))
    expires_at = models.DateTimeField(_("valid until"))
    redeemed_at = models.DateTimeField(_("used"), null=True, blank=True)
    redeemed_where = models.CharField(_("used at"), max_length=200, blank=True)
    redeemed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    redeemed_token = models.ForeignKey(PartnerToken, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    # The Idempotency-Key of the redemption that won: a replay with it gets the same answer.
    redemption_key = models.CharField(max_length=150, null=True, blank=True)
    closed_at = models.DateTimeField(_("expiry handled"), null=True, blank=True)

    class Meta:
        ordering = ["-purchased_at", "-pk"]
        verbose_name = _("voucher")
        verbose_name_plural = _("vouchers")
        constraints = [
            models.UniqueConstraint(fields=["resident", "purchase_key"], name="vouchers_voucher_one_per_purchase_key"),
            models.UniqueConstraint(
                fields=["partner", "redemption_key"],
                condition=Q(redemption_key__isnull=False),
                name="vouchers_voucher_redemption_key_unique",
            ),
            models.CheckConstraint(condition=Q(price__gt=0), name="vouchers_voucher_price_positive"),
            models.CheckConstraint(
                condition=~Q(status="redeemed") | Q(redeemed_at__isnull=False),
                name="vouchers_voucher_redeemed_has_time",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["refunded", "lapsed"]) | Q(closed_at__isnull=False),
                name="vouchers_voucher_closed_has_time",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "expires_at"], name="vouchers_due_for_expiry"),
            models.Index(fields=["partner", "redeemed_at"], name="vouchers_partner_redeemed"),
            models.Index(fields=["resident", "product", "purchased_at"], name="vouchers_resident_monthly"),
        ]

    def __str__(self) -> str:
        return codes.display(self.code)

    @property
    def display_code(self) -> str:
        return codes.display(self.code)

    def state_at(self, now) -> str:
        """valid, used, or expired: an unused voucher past its time is expired even before the sweep runs."""
        if self.status == self.Status.REDEEMED:
            return "used"
        if self.status == self.Status.VALID and self.expires_at > now:
            return "valid"
        return "expired"
