"""Print a new VAPID private key for web push: put it in REHAB_VAPID_PRIVATE_KEY (and keep it:
a new key makes every browser subscribe again)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from patients.notifications.push import new_private_key


class Command(BaseCommand):
    help = "Make a VAPID key pair for web push and print the environment line to set."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"REHAB_VAPID_PRIVATE_KEY={new_private_key()}")
