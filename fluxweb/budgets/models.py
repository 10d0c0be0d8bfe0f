"""Prices, budgets and the ledger.

- :class:`ModelPrice`: the editable price table (one row per model id), seeded from each
  provider's ``ModelSpec.price``.
- :class:`BudgetDefaults` (one row) and :class:`DefaultModelLimit`: what a new user gets.
- :class:`Quota` and :class:`QuotaModelLimit`: one user's budget, caps and the running
  totals of the current period. The quota row is also the lock that serialises that
  user's reservations (``select_for_update``).
- :class:`Team`: a named group of members with a shared budget (a pool): its own budget,
  period and running totals, locked like a quota. A request charged to a team must fit the
  team's remaining money and the member's own image caps.
- :class:`Hold`: money (and images) held for one request until it is settled or released,
  and from which pool: the member's own quota, or a team's.
  The ledger knows nothing of what the request is: the caller keeps the link to its hold.
- :class:`LedgerEntry`: every reservation, charge and refund, each pointing at its hold. A
  quota's totals always equal the sums of its ledger rows for the current period
  (:func:`.maintenance.recompute`).

Money is ``Decimal`` USD: budgets to the cent, costs and totals to a millionth.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TypedDict

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Now

from fluxweb.providers.pricing import Basis, Price
from fluxweb.providers.registry import get_registry

from .periods import Period


class Digits(TypedDict):
    """A ``DecimalField``'s size, shared by the model and form fields of one kind of amount."""

    max_digits: int
    decimal_places: int


USD: Digits = {"max_digits": 12, "decimal_places": 6}
BUDGET_USD: Digits = {"max_digits": 10, "decimal_places": 2}


class ModelPrice(models.Model):
    """An admin-editable price for one model id; see :class:`~fluxweb.providers.pricing.Price`
    for the three bases. Estimates read this row and fall back to ``ModelSpec.price``."""

    model_id = models.CharField(
        max_length=64, unique=True, help_text="e.g. deepinfra/flux-1-schnell"
    )
    basis = models.CharField(
        max_length=16, choices=[(b.value, b.value) for b in Basis], default=Basis.PIXEL_STEP.value
    )
    usd_per_unit = models.DecimalField(
        **USD, help_text="USD per unit: per 1024² px per N steps, per image, or per server hour"
    )
    steps_per_unit = models.PositiveIntegerField(
        default=1, help_text="pixel_step only: the steps one unit pays for (dev: 25)"
    )
    images_per_hour = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="hour only: how many images an hour of server makes (assumed)",
    )
    source = models.CharField(max_length=200, blank=True, help_text="where this price comes from")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["model_id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(usd_per_unit__gte=0), name="price_not_negative"
            ),
            models.CheckConstraint(
                condition=models.Q(steps_per_unit__gte=1), name="price_steps_per_unit_positive"
            ),
            models.CheckConstraint(
                condition=~models.Q(basis=Basis.HOUR.value) | models.Q(images_per_hour__gte=1),
                name="price_hourly_needs_throughput",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.model_id}: {self.as_price().describe()}"

    def as_price(self) -> Price:
        return Price(
            usd_per_unit=self.usd_per_unit,
            steps_per_unit=self.steps_per_unit,
            basis=Basis(self.basis),
            images_per_hour=self.images_per_hour,
        )

    @classmethod
    def from_price(cls, model_id: str, price: Price, source: str = "") -> ModelPrice:
        return cls(
            model_id=model_id,
            basis=price.basis,
            usd_per_unit=price.usd_per_unit,
            steps_per_unit=price.steps_per_unit,
            images_per_hour=price.images_per_hour,
            source=source,
        )


class BudgetFields(models.Model):
    """What a budget is made of; shared by the defaults and each user's quota."""

    budget_usd = models.DecimalField(
        **BUDGET_USD, null=True, blank=True, help_text="USD per period; blank means no money limit"
    )
    period = models.CharField(max_length=16, choices=Period.choices, default=Period.MONTHLY)
    images_per_day = models.PositiveIntegerField(
        null=True, blank=True, help_text="at most this many images a day (blank: no cap)"
    )

    class Meta:
        abstract = True


