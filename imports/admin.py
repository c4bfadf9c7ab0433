"""Admin for import jobs: records the runner keeps, never edited."""

from __future__ import annotations

from django.contrib import admin
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy

from imports.models import ImportJob
from insurance.admin.base import ReadOnlyAdminMixin, RegistryAdmin


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

    @admin.display(description=gettext_lazy("First row errors (the full report is the job's CSV in the API)"))
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
