"""Admin for import jobs: records the runner keeps, never edited; from a job's page an administrator
downloads the full error report (ID numbers masked, or in full through the logged reader), the stored
file while the retention rule keeps it (every ID number in it logged as read), and cancels the job."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from core.exceptions import ApplicationError
from core.states import Actor
from imports.models import IMPORT_FINISHED_STATES, ImportJob
from imports.reports import error_report_full_id_lines, error_report_lines, stored_file_download
from imports.selectors import import_errors
from imports.services import import_cancel
from insurance.admin.base import ReadOnlyAdminMixin, RegistryAdmin


@admin.register(ImportJob)
class ImportJobAdmin(ReadOnlyAdminMixin, RegistryAdmin):
    """Batch import jobs as the runner left them; uploads and re-runs go through the API."""

    scope_province_field = "province"

    list_display = (
        "id", "kind", "province", "state", "rows_total", "rows_accepted", "rows_rejected", "dry_run",
        "uploaded_by", "created_at", "finished_at",
    )  # fmt: skip
    list_filter = ("state", "kind", "province", "dry_run")
    list_select_related = ("province", "uploaded_by")
    search_fields = ("=file_sha256", "file_name")
    actions = ["cancel_jobs"]

    # The stored file is encrypted, and served by `file_view` (logged), never as a media link.
    exclude = ("file",)

    def get_readonly_fields(self, request, obj=None):
        fields = [name for name in super().get_readonly_fields(request, obj) if name != "file"]
        return [*fields, "downloads", "first_row_errors"]

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<int:job_id>/file/", view(self.file_view), name="imports_importjob_file"),
            path("<int:job_id>/errors.csv", view(self.errors_view), name="imports_importjob_errors"),
            path(
                "<int:job_id>/errors-full-id.csv",
                view(self.errors_full_id_view),
                name="imports_importjob_errors_full_id",
            ),
            path(
                "<int:job_id>/cancel/", view(require_POST(self.cancel_view)), name="imports_importjob_cancel"
            ),
            *super().get_urls(),
        ]

    def _job(self, request: HttpRequest, job_id: int) -> ImportJob:
        job = get_object_or_404(self.get_queryset(request), pk=job_id)
        if not self.has_view_permission(request, job):
            raise PermissionDenied
        return job

    def _change_page(self, job: ImportJob) -> HttpResponseRedirect:
        return HttpResponseRedirect(reverse("admin:imports_importjob_change", args=[job.pk]))

    def file_view(self, request: HttpRequest, job_id: int) -> HttpResponse:
        job = self._job(request, job_id)
        try:
            blocks, suffix = stored_file_download(job=job, reader=request.user, endpoint=request.path)
        except ApplicationError as refusal:
            self.message_user(request, refusal.message, messages.ERROR)
            return self._change_page(job)
        response = StreamingHttpResponse(blocks, content_type="application/octet-stream")
        response["Content-Disposition"] = f'attachment; filename="import-{job.pk}.{suffix}"'
        return response

    def errors_view(self, request: HttpRequest, job_id: int) -> HttpResponse:
        job = self._job(request, job_id)
        lines = error_report_lines(job=job, errors=import_errors(job=job))
        return _csv(lines, f"import-{job.pk}-errors.csv")

    def errors_full_id_view(self, request: HttpRequest, job_id: int) -> HttpResponse:
        job = self._job(request, job_id)
        lines = error_report_full_id_lines(
            job=job, errors=import_errors(job=job), reader=request.user, endpoint=request.path
        )
        return _csv(lines, f"import-{job.pk}-errors-full-id.csv")

    def cancel_view(self, request: HttpRequest, job_id: int) -> HttpResponse:
        job = self._job(request, job_id)
        self._cancel(request, job)
        return self._change_page(job)

    def _cancel(self, request: HttpRequest, job: ImportJob) -> None:
        try:
            import_cancel(job=job, actor=Actor.admin(request.user))
        except ApplicationError as refusal:
            self.message_user(
                request, _("Job %(job)s: %(why)s") % {"job": job.pk, "why": refusal.message}, messages.ERROR
            )
        else:
            self.message_user(request, _("Job %(job)s: cancelled.") % {"job": job.pk}, messages.SUCCESS)

    @admin.action(
        description=gettext_lazy("Cancel the selected jobs (a running one stops before its next chunk)")
    )
    def cancel_jobs(self, request: HttpRequest, queryset) -> None:
        for job in queryset.order_by("pk"):
            self._cancel(request, job)

    @admin.display(description=gettext_lazy("Downloads and actions"))
    def downloads(self, job: ImportJob) -> str:
        links = [
            (reverse("admin:imports_importjob_errors", args=[job.pk]), _("Error report (ID numbers masked)")),
            (
                reverse("admin:imports_importjob_errors_full_id", args=[job.pk]),
                _("Error report with full ID numbers (each read is logged)"),
            ),
        ]
        if job.file:
            links.append(
                (
                    reverse("admin:imports_importjob_file", args=[job.pk]),
                    _("Stored file (every ID number in it is logged as read)"),
                )
            )
        rendered = format_html_join(mark_safe("<br>"), '<a href="{}">{}</a>', links)
        if not job.file:
            rendered += format_html(
                "<br>{} {}",
                _("The stored file was deleted by the retention rule:"),
                job.file_deleted_at or "-",
            )
        if job.state not in IMPORT_FINISHED_STATES:
            # The page is one form already (with its CSRF token): the button posts it to the cancel view.
            rendered += format_html(
                '<br><button type="submit" formmethod="post" formaction="{}">{}</button>',
                reverse("admin:imports_importjob_cancel", args=[job.pk]),
                _("Cancel this job"),
            )
        return rendered

    @admin.display(description=gettext_lazy("First row errors (the full report is downloaded above)"))
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


def _csv(lines, name: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
