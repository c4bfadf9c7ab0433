from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Demo data for local runs and benchmarks (`manage.py seed_demo`). Development only: the settings
    install it outside production, and no domain app imports it."""

    name = "demo"
    verbose_name = "Demo data (development only)"
