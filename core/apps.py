from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _record_identity_keys(**signal: Any) -> None:
    """After the migrations (a new database, or the one that adds the check values): record the keys.
    Not after a `flush` (which sends the signal without a plan): the next start records them, and a
    test's serialized rows, reloaded after its flush, bring them back themselves."""
    if "plan" not in signal:
        return
    from core.keys import keys_verify

    keys_verify()


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Shared kernel"

    def ready(self) -> None:
        from core import checks  # noqa: F401 - registers the system checks

        post_migrate.connect(_record_identity_keys, sender=self)
