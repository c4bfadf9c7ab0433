"""Import a provincial batch file from the command line: the same checks and writers as the API."""

from pathlib import Path

from django.core.files import File
from django.core.management.base import BaseCommand, CommandError

from accounts.models import Role, User
from core.exceptions import ApplicationError
from imports.models import ImportKind
from imports.services import import_job_run, import_upload
from imports.tuning import interpreter_tune, memory_limit_apply


class Command(BaseCommand):
    help = "Import a CSV or XLSX batch file for a province, showing progress."

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path)
        parser.add_argument("--kind", required=True, choices=ImportKind.values)
        parser.add_argument("--province", required=True, help="Two-digit province code.")
        parser.add_argument(
            "--as-user",
            help="The agency user recorded as uploader (default: the province's first agency system).",
        )
        parser.add_argument("--dry-run", action="store_true", help="Validate everything, write nothing.")
        parser.add_argument("--expected-rows", type=int)

    def handle(self, *args, path: Path, kind, province, as_user, dry_run, expected_rows, **options):
        # The job runs in this process, as it would in a worker: the same tuning and memory ceiling.
        interpreter_tune()
        memory_limit_apply()
        user = self._uploader(as_user, province)
        if not path.is_file():
            raise CommandError(f"{path} is not a file.")
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
            raise CommandError(f"{refusal.code}: {refusal.message}") from None
        if not created:
            self.stdout.write(f"This file was already imported as job {job.pk} ({job.state}).")
        job = import_job_run(job_id=job.pk, progress=self._progress)
        self.stdout.write("")
        self.stdout.write(
            f"Job {job.pk} {job.state}: {job.rows_accepted} rows accepted, {job.rows_rejected} rejected"
            + (f" ({job.failure_code}: {job.failure_message})" if job.failure_code else "")
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
                "No such active uploader: create an agency system for the province or pass --as-user."
            )
        return user

    def _progress(self, job) -> None:
        done = job.rows_processed / job.rows_total if job.rows_total else 1
        bar = "#" * int(done * 40)
        self.stdout.write(
            f"\r[{bar:<40}] {done:6.1%} {job.rows_processed:,}/{job.rows_total:,} rows, "
            f"{job.rows_rejected:,} rejected",
            ending="",
        )
        self.stdout.flush()
