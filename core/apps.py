from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = _("Shared kernel")

    def ready(self) -> None:
        # Every app's models are loaded before any app is ready.
        from core.translations import model_labels_translate

        model_labels_translate()
