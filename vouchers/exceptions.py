"""Domain errors of vouchers. Views turn them into messages and the partner API into JSON errors."""

from __future__ import annotations


class VoucherError(Exception):
    """Base class."""


class ProductNotOnSale(VoucherError):
    """The product is inactive."""


class SoldOut(VoucherError):
    """The product's total stock is sold."""


class MonthlyLimitReached(VoucherError):
    """The resident has bought the product's monthly limit already."""


class PurchaseKeyReused(VoucherError):
    """The purchase's idempotency key was used for another product."""


class VoucherNotFound(VoucherError):
    """No voucher has this code."""


class VoucherOfAnotherPartner(VoucherError):
    """The voucher belongs to another partner."""

    def __init__(self, voucher) -> None:
        super().__init__("voucher of another partner")
        self.voucher = voucher


class VoucherExpired(VoucherError):
    """The voucher's validity has ended (it may also have been refunded or lapsed)."""

    def __init__(self, voucher) -> None:
        super().__init__("voucher expired")
        self.voucher = voucher


class VoucherAlreadyRedeemed(VoucherError):
    """Another redemption used the voucher already."""

    def __init__(self, voucher) -> None:
        super().__init__("voucher already redeemed")
        self.voucher = voucher


class RedemptionKeyReused(VoucherError):
    """The Idempotency-Key belongs to the redemption of another voucher."""
