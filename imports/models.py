"""Provincial batch files and their processing."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from core.models import Region


class ImportKind(models.TextChoices):
    PERSONS = "persons", _("Persons")
    CONTRIBUTIONS = "contributions", _("Contributions")
    ENROLMENTS = "enrolments", _("Enrolments")
    DEATHS = "deaths", _("Deaths")
    LIFE_EVIDENCE = "life_evidence", _("Life evidence")
    AWARDS = "awards", _("Pensions in payment")
    STATUS_EVIDENCE = "status_evidence", _("Imprisonment, release and disappearance")


class ImportState(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Succeeded")
    # Ran to its end, and some rows were rejected (the others written); every row rejected is `failed`.
    COMPLETED_WITH_ERRORS = "completed_with_errors", _("Completed with errors")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")


IMPORT_FINISHED_STATES = (
    ImportState.SUCCEEDED,
    ImportState.COMPLETED_WITH_ERRORS,
    ImportState.FAILED,
    ImportState.CANCELLED,
)


class ImportJob(models.Model):
    """A provincial batch file and its processing. The same file (content hash, kind, province, dry run or
    not) uploaded again returns its latest job; chunks commit with their marker, so a re-run after a crash
    resumes. A finished file is run again only on purpose, as a new attempt (`import_rerun`)."""

    kind = models.CharField(max_length=16, choices=ImportKind.choices)
    province = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # The stored upload, encrypted (imports.storage); blank once the retention rule has deleted it.
    file = models.FileField(upload_to="imports/", blank=True)
    file_deleted_at = models.DateTimeField(null=True, blank=True)
    file_name = models.CharField(max_length=255)
    file_sha256 = models.CharField(max_length=64)
    header = models.JSONField(
        default=list, help_text=_("The file's first row, as the columns of its errors.")
    )
    dry_run = models.BooleanField(default=False)
    attempt = models.PositiveSmallIntegerField(
        default=1, help_text=_("1, then one more per re-run on purpose.")
    )
    expected_rows = models.PositiveIntegerField(null=True, blank=True)
    state = models.CharField(max_length=24, choices=ImportState.choices, default=ImportState.QUEUED)
    rows_total = models.PositiveIntegerField(default=0)
    rows_processed = models.PositiveIntegerField(default=0)
    rows_accepted = models.PositiveIntegerField(default=0)
    rows_rejected = models.PositiveIntegerField(default=0)
    cancel_requested = models.BooleanField(default=False)
    failure_code = models.CharField(max_length=64, blank=True)
    failure_message = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["province", "kind", "file_sha256", "dry_run", "attempt"],
                name="one_import_per_file_and_attempt",
            ),
            models.CheckConstraint(
                name="import_counts_consistent",
                condition=Q(rows_processed__gte=F("rows_accepted") + F("rows_rejected")),
            ),
        ]
        indexes = [
            models.Index(fields=["state", "created_at"]),
            # The job list of a province, newest first.
            models.Index(fields=["province", "-created_at", "-id"], name="import_jobs_by_province"),
            # The retention rule's look-up of files to delete.
            models.Index(fields=["finished_at"], condition=~Q(file=""), name="import_files_kept"),
        ]

    def __str__(self) -> str:
        return f"import {self.pk} {self.kind} {self.province_id} ({self.state})"


class ImportJobStart(models.Model):
    """The outbox of job starts: a row says "this job is to be run", written in the same transaction as
    the job (or its move back to the queue). The relay (imports.dispatch) hands it to the broker and notes
    when; the run that takes the job's lease deletes it. So a job saved while the broker was down starts
    once the broker is back, and a job is never given to the broker twice in a row unless its message may
    have been lost (IMPORT_START_REPUBLISH_AFTER)."""

    job = models.OneToOneField(ImportJob, on_delete=models.CASCADE, primary_key=True, related_name="+")
    requested_at = models.DateTimeField()
    published_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"start of import {self.job_id}"


class ImportJobLease(models.Model):
    """Who runs a job: one row per running job, its owner (host, process, run) renewing the heartbeat
    with every chunk it commits. An owner that stops renewing for IMPORT_LEASE_SECONDS, or whose process
    on the same host is gone, loses the job to the next run."""

    job = models.OneToOneField(ImportJob, on_delete=models.CASCADE, primary_key=True, related_name="+")
    owner = models.CharField(max_length=255)
    heartbeat_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["heartbeat_at"])]

    def __str__(self) -> str:
        return f"import {self.job_id} run by {self.owner}"


class ImportChunk(models.Model):
    """Marks a chunk as written: committed in the same transaction as the chunk's rows."""

    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="chunks")
    number = models.PositiveIntegerField()
    rows = models.PositiveIntegerField()
    accepted = models.PositiveIntegerField()
    rejected = models.PositiveIntegerField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["job", "number"], name="one_marker_per_chunk")]

    def __str__(self) -> str:
        return f"import {self.job_id} chunk {self.number}"


class ImportRowError(models.Model):
    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="row_errors")
    row = models.PositiveIntegerField(help_text=_("Line of the file, the header being line 1."))
    column = models.CharField(max_length=64, blank=True)
    code = models.CharField(max_length=64)
    message = models.CharField(max_length=500)
    # The row's cells as the file held them (in the job's header order), its ID number masked; the full
    # number encrypted beside them (core.crypto), shown only through the logged full-ID reader.
    values = models.JSONField(default=list)
    id_number_ciphertext = models.TextField(blank=True)

    class Meta:
        indexes = [models.Index(fields=["job", "row"]), models.Index(fields=["job", "code", "row"])]

    def __str__(self) -> str:
        return f"import {self.job_id} row {self.row}: {self.code}"
