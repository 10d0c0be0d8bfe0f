"""Who may change which generation. Everyone logged in may see every one."""

from __future__ import annotations

from typing import Any

from fluxweb.generations.models import Generation


def is_admin(user: Any) -> bool:
    """Team admins (``is_staff``): may pin and delete anything."""
    return bool(user.is_authenticated and user.is_staff)


def can_delete(user: Any, generation: Generation) -> bool:
    """The author and admins may delete a generation."""
    return is_admin(user) or (user.is_authenticated and generation.author_id == user.pk)


def can_cancel(user: Any, generation: Generation) -> bool:
    """The author and admins may cancel a generation (while it is queued or running) and
    retry it (once it failed or was cancelled)."""
    return can_delete(user, generation)


def can_pin(user: Any) -> bool:
    return is_admin(user)
