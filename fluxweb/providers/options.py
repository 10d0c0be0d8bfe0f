"""Provider-specific parameters beyond the common ones, as their APIs document them.

A :class:`~.base.ModelSpec` lists in ``options`` the names it takes; the generation form
offers exactly those (validated against the :class:`Option` below) and the provider module
sends them under the same name. Sources:

- ``enable_safety_checker``: AIML flux/schnell and flux/dev (seeds 000 and 004,
  ``shared/providers.md`` §1.2): boolean, default true.
- ``sampler_name``, ``scheduler``, ``denoise``: Segmind flux-schnell (seed 002,
  ``shared/providers.md`` §3.1). Of the 27 samplers only the ten shown on the model page are
  offered (the other 17 are inferred, not documented); the six schedulers are confirmed;
  ``denoise`` is a number 0–1, default 1.

Also here: :func:`nsfw_flags`, reading a provider's per-image safety flags defensively.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

Kind = Literal["bool", "choice", "number"]


@dataclass(frozen=True)
class Option:
    """One provider parameter: its wire ``name`` (also the form field's), a ``label``, its
    ``kind`` and documented ``default``; ``choices`` for a choice, inclusive
    ``minimum``/``maximum`` for a number."""

    name: str
    label: str
    kind: Kind
    default: Any
    help_text: str = ""
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None


ENABLE_SAFETY_CHECKER = Option(
    "enable_safety_checker",
    "Provider's safety checker",
    "bool",
    True,
    help_text="The provider flags (and may blank) images it finds unsafe.",
)
SAMPLER_NAME = Option(
    "sampler_name",
    "Sampler",
    "choice",
    "euler",
    choices=(
        "euler",
        "euler_pp",
        "euler_ancestral",
        "euler_ancestral_pp",
        "heun",
        "heunpp2",
        "dpm_2",
        "dpm_2_ancestral",
        "lms",
        "dpm_fast",
    ),
)
SCHEDULER = Option(
    "scheduler",
    "Scheduler",
    "choice",
    "normal",
    choices=("normal", "karras", "exponential", "sgm_uniform", "simple", "ddim_uniform"),
)
DENOISE = Option(
    "denoise", "Denoise", "number", 1.0, help_text="0–1; 1 is full denoising.", minimum=0, maximum=1
)

OPTIONS: dict[str, Option] = {
    option.name: option for option in (ENABLE_SAFETY_CHECKER, SAMPLER_NAME, SCHEDULER, DENOISE)
}


def nsfw_flags(value: Any, count: int) -> list[bool] | None:
    """A provider's per-image safety flags (``[false, true]``) for ``count`` images, or None
    when the answer has no usable list: not a list, a length other than ``count``, or an
    item that is not a boolean. A hostile answer is ignored, never an error."""
    if not isinstance(value, list) or len(value) != count:
        return None
    if not all(isinstance(item, bool) for item in value):
        return None
    return list(value)
