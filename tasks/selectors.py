"""Reads that span relations: the task list with its filters, a resident's claims, distances."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db.models import F, FloatField, Q, QuerySet, Value
from django.db.models.functions import Cast

from tasks.models import Claim, Task

PAGE_SIZE = 20
EARTH_RADIUS_KM = 6371.0
KM_PER_DEGREE = 111.32


@dataclass
class TaskPage:
    tasks: list[Task]
    page: int
    has_next: bool

    @property
    def has_previous(self) -> bool:
        return self.page > 1


def distance_km(lat1, lon1, lat2, lon2) -> float:
    """Great-circle distance (haversine) in kilometres."""
    phi1, phi2 = math.radians(float(lat1)), math.radians(float(lat2))
    dphi = phi2 - phi1
    dlambda = math.radians(float(lon2) - float(lon1))
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(a))


def open_tasks(*, now: datetime) -> QuerySet[Task]:
    return Task.objects.filter(status=Task.Status.OPEN, deadline__gt=now).select_related(
        "category", "department", "poster"
    )


def filtered_tasks(*, filters: dict, now: datetime) -> QuerySet[Task]:
    """Open tasks matching the list filters; nearest first when a location is given, else newest first."""
    tasks = open_tasks(now=now)
    if filters.get("category"):
        tasks = tasks.filter(category__slug=filters["category"])
    if filters.get("kind") in {"city", "peer"}:
        tasks = tasks.filter(kind=filters["kind"])
    if filters.get("min_reward"):
        tasks = tasks.filter(reward_cents__gte=filters["min_reward"])
    if filters.get("q"):
        tasks = tasks.filter(Q(title__icontains=filters["q"]) | Q(address__icontains=filters["q"]))
    lat, lon = filters.get("lat"), filters.get("lon")
    if lat is not None and lon is not None:
        radius = float(filters.get("radius") or 5)
        dlat = radius / KM_PER_DEGREE
        scale = max(math.cos(math.radians(float(lat))), 0.01)
        dlon = dlat / scale
        tasks = tasks.filter(
            latitude__gte=Decimal(str(round(float(lat) - dlat, 6))),
            latitude__lte=Decimal(str(round(float(lat) + dlat, 6))),
            longitude__gte=Decimal(str(round(float(lon) - dlon, 6))),
            longitude__lte=Decimal(str(round(float(lon) + dlon, 6))),
        )
        # Squared equirectangular distance: good enough to order by within a few kilometres.
        dy = Cast(F("latitude"), FloatField()) - Value(float(lat))
        dx = (Cast(F("longitude"), FloatField()) - Value(float(lon))) * Value(scale)
        return tasks.annotate(nearness=dy * dy + dx * dx).order_by("nearness", "-pk")
    return tasks.order_by("-published_at", "-pk")


def task_page(*, filters: dict, now: datetime, page: int = 1) -> TaskPage:
    """One page without a COUNT(*): fetches one extra row to know whether there is a next page."""
    page = max(1, page)
    offset = (page - 1) * PAGE_SIZE
    rows = list(filtered_tasks(filters=filters, now=now)[offset : offset + PAGE_SIZE + 1])
    lat, lon = filters.get("lat"), filters.get("lon")
    for task in rows:
        task.distance_km = (
            distance_km(lat, lon, task.latitude, task.longitude)
            if lat is not None and lon is not None and task.has_place
            else None
        )
    return TaskPage(tasks=rows[:PAGE_SIZE], page=page, has_next=len(rows) > PAGE_SIZE)


def claims_of(*, resident) -> QuerySet[Claim]:
    return Claim.objects.filter(resident=resident).select_related("task", "task__category", "task__department")
