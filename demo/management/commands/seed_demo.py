"""`python manage.py seed_demo --persons N [--seed S] [--years 10]`: see demo.seed."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from demo.seed import DEMO_PASSWORD, demo_seed


class Command(BaseCommand):
    help = gettext_lazy(
        "Create demo data: people across provinces with contribution histories, employers, province "
        "figures, account interest and a demo login for every role. Deterministic for a seed; re-running "
        "adds nothing twice."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--persons", type=int, required=True, help=_("How many insured persons."))
        parser.add_argument("--seed", type=int, default=1, help=_("Same seed, same people (default 1)."))
        parser.add_argument(
            "--years", type=int, default=10, help=_("Years of history per person (default 10).")
        )

    def _progress(self, message: str) -> None:
        self.stdout.write(message)
        self.stdout.flush()  # shown as it happens, also when the output goes to a file

    def handle(self, *args, persons: int, seed: int, years: int, **options) -> None:
        if persons < 1 or years < 1:
            self.stderr.write(_("--persons and --years must be at least 1."))
            raise SystemExit(2)
        report = demo_seed(persons=persons, seed=seed, years=years, progress=self._progress)
        written = report.written
        self.stdout.write(
            self.style.SUCCESS(
                _(
                    "Demo data: %(persons)s persons written (%(skipped)s already there), %(relationships)s "
                    "relationships, %(contributions)s contributions, %(interest)s interest entries, "
                    "%(employers)s employers and %(configs)s province-years created."
                )
                % {
                    "persons": f"{written.persons:,}",
                    "skipped": f"{report.skipped_persons:,}",
                    "relationships": f"{written.relationships:,}",
                    "contributions": f"{written.contributions:,}",
                    "interest": f"{report.interest_entries:,}",
                    "employers": f"{report.employers:,}",
                    "configs": f"{report.configs:,}",
                }
            )
        )
        self.stdout.write(
            "\n" + _("Demo logins (password for every one: %(password)s):") % {"password": DEMO_PASSWORD}
        )
        for login in report.logins:
            self.stdout.write(f"  {login.username:<18} {login.role:<14} {login.note}")
