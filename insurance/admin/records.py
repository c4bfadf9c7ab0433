"""Admin for ID-number reads, certificates and import jobs: records the platform keeps, never edited."""

from __future__ import annotations

from django.contrib import admin
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe

from insurance.admin.base import PersonSearchMixin, ReadOnlyAdminMixin, RegistryAdmin
from insurance.models import (
    IdentityReadLog,
    ImportJob,
    ParticipationCertificate,
)


@admin.register(IdentityReadLog)
class IdentityReadLogAdmin(PersonSearchMixin, ReadOnlyAdminMixin, RegistryAdmin):
    """Who read whose full ID number, when, and through which endpoint (PIPL Art. 28)."""

    list_display = ("read_at", "reader", "person", "endpoint")
    list_filter = ("reader__role",)
    list_select_related = ("reader", "person")
    search_fields = ("=reader__username", "person__name__startswith")
    search_help_text = "A full ID number (exact), a reader's username (exact), or the beginning of a name."


@admin.register(ParticipationCertificate)
class ParticipationCertificateAdmin(PersonSearchMixin, ReadOnlyAdminMixin, RegistryAdmin):
    """Certificates as issued: their content is hashed into the copy anyone can verify, so it is never
    edited. The stored content carries the masked ID number only."""

    list_display = ("verification_code", "person", "issued_at")
    list_select_related = ("person",)
    search_fields = ("=verification_code", "person__name__startswith")
    search_help_text = "A full ID number or verification code (exact), or the beginning of a name."


@admin.register(ImportJob)
class ImportJobAdmin(ReadOnlyAdminMixin, RegistryAdmin):
    """Batch import jobs as the runner left them; uploads, cancellations and re-runs go through the API."""

    list_display = (
        "id", "kind", "province", "state", "rows_total", "rows_accepted", "rows_rejected", "dry_run",
        "uploaded_by", "created_at", "finished_at",
    )  # fmt: skip
    list_filter = ("state", "kind", "province", "dry_run")
    list_select_related = ("province", "uploaded_by")
    search_fields = ("=file_sha256", "file_name")

    def get_readonly_fields(self, request, obj=None):
        return [*super().get_readonly_fields(request, obj), "first_row_errors"]

    @admin.display(description="First row errors (the full report is the job's CSV in the API)")
    def first_row_errors(self, job: ImportJob) -> str:
        errors = job.row_errors.order_by("row", "id").values_list("row", "column", "code", "message")[:200]
        return (
            format_html_join(
                mark_safe("<br>"),
                "row {}, {}: {} - {}",
                ((row, column or "-", code, msg) for row, column, code, msg in errors),
            )
            or "-"
        )
