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


class ImportState(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")


IMPORT_FINISHED_STATES = (ImportState.SUCCEEDED, ImportState.FAILED, ImportState.CANCELLED)


class ImportJob(models.Model):
    """A provincial batch file and its processing. The same file (content hash, kind, province) uploaded
    again returns the first job; chunks commit with their marker, so a re-run after a crash resumes."""

    kind = models.CharField(max_length=16, choices=ImportKind.choices)
    province = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    file = models.FileField(upload_to="imports/")
    file_name = models.CharField(max_length=255)
    file_sha256 = models.CharField(max_length=64)
    dry_run = models.BooleanField(default=False)
    expected_rows = models.PositiveIntegerField(null=True, blank=True)
    state = models.CharField(max_length=10, choices=ImportState.choices, default=ImportState.QUEUED)
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
    heartbeat_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["province", "kind", "file_sha256"],
                condition=Q(dry_run=False),
                name="one_import_per_file",
            ),
            models.CheckConstraint(
                name="import_counts_consistent",
                condition=Q(rows_processed__gte=F("rows_accepted") + F("rows_rejected")),
            ),
        ]
        indexes = [models.Index(fields=["state", "heartbeat_at"])]

    def __str__(self) -> str:
        return f"import {self.pk} {self.kind} {self.province_id} ({self.state})"


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

    class Meta:
        indexes = [models.Index(fields=["job", "row"])]

    def __str__(self) -> str:
        return f"import {self.job_id} row {self.row}: {self.code}"
