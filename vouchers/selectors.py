"""Reads that span relations: a resident's vouchers, a desk's day, a partner's monthly settlement."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time

from django.db.models import Count, Sum
from django.utils import timezone

from vouchers.models import Partner, Product, Voucher


def month_bounds(moment: datetime) -> tuple[datetime, datetime]:
    """Start of the local (Europe/Helsinki) calendar month containing `moment`, and of the next one."""
    local = timezone.localtime(moment)
    return month_range(local.year, local.month)


def month_range(year: int, month: int) -> tuple[datetime, datetime]:
    tz = timezone.get_current_timezone()
    start = datetime.combine(date(year, month, 1), time.min, tzinfo=tz)
    end_year, end_month = (year + 1, 1) if month == 12 else (year, month + 1)
    end = datetime.combine(date(end_year, end_month, 1), time.min, tzinfo=tz)
    return start, end


def day_start(moment: datetime) -> datetime:
    local = timezone.localtime(moment)
    return datetime.combine(local.date(), time.min, tzinfo=local.tzinfo)


def products_on_sale():
    return Product.objects.filter(active=True).select_related("partner").order_by("partner__name", "sort_order", "pk")


@dataclass
class ResidentVouchers:
    valid: list[Voucher] = field(default_factory=list)
    used: list[Voucher] = field(default_factory=list)
    expired: list[Voucher] = field(default_factory=list)


def resident_vouchers(*, resident, now: datetime) -> ResidentVouchers:
    grouped = ResidentVouchers()
    for voucher in Voucher.objects.filter(resident=resident).select_related("product", "partner"):
        getattr(grouped, voucher.state_at(now)).append(voucher)
    grouped.valid.sort(key=lambda voucher: voucher.expires_at)
    return grouped


def todays_redemptions(*, partner: Partner, now: datetime, limit: int = 100) -> list[Voucher]:
    return list(
        Voucher.objects.filter(partner=partner, status=Voucher.Status.REDEEMED, redeemed_at__gte=day_start(now))
        .select_related("product")
        .order_by("-redeemed_at")[:limit]
    )


@dataclass
class ProductLine:
    name: str
    count: int
    face_value_total: int


@dataclass
class Settlement:
    partner: Partner
    year: int
    month: int
    vouchers: list[Voucher]
    products: list[ProductLine]
    count: int
    total_face_value: int  # euro cents the city owes the partner
    lapsed_count: int

    @property
    def period(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


def settlement(*, partner: Partner, year: int, month: int) -> Settlement:
    """Redeemed vouchers of one partner in one local calendar month, and the euros the city owes for them."""
    start, end = month_range(year, month)
    redeemed = Voucher.objects.filter(
        partner=partner, status=Voucher.Status.REDEEMED, redeemed_at__gte=start, redeemed_at__lt=end
    )
    vouchers = list(redeemed.select_related("product").order_by("redeemed_at", "pk"))
    by_product = redeemed.values("product").annotate(count=Count("pk"), total=Sum("face_value")).order_by("product")
    names = {product.pk: product.name for product in Product.objects.filter(partner=partner)}
    lines = [ProductLine(names.get(row["product"], "?"), row["count"], row["total"] or 0) for row in by_product]
    lapsed = Voucher.objects.filter(
        partner=partner, status=Voucher.Status.LAPSED, closed_at__gte=start, closed_at__lt=end
    ).count()
    return Settlement(
        partner=partner,
        year=year,
        month=month,
        vouchers=vouchers,
        products=lines,
        count=len(vouchers),
        total_face_value=sum(voucher.face_value for voucher in vouchers),
        lapsed_count=lapsed,
    )