class BudgetDefaults(BudgetFields):
    """The one row of defaults copied into each new user's :class:`Quota`."""

    class Meta:
        verbose_name = verbose_name_plural = "budget defaults for new users"
        constraints = [
            models.CheckConstraint(condition=models.Q(pk=1), name="budget_defaults_singleton")
        ]

    def __str__(self) -> str:
        return "Defaults for new users"

    @classmethod
    def load(cls) -> BudgetDefaults:
        """The defaults row, created with $5.00 a month if missing."""
        defaults, _ = cls.objects.get_or_create(pk=1, defaults={"budget_usd": Decimal("5.00")})
        return defaults


class RunningTotals(models.Model):
    """A budget's current period and its running totals (USD), shared by a user's
    :class:`Quota` and a :class:`Team`.

    ``reserved_usd`` is held for requests still in progress (open holds); ``spent_usd`` is
    what finished ones cost. Both only change under the row's lock, inside the same
    transaction as the ledger row that explains the change.
    """

    budget_usd = models.DecimalField(
        **BUDGET_USD, null=True, blank=True, help_text="USD per period; blank means no money limit"
    )
    period = models.CharField(max_length=16, choices=Period.choices, default=Period.MONTHLY)
    period_started_at = models.DateTimeField(help_text="start of the period the totals belong to")
    reserved_usd = models.DecimalField(**USD, default=Decimal(0))
    spent_usd = models.DecimalField(**USD, default=Decimal(0))
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True
        constraints = [
            models.CheckConstraint(
                condition=models.Q(reserved_usd__gte=0), name="%(class)s_reserved_not_negative"
            ),
            models.CheckConstraint(
                condition=models.Q(budget_usd__gte=0), name="%(class)s_budget_not_negative"
            ),
        ]


class Quota(BudgetFields, RunningTotals):
    """One user's budget and caps, with the current period's running totals."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="quota"
    )

    class Meta(RunningTotals.Meta):
        ordering = ["user__username"]

    def __str__(self) -> str:
        return f"quota of {self.user}"


def enabled_model_ids() -> dict[str, str]:
    """The enabled models (provider registry): model id → label, in registry order."""
    return {spec.id: spec.label for spec in get_registry().models.values()}


class ModelLimit(models.Model):
    """At most ``images_per_day`` images of one model a day.

    ``model_id`` must name an enabled model (:func:`enabled_model_ids`) when the limit is
    created or moved to another model: a typed label such as "FLUX.1 [dev]" never matches
    a request, so it is refused (:meth:`clean`). A saved limit whose model was disabled
    later stays (and shows as disabled) until someone removes it.
    """

    model_id = models.CharField(max_length=64)
    images_per_day = models.PositiveIntegerField()

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.model_id}: {self.images_per_day}/day"

    @property
    def model_enabled(self) -> bool:
        return self.model_id in enabled_model_ids()

    @property
    def model_label(self) -> str:
        """The model's label, or the id marked "(disabled)" when it is no longer enabled."""
        return enabled_model_ids().get(self.model_id) or f"{self.model_id} (disabled)"

    def clean(self) -> None:
        """Raises ValidationError when ``model_id`` is not an enabled model, unless it is the
        one this saved limit already has."""
        super().clean()
        if self.model_id in enabled_model_ids():
            return
        saved = type(self)._default_manager.filter(pk=self.pk).values_list("model_id", flat=True)
        if self.pk is None or saved.first() != self.model_id:
            raise ValidationError(
                {"model_id": f"Unknown model {self.model_id!r}: choose an enabled model."}
            )


class DefaultModelLimit(ModelLimit):
    defaults = models.ForeignKey(
        BudgetDefaults, on_delete=models.CASCADE, related_name="model_limits"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["defaults", "model_id"], name="default_limit_unique")
        ]


class QuotaModelLimit(ModelLimit):
    quota = models.ForeignKey(Quota, on_delete=models.CASCADE, related_name="model_limits")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["quota", "model_id"], name="quota_limit_unique")
        ]


