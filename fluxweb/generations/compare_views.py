"""Compare pages: the form with its whole-batch estimate, the submit, and the batch's grid
that fills in live (its partial is polled while any cell is unfinished)."""

from __future__ import annotations

from decimal import Decimal

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from fluxweb.budgets.services import QuotaExceeded, budget_status

from .comparing import MAX_MODELS, MAX_SEEDS, CompareForm, submit_batch
from .models import Batch, Generation

ZERO = Decimal(0)


@require_http_methods(["GET", "POST"])
def compare(request: HttpRequest) -> HttpResponse:
    """GET: the compare form (``prompt`` in the query fills it in). POST: validate, hold the
    whole batch and queue its cells, then redirect to the batch's grid; invalid, or over
    the member's budget or caps: the form again with what is wrong (status 400)."""
    if request.method == "POST":
        form = CompareForm(request.POST)
        if form.is_valid():
            try:
                submission = submit_batch(request.user, form.cleaned_data)
            except QuotaExceeded as exc:
                form.add_error(None, exc.message)
            else:
                return redirect("generations:batch", pk=submission.batch.pk)
        status = 400
    else:
        initial = {"prompt": request.GET.get("prompt", "")[:4000]}
        form = CompareForm(initial=initial)
        status = 200
    context = {
        "form": form,
        "estimate": form.estimate() if form.is_bound else None,
        "budget": budget_status(request.user),
        "max_models": MAX_MODELS,
        "max_seeds": MAX_SEEDS,
    }
    return render(request, "generations/compare.html", context, status=status)


@require_GET
def compare_estimate(request: HttpRequest) -> HttpResponse:
    """The whole batch's estimated cost (USD) of the compare form as filled in so far."""
    form = CompareForm(request.GET)
    context = {"form": form, "estimate": form.estimate(), "budget": budget_status(request.user)}
    return render(request, "generations/_compare_estimate.html", context)


def _grid_context(batch: Batch) -> dict[str, object]:
    cells = list(Generation.objects.for_gallery().filter(batch=batch).order_by("batch_cell", "id"))
    done = [cell for cell in cells if cell.is_finished]
    charged = [
        cell.actual_cost_usd
        if cell.actual_cost_usd is not None
        else (cell.estimated_cost_usd if cell.status == Generation.Status.SUCCEEDED else ZERO)
        for cell in done
    ]
    return {
        "batch": batch,
        "rows": batch.grid(cells),
        "finished": len(done) == len(cells),
        "done": len(done),
        "total": len(cells),
        "failed": sum(cell.status == Generation.Status.FAILED for cell in cells),
        "estimate_total": sum((cell.estimated_cost_usd for cell in cells), ZERO),
        "charged_total": sum(charged, ZERO),
    }


@require_GET
def batch(request: HttpRequest, pk: int) -> HttpResponse:
    """A batch's grid: rows model/host, columns seed; each cell its image or status, its
    estimated and actual cost and its latency. 404 for an unknown ``pk``."""
    found = get_object_or_404(Batch.objects.select_related("prompt", "author"), pk=pk)
    return render(request, "generations/batch.html", _grid_context(found))


@require_GET
def batch_grid(request: HttpRequest, pk: int) -> HttpResponse:
    """The grid partial alone (polled by the batch page while a cell is unfinished)."""
    found = get_object_or_404(Batch.objects.select_related("prompt", "author"), pk=pk)
    return render(request, "generations/_batch_grid.html", _grid_context(found))
