"""The generation form: every field validated on the server against the chosen model."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS
from django.urls import reverse_lazy
from django.utils.functional import cached_property

from fluxweb.budgets.models import ModelPrice, Team
from fluxweb.budgets.prices import estimate_cost, estimate_with, host_estimates
from fluxweb.core.forms import form_field
from fluxweb.core.money import format_usd
from fluxweb.providers.base import ModelSpec
from fluxweb.providers.options import (
    DENOISE,
    ENABLE_SAFETY_CHECKER,
    OPTIONS,
    SAMPLER_NAME,
    SCHEDULER,
)
from fluxweb.providers.registry import get_registry
from fluxweb.providers.routes import is_virtual

from .safety import FORCED_MESSAGE, safety_forced
from .sizes import ASPECT_NAMES, aspect_of, preset_size, presets

# The longest prompt accepted (characters; AIML documents maxLength 4000). Longer ones get
# a counter and a message in the form, never a silent cut.
MAX_PROMPT_LENGTH = 4000


class GenerationForm(forms.Form):
    """Prompt, model and parameters. Limits come from the selected :class:`ModelSpec`.

    ``cleaned_data["model"]`` is the ModelSpec itself; a blank ``num_inference_steps``
    becomes the model's default; a blank ``seed`` stays None (the service picks one).
    ``aspect`` only picks width and height (in the browser, and when the form is drawn for
    another model); the width and height sent are what is made.
    """

    prompt = forms.CharField(
        max_length=MAX_PROMPT_LENGTH,
        widget=forms.Textarea(
            attrs={
                "rows": 2,
                "placeholder": "Describe the image…",
                "data-max-length": MAX_PROMPT_LENGTH,
                "aria-describedby": "prompt-counter",
                "aria-keyshortcuts": "Control+Enter Meta+Enter",
            }
        ),
    )
    negative_prompt = forms.CharField(
        max_length=MAX_PROMPT_LENGTH, required=False, widget=forms.Textarea(attrs={"rows": 1})
    )
    # Choosing a model re-renders the form's body for it (its limits and defaults,
    # views.form), in the form's queue: it waits for a submit in flight, and a submit made
    # meanwhile waits for it (generations/_form.html).
    model = forms.ChoiceField(
        widget=forms.Select(
            attrs={
                "hx-get": reverse_lazy("generations:form"),
                "hx-trigger": "change",
                "hx-include": "closest form",
                "hx-target": "#generation-form",
                "hx-swap": "innerHTML",
                "hx-sync": "closest form:queue last",
            }
        )
    )
    aspect = forms.ChoiceField(
        label="Aspect ratio",
        required=False,
        choices=[(name, name) for name in ASPECT_NAMES] + [("", "Custom")],
    )
    width = forms.IntegerField(label="Width (px)")
    height = forms.IntegerField(label="Height (px)")
    num_inference_steps = forms.IntegerField(label="Steps", required=False)
    guidance_scale = forms.DecimalField(
        label="Guidance scale", required=False, max_digits=5, decimal_places=2
    )
    seed = forms.IntegerField(
        required=False, help_text="Blank picks a random seed; it is recorded."
    )
    num_images = forms.IntegerField(label="Images", initial=1)
    # Provider-specific parameters (fluxweb.providers.options): shown and used only for a
    # model whose ModelSpec.options names them; cleaned_data["options"] collects them.
    enable_safety_checker = forms.BooleanField(
        label=ENABLE_SAFETY_CHECKER.label,
        required=False,
        help_text=ENABLE_SAFETY_CHECKER.help_text,
    )
    sampler_name = forms.ChoiceField(
        label=SAMPLER_NAME.label,
        required=False,
        choices=[(name, name) for name in SAMPLER_NAME.choices],
    )
    scheduler = forms.ChoiceField(
        label=SCHEDULER.label,
        required=False,
        choices=[(name, name) for name in SCHEDULER.choices],
    )
    denoise = forms.FloatField(
        label=DENOISE.label,
        required=False,
        min_value=DENOISE.minimum,
        max_value=DENOISE.maximum,
        help_text=DENOISE.help_text,
        widget=forms.NumberInput(attrs={"step": "0.05"}),
    )
    # Charge to: a team's pool (by name) instead of the member's own budget; the budgets
    # service refuses a team the author is not in. Rendered by {% charge_to %} (budgets).
    team = forms.ModelChoiceField(
        queryset=Team.objects.all(), to_field_name="name", required=False, label="Charge to"
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        registry = get_registry()
        choices = [(m.id, m.label) for m in registry.models.values()]
        form_field(self, "model", forms.ChoiceField).choices = choices
        # No maxlength: a browser would cut a pasted prompt silently (the bar counts instead).
        self.fields["prompt"].widget.attrs.pop("maxlength", None)
        self.safety_forced = False
        self.spec = self._selected_spec()
        if self.spec is not None:
            self._apply_aspect(self.spec)
            self._apply_limits(self.spec)

    def _apply_aspect(self, spec: ModelSpec) -> None:
        """Unbound: a chosen aspect becomes ``spec``'s size for it (the form drawn for
        another model keeps the shape, not the pixels); without one, the aspect is the
        preset matching the size, if any."""
        if self.is_bound:
            return
        size = preset_size(spec, str(self.initial.get("aspect") or ""))
        if size is not None:
            self.initial["width"], self.initial["height"] = size
            return
        try:
            width = int(self.initial.get("width") or spec.default_width)
            height = int(self.initial.get("height") or spec.default_height)
        except (TypeError, ValueError):
            width, height = spec.default_width, spec.default_height
        self.initial["aspect"] = aspect_of(spec, width, height)

    max_prompt_length = MAX_PROMPT_LENGTH

    @property
    def prompt_length(self) -> int:
        """Characters in the prompt as filled in (the bar shows it against the limit)."""
        return len(str(self["prompt"].value() or ""))

    @property
    def prompt_excess(self) -> int:
        """Characters over :data:`MAX_PROMPT_LENGTH` (0 when it fits)."""
        return max(0, self.prompt_length - MAX_PROMPT_LENGTH)

    @property
    def aspect_presets(self) -> list[tuple[str, int, int]]:
        """The selected model's aspect presets: (name, width, height) in pixels."""
        return presets(self.spec) if self.spec is not None else []

    def model_prices(self) -> dict[str, str]:
        """Each model's price for one image at the size as filled in so far (else its
        default size) and its default steps, formatted (one query for the price table)."""
        width, height = self._current_size()
        rows = {row.model_id: row.as_price() for row in ModelPrice.objects.all()}
        prices = {}
        for spec in get_registry().models.values():
            price = rows.get(spec.id, spec.price)
            if width and height:
                w, h = width, height
            else:
                w, h = spec.default_width, spec.default_height
            if is_virtual(spec.id):  # what is reserved: the dearest host that takes it
                prices[spec.id] = format_usd(estimate_cost(spec, w, h, None, 1))
                continue
            prices[spec.id] = format_usd(estimate_with(price, spec, w, h, None, 1))
        return prices

    def _current_size(self) -> tuple[int | None, int | None]:
        """(width, height) as filled in, each None unless a whole number of 1–4096 pixels."""
        source = self.data if self.is_bound else self.initial
        sizes = []
        for name in ("width", "height"):
            try:
                value: int | None = int(str(source.get(name)))
            except ValueError:
                value = None
            sizes.append(value if value is not None and 0 < value <= 4096 else None)
        return sizes[0], sizes[1]

    def _selected_spec(self) -> ModelSpec | None:
        models = get_registry().models
        chosen = self.data.get("model") if self.is_bound else self.initial.get("model")
        if chosen in models:
            return models[chosen]
        return next(iter(models.values()), None)

    def _apply_limits(self, spec: ModelSpec) -> None:
        """Put the model's limits on the widgets (a hint to browsers, not the check)."""
        for name, bounds in (
            ("width", spec.width),
            ("height", spec.height),
            ("num_images", spec.num_images),
        ):
            self.fields[name].widget.attrs.update(
                min=bounds.minimum, max=bounds.maximum, step=bounds.step
            )
            self.fields[name].help_text = bounds.describe()
        self.initial.setdefault("width", spec.default_width)
        self.initial.setdefault("height", spec.default_height)
        self.initial.setdefault("model", spec.id)
        steps = self.fields["num_inference_steps"]
        if spec.steps is None:
            steps.disabled = True
            steps.help_text = "This provider's API has no steps parameter."
        else:
            steps.widget.attrs.update(min=spec.steps.minimum, max=spec.steps.maximum)
            steps.help_text = f"{spec.steps.describe()}; blank uses {spec.default_steps}."
            self.initial.setdefault("num_inference_steps", spec.default_steps)
        seed = self.fields["seed"]
        if spec.seed is None:
            seed.disabled = True
            seed.help_text = "This provider's API takes no seed, so results cannot be reproduced."
        guidance = self.fields["guidance_scale"]
        if spec.guidance_scale is None:
            guidance.disabled = True
            guidance.help_text = "Not used by this model."
        else:
            low, high = spec.guidance_scale
            guidance.widget.attrs.update(min=low, max=high, step="0.1")
            guidance.help_text = f"{low:g}–{high:g}"
            self.initial.setdefault("guidance_scale", spec.default_guidance_scale)
        negative = self.fields["negative_prompt"]
        if not spec.negative_prompt:
            negative.disabled = True
            negative.help_text = "Not supported by this model."
        self._apply_options(spec)

    def _apply_options(self, spec: ModelSpec) -> None:
        """Defaults of the model's provider options; the safety checker checked and locked
        when an admin forced it."""
        for name in OPTIONS:  # another model's options are neither shown nor checked
            if name not in spec.options:
                del self.fields[name]
        for name in spec.options:
            self.initial.setdefault(name, OPTIONS[name].default)
        self.safety_forced = ENABLE_SAFETY_CHECKER.name in spec.options and safety_forced()
        if self.safety_forced:
            safety = self.fields[ENABLE_SAFETY_CHECKER.name]
            safety.disabled = True
            safety.initial = True
            self.initial[ENABLE_SAFETY_CHECKER.name] = True
            safety.help_text = FORCED_MESSAGE

    @property
    def option_errors(self) -> bool:
        """Whether any of the model's provider options has an error (opens the panel)."""
        return any(name in self.errors for name in self.fields if name in OPTIONS)

    @property
    def option_fields(self) -> list[forms.BoundField]:
        """The selected model's provider options, as bound fields (the advanced panel)."""
        return [self[name] for name in self.spec.options] if self.spec is not None else []

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        spec = get_registry().models.get(data.get("model", ""))
        if spec is None:
            return data
        data["model"] = spec
        self._check_range(data, "width", spec.width, spec)
        self._check_range(data, "height", spec.height, spec)
        self._check_range(data, "num_images", spec.num_images, spec)
        if spec.steps is None:
            data["num_inference_steps"] = None
        else:
            if data.get("num_inference_steps") is None and "num_inference_steps" not in self.errors:
                data["num_inference_steps"] = spec.default_steps
            self._check_range(data, "num_inference_steps", spec.steps, spec)
        if spec.seed is None:
            data["seed"] = None
        elif data.get("seed") is not None:
            self._check_range(data, "seed", spec.seed, spec)
        if spec.guidance_scale is None:
            data["guidance_scale"] = None
        elif data.get("guidance_scale") is not None:
            low, high = spec.guidance_scale
            if not Decimal(str(low)) <= data["guidance_scale"] <= Decimal(str(high)):
                self.add_error(
                    "guidance_scale", f"{spec.label} takes a guidance scale of {low:g}–{high:g}."
                )
        if not spec.negative_prompt:
            data["negative_prompt"] = ""
        data["options"] = self._clean_options(data, spec)
        if is_virtual(spec.id) and not self.errors and not self._has_host(data, spec):
            self.add_error(None, f"No enabled host of {spec.label} takes this size and steps.")
        return data

    def _clean_options(self, data: dict[str, Any], spec: ModelSpec) -> dict[str, Any]:
        """The provider options ``spec`` takes, blanks replaced by their documented default
        (the safety checker: unchecked means off, unless forced). Choices and ranges are
        checked by the fields."""
        options: dict[str, Any] = {}
        for name in spec.options:
            option = OPTIONS[name]
            value = data.get(name)
            if option.kind == "bool":
                value = bool(value)
            elif value in (None, ""):
                value = option.default
            options[name] = value
        return options

    @staticmethod
    def _has_host(data: dict[str, Any], spec: ModelSpec) -> bool:
        size = (data["width"], data["height"], data.get("num_inference_steps"))
        return bool(host_estimates(spec, *size, data["num_images"]))

    def _check_range(self, data: dict[str, Any], name: str, bounds: Any, spec: ModelSpec) -> None:
        value = data.get(name)
        if value is not None and not bounds.contains(value):
            label = self.fields[name].label or name.replace("_", " ").capitalize()
            self.add_error(name, f"{label} must be {bounds.describe()} for {spec.label}.")

    @cached_property
    def initial_estimate(self) -> Decimal | None:
        """Estimated USD of the unbound form's initial values (price table, see
        :func:`fluxweb.budgets.prices.estimate_cost`)."""
        if self.spec is None:
            return None
        initial = self.initial
        try:
            return estimate_cost(
                self.spec,
                int(initial["width"]),
                int(initial["height"]),
                int(initial["num_inference_steps"]) if initial.get("num_inference_steps") else None,
                int(initial.get("num_images") or 1),
            )
        except (KeyError, ValueError):
            return None

    def estimate(self) -> Decimal | None:
        """Estimated USD of the request as bound so far, or None while a field the price
        depends on (model, size, steps, images) is invalid. The prompt does not matter."""
        self.is_valid()
        price_free = {
            "prompt",
            "negative_prompt",
            "seed",
            "guidance_scale",
            "aspect",
            *OPTIONS,
            NON_FIELD_ERRORS,
        }
        if set(self.errors) - price_free:
            return None
        data = self.cleaned_data
        if not isinstance(data.get("model"), ModelSpec):
            return None
        spec: ModelSpec = data["model"]
        return estimate_cost(
            spec, data["width"], data["height"], data["num_inference_steps"], data["num_images"]
        )
