"""Make sure an admin account exists (run by bin/run and the release step)."""

from __future__ import annotations

import os
import secrets

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = (
        "Create the admin from DJANGO_SUPERUSER_USERNAME/PASSWORD/EMAIL if set and missing; "
        "otherwise, when no superuser exists, create 'admin' with a generated password and "
        "print it once."
    )

    def handle(self, *args: object, **options: object) -> None:
        User = get_user_model()
        username = os.environ.get("DJANGO_SUPERUSER_USERNAME", "")
        password = os.environ.get("DJANGO_SUPERUSER_PASSWORD", "")
        email = os.environ.get("DJANGO_SUPERUSER_EMAIL", "")
        if username and password:
            if User.objects.filter(username=username).exists():
                self.stdout.write(f"Admin account '{username}' exists.")
                return
            User.objects.create_superuser(username=username, email=email, password=password)
            self.stdout.write(
                self.style.SUCCESS(f"Created admin account '{username}' from the environment.")
            )
            return
        if User.objects.filter(is_superuser=True).exists():
            return
        password = secrets.token_urlsafe(12)
        User.objects.create_superuser(username="admin", email=email, password=password)
        self.stdout.write(
            self.style.WARNING(
                "\n  Created the admin account (shown only this once):\n"
                f"    username: admin\n    password: {password}\n"
                "  Change it at /admin/password_change/ or set DJANGO_SUPERUSER_* next time.\n"
            )
        )
