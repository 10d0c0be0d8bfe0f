"""Search and filters of the gallery and the prompt history, read from the URL (GET)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef
from django.utils import timezone

from fluxweb.core.forms import form_field
from fluxweb.core.parsing import BoundedDateField
from fluxweb.generations.models import GeneratedImage, Generation, GenerationQuerySet
from fluxweb.generations.prompts import PromptQuerySet
from fluxweb.providers.registry import get_registry

from .models import Favourite


class FilterForm(forms.Form):
    """Prompt search, author, provider, model, status, creation dates (inclusive, in the
        site's time zone), favourites only, pinned only, flagged only (an image the provider's
    safety checker flagged). Invalid fields are ignored (and shown).

        Building it reads the user list once (one query, for the author choices).
    """

    q = forms.CharField(
        required=False,
        max_length=200,
        label="Search prompts",
        widget=forms.TextInput(attrs={"type": "search", "placeholder": "Words from the prompt…"}),
    )
    author = forms.TypedChoiceField(required=False, coerce=int, empty_value=None, label="Author")
    provider = forms.ChoiceField(required=False, label="Provider")
    model = forms.ChoiceField(required=False, label="Model")
    status = forms.ChoiceField(
        required=False, label="Status", choices=[("", "Any status"), *Generation.Status.choices]
    )
    date_from = BoundedDateField(
        required=False, label="From", widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = BoundedDateField(
        required=False, label="To", widget=forms.DateInput(attrs={"type": "date"})
    )
    favourites = forms.BooleanField(required=False, label="My favourites")
    pinned = forms.BooleanField(required=False, label="Pinned")
    flagged = forms.BooleanField(required=False, label="Flagged")

    def __init__(self, data: Any = None, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "filter-%s")
        super().__init__(data if data is not None else {}, **kwargs)
        users = get_user_model().objects.order_by("username").values_list("pk", "username")
        form_field(self, "author", forms.ChoiceField).choices = [("", "Anyone"), *users]
        registry = get_registry()
        form_field(self, "provider", forms.ChoiceField).choices = [("", "Any provider")] + [
            (slug, provider.label) for slug, provider in registry.providers.items()
        ]
        models = [(m.id, m.label) for m in registry.models.values()]
        form_field(self, "model", forms.ChoiceField).choices = [("", "Any model"), *models]
        self.is_valid()

    @property
    def values(self) -> dict[str, Any]:
        """The valid, non-empty filters."""
        return {
            name: value
            for name, value in self.cleaned_data.items()
            if value not in (None, "", False)
        }

    @property
    def is_filtered(self) -> bool:
        return bool(self.values)

    def query_string(self, **extra: Any) -> str:
        """The filters as a URL query (``q=cat&model=...``) plus ``extra`` parameters."""
        params = {
            name: ("1" if value is True else str(value)) for name, value in self.values.items()
        }
        params.update({name: value for name, value in extra.items() if value not in (None, "")})
        return urlencode(params)

    def generations(
        self, queryset: GenerationQuerySet, user: Any, *, search: bool = True
    ) -> GenerationQuerySet:
        """``queryset`` narrowed to the filters (the prompt search too unless ``search`` is
        False); ``favourites`` means stars of ``user``."""
        values = self.values
        if search and "q" in values:
            queryset = queryset.search_prompt(values["q"])
        for name, lookup in (
            ("author", "author_id"),
            ("provider", "provider"),
            ("model", "model"),
            ("status", "status"),
        ):
            if name in values:
                queryset = queryset.filter(**{lookup: values[name]})
        if "date_from" in values:
            queryset = queryset.filter(created_at__gte=start_of_day(values["date_from"]))
        if "date_to" in values:
            queryset = queryset.filter(
                created_at__lt=start_of_day(values["date_to"] + timedelta(days=1))
            )
        if values.get("favourites"):
            queryset = queryset.filter(
                Exists(Favourite.objects.filter(user=user, generation=OuterRef("pk")))
            )
        if values.get("pinned"):
            queryset = queryset.filter(pinned=True)
        if values.get("flagged"):
            queryset = queryset.filter(
                Exists(GeneratedImage.objects.filter(generation=OuterRef("pk"), nsfw_flagged=True))
            )
        return queryset

    def prompts(self, queryset: PromptQuerySet, user: Any) -> PromptQuerySet:
        """Prompts used by at least one generation that passes the filters (the search
        applies to the prompt itself)."""
        values = self.values
        if "q" in values:
            queryset = queryset.search(values["q"])
        if set(values) - {"q"}:
            matching = self.generations(Generation.objects.all(), user, search=False)
            queryset = queryset.filter(Exists(matching.filter(prompt=OuterRef("pk"))))
        return queryset


def start_of_day(day: date) -> datetime:
    """Midnight at the start of ``day`` in the current time zone (aware)."""
    return timezone.make_aware(datetime.combine(day, time.min))
