from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


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
    verbose_name = _("Shared kernel")

    def ready(self) -> None:
        from core import checks  # noqa: F401 - registers the system checks

        # Every app's models are loaded before any app is ready.
        from core.translations import model_labels_translate

        model_labels_translate()
        post_migrate.connect(_record_identity_keys, sender=self)
