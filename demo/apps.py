from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    """Demo data for local runs and benchmarks (`manage.py seed_demo`). Development only: the settings
    install it outside production, and no domain app imports it."""

    name = "demo"
    verbose_name = _("Demo data (development only)")