class Team(RunningTotals):
    """A named group of members sharing one budget per period: the totals are what the
    members charged to the team. Members keep their own image caps when they charge it.
    """

    name = models.CharField(max_length=100, unique=True)
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="teams", blank=True)
    created_at = models.DateTimeField(db_default=Now(), editable=False)

    class Meta(RunningTotals.Meta):
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Hold(models.Model):
    """Money and images held for one request: ``reserved_usd`` (the estimate, USD) and
    ``images`` (how many it makes) against the quota period that began at
    ``period_started_at``.

    ``held`` until the request ends: ``settled`` (charged) or ``released`` (refunded in
    full). Daily image caps count the images of holds made today that were not released,
    so deleting what a request made does not give its images back.
    """

    class State(models.TextChoices):
        HELD = "held", "Held"
        SETTLED = "settled", "Settled"
        RELEASED = "released", "Released"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="budget_holds"
    )
    team = models.ForeignKey(
        Team,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="holds",
        help_text="the pool charged: this team's budget; blank: the user's own",
    )
    model = models.CharField(max_length=64, help_text="fluxweb model id")
    images = models.PositiveIntegerField(help_text="images the request makes")
    reserved_usd = models.DecimalField(**USD, help_text="the estimate held")
    period_started_at = models.DateTimeField()
    state = models.CharField(max_length=8, choices=State.choices, default=State.HELD)
    created_at = models.DateTimeField(db_default=Now(), editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # Daily image caps: one user's holds since midnight.
            models.Index(fields=["user", "created_at"], name="hold_user_time"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(state__in=["held", "settled", "released"]),
                name="hold_state_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(reserved_usd__gte=0), name="hold_reserved_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"hold #{self.pk} ({self.model}, {self.state})"


class LedgerEntry(models.Model):
    """One change to a user's money: a reservation, the charge that settles it, or a refund,
    all three about one :class:`Hold`.

    Signed deltas (USD): a reservation holds ``+estimate`` (``reserved_usd``); a charge
    releases it (``reserved_usd = -estimate``) and spends the cost (``charged_usd``); a
    refund releases it and spends nothing. ``period_started_at`` is the period of the pool
    (``team``'s, else the user's quota) the reservation counted against; its charge or
    refund count against the same one.
    """

    class Kind(models.TextChoices):
        RESERVE = "reserve", "Reservation"
        CHARGE = "charge", "Charge"
        REFUND = "refund", "Refund"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="ledger_entries",
    )
    team = models.ForeignKey(
        Team,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="ledger_entries",
        help_text="the pool: this team's budget; blank: the user's own",
    )
    hold = models.ForeignKey(Hold, on_delete=models.PROTECT, related_name="entries")
    model = models.CharField(max_length=64, help_text="fluxweb model id")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    reserved_usd = models.DecimalField(
        **USD, default=Decimal(0), help_text="change to the amount held"
    )
    charged_usd = models.DecimalField(
        **USD, default=Decimal(0), help_text="change to the amount spent"
    )
    period_started_at = models.DateTimeField()
    note = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(db_default=Now(), editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "ledger entries"
        indexes = [
            # Usage reports and the admin's ledger filters.
            models.Index(fields=["user", "created_at"], name="ledger_user_time"),
            models.Index(fields=["model", "created_at"], name="ledger_model_time"),
            models.Index(fields=["created_at"], name="ledger_time"),
            models.Index(fields=["team", "created_at"], name="ledger_team_time"),
        ]
        constraints = [
            # A hold is reserved, charged and refunded at most once each.
            models.UniqueConstraint(fields=["hold", "kind"], name="ledger_once_per_hold"),
            models.CheckConstraint(
                condition=models.Q(kind__in=["reserve", "charge", "refund"]),
                name="ledger_kind_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk} ({self.model})"

    @property
    def amount_usd(self) -> Decimal:
        """The change to what the user has used (reserved + spent)."""
        return self.reserved_usd + self.charged_usd
