"""Every URL the app routes, with a concrete path to request, for tests that must cover
all of them (login required, admin closed to members, object access)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver


@dataclass(frozen=True)
class Route:
    name: str  # "namespace:name", or the route itself for unnamed ones
    path: str  # a concrete path: converters and groups filled with sample values
    has_object: bool  # the path names an object (an id in it)

    @property
    def is_admin(self) -> bool:
        return self.name.startswith("admin:")


def _sample(pattern: str) -> str:
    def group(match: re.Match[str]) -> str:
        body = match.group(1)
        return body.split("|")[0] if "|" in body else "1"

    path = re.sub(r"<(?:\w+:)?\w+>", "1", pattern)  # path converters
    path = re.sub(r"\(\?P<\w+>([^)]*)\)", group, path)  # regex groups
    return "/" + path.replace("^", "").replace("$", "")


def routes() -> Iterator[Route]:
    """Every routed URL in the project's URLconf."""

    def walk(resolver: URLResolver, prefix: str, namespace: str) -> Iterator[Route]:
        for entry in resolver.url_patterns:
            if isinstance(entry, URLResolver):
                inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
                yield from walk(entry, prefix + str(entry.pattern), inner)
            elif isinstance(entry, URLPattern):
                pattern = prefix + str(entry.pattern)
                name = f"{namespace}{entry.name}" if entry.name else f"{namespace}{pattern}"
                yield Route(name, _sample(pattern), bool(re.search(r"<|\(\?P", str(entry.pattern))))

    yield from walk(get_resolver(), "", "")
