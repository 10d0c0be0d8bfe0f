"""OpenAI Images API request bodies ⇄ fluxweb's generation form.

The API validates exactly like the browser form (:class:`GenerationForm`); this module only
maps names: ``size`` "WxH" → width/height, ``n`` → num_images, and form errors back to the
API parameter the client sent.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from fluxweb.generations.forms import GenerationForm
from fluxweb.generations.safety import FORCED_MESSAGE, safety_forced
from fluxweb.providers.options import ENABLE_SAFETY_CHECKER
from fluxweb.providers.registry import get_registry

SIZE = re.compile(r"^(\d{1,5})x(\d{1,5})$")
RESPONSE_FORMATS = ("url", "b64_json")
# Form field → the API parameter it came from.
PARAMS = {"width": "size", "height": "size", "num_images": "n"}
# "team": charge a team's budget (its name) instead of the caller's own. The provider
# options (fluxweb.providers.options) apply to the models that take them.
EXTENSIONS = (
    "num_inference_steps",
    "seed",
    "guidance_scale",
    "negative_prompt",
    "team",
    "sampler_name",
    "scheduler",
    "denoise",
)


class InvalidParameter(Exception):
    """A request the API refuses with HTTP ``status`` (400 unless said otherwise);
    ``param`` names the offending field, ``code`` is OpenAI's error code if it has one."""

    def __init__(
        self, message: str, param: str | None, *, status: int = 400, code: str | None = None
    ) -> None:
        super().__init__(message)
        self.message, self.param, self.status, self.code = message, param, status, code


def parse_json(body: bytes) -> Any:
    """The JSON value in a request ``body`` (UTF-8). Raises :class:`InvalidParameter` when
    it is not JSON, is nested deeper than the parser allows, or holds a string that is not
    valid Unicode (a lone surrogate such as ``"\\ud800"``, which no database can store)."""
    try:
        value = json.loads(body)
    except RecursionError:
        raise InvalidParameter("The request body is nested too deeply.", None) from None
    except ValueError:  # UnicodeDecodeError included
        raise InvalidParameter("The request body is not valid JSON.", None) from None
    if isinstance(value, dict):
        for name, item in value.items():
            if isinstance(item, str) and not _is_unicode(item):
                raise InvalidParameter(f"'{name}' is not valid Unicode text.", name)
    return value


def _is_unicode(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


@dataclass(frozen=True)
class ImagesRequest:
    """A validated request: the form's cleaned data plus how to return the images."""

    cleaned_data: dict[str, Any]
    response_format: str


def parse_images_request(body: Any) -> ImagesRequest:
    """Validate an ``/v1/images/generations`` JSON body (as :func:`parse_json` read it).
    Raises :class:`InvalidParameter`: status 404 ``model_not_found`` for a model that is
    not enabled, 400 for anything else."""
    if not isinstance(body, dict):
        raise InvalidParameter("The request body must be a JSON object.", None)
    for required in ("model", "prompt"):
        if not isinstance(body.get(required), str):
            raise InvalidParameter(f"'{required}' is required and must be a string.", required)
    if body["model"] not in get_registry().models:
        # OpenAI answers an unknown model with 404 model_not_found; so do we.
        raise InvalidParameter(
            f"The model '{body['model'][:100]}' does not exist or is not enabled; "
            "GET /v1/models lists them.",
            "model",
            status=404,
            code="model_not_found",
        )
    response_format = body.get("response_format") or "url"
    if response_format not in RESPONSE_FORMATS:
        raise InvalidParameter("'response_format' must be 'url' or 'b64_json'.", "response_format")
    size = body.get("size") or "1024x1024"
    match = SIZE.match(size) if isinstance(size, str) else None
    if not match:
        raise InvalidParameter(
            "'size' must look like '1024x768' (width x height in pixels).", "size"
        )
    n = body.get("n", 1)
    if n is None:
        n = 1
    if not isinstance(n, int) or isinstance(n, bool):
        raise InvalidParameter("'n' must be an integer.", "n")
    data: dict[str, Any] = {
        "model": body["model"],
        "prompt": body["prompt"],
        "width": match.group(1),
        "height": match.group(2),
        "num_images": n,
    }
    for name in EXTENSIONS:
        value = body.get(name)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise InvalidParameter(f"'{name}' has the wrong type.", name)
        data[name] = value
    data[ENABLE_SAFETY_CHECKER.name] = _safety_checker(body, body["model"])
    form = GenerationForm(data)
    if not form.is_valid():
        field, errors = next(iter(form.errors.items()))
        param = None if field == "__all__" else PARAMS.get(field, field)
        raise InvalidParameter(" ".join(str(e) for e in errors), param)
    return ImagesRequest(form.cleaned_data, response_format)


def _safety_checker(body: dict[str, Any], model: str) -> bool:
    """``enable_safety_checker`` as sent (a boolean; omitted = the documented default, on).
    Raises :class:`InvalidParameter` for another type, or for ``false`` on a model that has
    the checker while an admin forces it on."""
    name = ENABLE_SAFETY_CHECKER.name
    value = body.get(name)
    if value is None:
        return bool(ENABLE_SAFETY_CHECKER.default)
    if not isinstance(value, bool):
        raise InvalidParameter(f"'{name}' must be true or false.", name)
    if not value and name in get_registry().models[model].options and safety_forced():
        raise InvalidParameter(FORCED_MESSAGE, name)
    return value
