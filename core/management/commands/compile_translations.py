"""Compile the project's translation catalogues with Python alone (see core.translations)."""

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.translations import translations_compile


class Command(BaseCommand):
    help = gettext_lazy(  # type: ignore[assignment]  # a lazy text, read when the help is shown
        "Compile each app's locale/*/LC_MESSAGES/django.po into its .mo (needs no GNU gettext)."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--force",
            action="store_true",
            help=_("Compile every catalogue, also those that are up to date."),
        )

    def handle(self, *args: Any, force: bool, **options: Any) -> None:
        compiled = translations_compile(force=force)
        for po_path in compiled:
            self.stdout.write(_("Compiled %(path)s") % {"path": po_path.with_suffix(".mo")})
        if not compiled:
            self.stdout.write(_("Every translation catalogue is up to date."))
