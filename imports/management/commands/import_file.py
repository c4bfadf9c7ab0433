"""Import a provincial batch file from the command line: the same checks and writers as the API."""

from pathlib import Path

from django.core.files import File
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Role, User
from core.exceptions import ApplicationError
from imports.models import ImportKind
from imports.services import import_job_run, import_upload
from imports.tuning import interpreter_tune, memory_limit_apply


class Command(BaseCommand):
    help = gettext_lazy("Import a CSV or XLSX batch file for a province, showing progress.")

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path)
        parser.add_argument("--kind", required=True, choices=ImportKind.values)
        parser.add_argument("--province", required=True, help=_("Two-digit province code."))
        parser.add_argument(
            "--as-user",
            help=_("The agency user recorded as uploader (default: the province's first agency system)."),
        )
        parser.add_argument("--dry-run", action="store_true", help=_("Validate everything, write nothing."))
        parser.add_argument("--expected-rows", type=int)

    def handle(self, *args, path: Path, kind, province, as_user, dry_run, expected_rows, **options):
        # The job runs in this process, as it would in a worker: the same tuning and memory ceiling.
        interpreter_tune()
        memory_limit_apply()
        user = self._uploader(as_user, province)
        if not path.is_file():
            raise CommandError(_("%(path)s is not a file.") % {"path": path})
        try:
            with path.open("rb") as stream:
                job, created = import_upload(
                    user=user,
                    kind=kind,
                    province_id=province,
                    uploaded=File(stream, name=path.name),
                    dry_run=dry_run,
                    expected_rows=expected_rows,
                    enqueue=False,
                )
        except ApplicationError as refusal:
            raise CommandError(
                _("%(code)s: %(message)s") % {"code": refusal.code, "message": refusal.message}
            ) from None
        if not created:
            self.stdout.write(
                _("This file was already imported as job %(job)s (%(state)s).")
                % {"job": job.pk, "state": job.state}
            )
        job = import_job_run(job_id=job.pk, progress=self._progress)
        self.stdout.write("")
        figures = {
            "job": job.pk,
            "state": job.state,
            "accepted": job.rows_accepted,
            "rejected": job.rows_rejected,
            "code": job.failure_code,
            "message": job.failure_message,
        }
        self.stdout.write(
            (
                _(
                    "Job %(job)s %(state)s: %(accepted)s rows accepted, %(rejected)s rejected (%(code)s: "
                    "%(message)s)"
                )
                if job.failure_code
                else _("Job %(job)s %(state)s: %(accepted)s rows accepted, %(rejected)s rejected")
            )
            % figures
        )

    def _uploader(self, username: str | None, province: str) -> User:
        users = User.objects.filter(is_active=True)
        user = (
            users.filter(username=username).first()
            if username
            else users.filter(role=Role.AGENCY_SYSTEM, province_id=province).order_by("pk").first()
        )
        if user is None:
            raise CommandError(
                _("No such active uploader: create an agency system for the province or pass --as-user.")
            )
        return user

    def _progress(self, job) -> None:
        done = job.rows_processed / job.rows_total if job.rows_total else 1
        bar = "#" * int(done * 40)
        self.stdout.write(
            "\r"
            + _("[%(bar)s] %(done)s %(processed)s/%(total)s rows, %(rejected)s rejected")
            % {
                "bar": f"{bar:<40}",
                "done": f"{done:6.1%}",
                "processed": f"{job.rows_processed:,}",
                "total": f"{job.rows_total:,}",
                "rejected": f"{job.rows_rejected:,}",
            },
            ending="",
        )
        self.stdout.flush()
