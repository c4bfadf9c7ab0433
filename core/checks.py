"""System checks of the kernel: run by `migrate` (before it changes anything) and `check --database`."""

from __future__ import annotations

from typing import Any

from django.core.checks import CheckMessage, Error, Tags, register
from django.core.exceptions import ImproperlyConfigured
from django.db import DatabaseError


@register(Tags.database)
def identity_keys_match_the_data(
    app_configs: Any = None, databases: Any = None, **kwargs: Any
) -> list[CheckMessage]:
    """Refuses migrating (or checking) a database whose data was written with other identity keys."""
    if not databases or "default" not in databases:
        return []
    from core.keys import keys_verify

    try:
        keys_verify(record=False)
    except ImproperlyConfigured as refusal:
        return [Error(str(refusal), id="core.E001")]
    except DatabaseError:
        return []  # not reachable: migrate itself will say so
    return []
