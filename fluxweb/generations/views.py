"""Submitting generations: the form, its live estimate, the submit itself, and the
welcome for a member who has not generated yet."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import reswap, retarget

from fluxweb.budgets.services import QuotaExceeded, budget_status
from fluxweb.core.http import AuthenticatedHttpRequest, HtmxHttpRequest

from .forms import GenerationForm
from .models import Generation
from .services import submit

# Fields whose value follows the model: when the model changes they take its defaults.
MODEL_DEFAULTS = ("num_inference_steps", "guidance_scale")
# The welcome's example prompts: each fills the prompt bar, with an aspect preset.
EXAMPLES = (
    {"prompt": "A lighthouse on a cliff at dusk, oil painting, warm light", "aspect": "16:9"},
    {
        "prompt": "A ceramic teapot shaped like a snail, studio photo, pastel background",
        "aspect": "1:1",
    },
    {"prompt": "Isometric illustration of a tiny bookshop on a rainy street", "aspect": "4:3"},
    {
        "prompt": "Portrait of an astronaut gardener among tomato plants, film photo",
        "aspect": "3:4",
    },
)
# Posted by a form that is showing errors (generations/_form.html).
ERRORS_SHOWN = "errors_shown"


@require_POST
def create(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Validate and enqueue a generation.

    HTMX: answers the new card (prepended to the gallery) and the estimate with the budget
    left after this request (out of band; the form in the page keeps what was typed), plus
    the form again, without its errors, when it was showing some. Invalid: the form with
    its errors. Without JavaScript: redirects home, or answers a page of its own with
    the form and its errors (status 400). A
    request over the member's budget or caps is a form error saying what is left.
    """
    form = GenerationForm(request.POST)
    if not form.is_valid():
        return _form_errors(request, form)
    try:
        submission = submit(request.user, form.cleaned_data)
    except QuotaExceeded as exc:
        form.add_error(None, exc.message)
        return _form_errors(request, form)
    if not request.htmx:
        messages.success(request, "Queued. Your image will appear in the gallery.")
        return redirect("gallery:home")
    generation = submission.generation
    context = {
        "generation": generation,
        "form": form,
        "estimate": generation.estimated_cost_usd,
        "budget_now": submission.budget,
    }
    if ERRORS_SHOWN in request.POST:
        context["fresh_form"] = GenerationForm(initial=_kept_values(request))
    return render(request, "generations/submitted.html", context)


def _form_errors(request: HtmxHttpRequest, form: GenerationForm) -> HttpResponse:
    if request.htmx:
        response = render(
            request, "generations/_form.html#body", {"form": form, "estimate": form.estimate()}
        )
        return reswap(retarget(response, "#generation-form"), "innerHTML")
    context = {"form": form, "estimate": form.estimate()}
    return render(request, "generations/new.html", context, status=400)


@require_GET
def form(request: HttpRequest) -> HttpResponse:
    """The form's body re-rendered for another model (its limits and defaults), keeping
    values; swapped into the form element, which stays."""
    initial = _kept_values(request, reset=MODEL_DEFAULTS)
    form = GenerationForm(initial=initial)
    return render(request, "generations/_form.html#body", {"form": form})


@require_GET
def estimate(request: HttpRequest) -> HttpResponse:
    """The estimated cost of the form as filled in so far (USD)."""
    form = GenerationForm(request.GET)
    return render(
        request, "generations/_form.html#estimate", {"form": form, "estimate": form.estimate()}
    )


def _kept_values(request: HttpRequest, reset: tuple[str, ...] = ()) -> dict[str, str]:
    source = request.POST if request.method == "POST" else request.GET
    return {
        name: source[name]
        for name in GenerationForm.base_fields
        if name in source and name not in reset and source[name] != ""
    }


@require_GET
def welcome(request: HttpRequest) -> HttpResponse:
    """The welcome with example prompts for a signed-in member without generations; for
    anyone else nothing (an empty answer that removes the placeholder)."""
    user = request.user
    if not user.is_authenticated or Generation.objects.filter(author=user).exists():
        return HttpResponse("")
    context = {"welcome": True, "examples": EXAMPLES, "budget": budget_status(user)}
    return render(request, "generations/_welcome.html", context)
