"""Batch import endpoints for agency staff and agency systems."""

from __future__ import annotations

from django.http import HttpResponse, StreamingHttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import IsAgencyUser
from accounts.scope import Scope
from core.exceptions import NotFoundError
from core.idempotency import idempotent
from core.pagination import ClientPageSize
from core.schema import error_codes
from core.states import Actor
from imports.kinds import KINDS, kind_columns_doc, kind_example_bytes
from imports.models import ImportJob, ImportKind, ImportRowError, ImportState
from imports.reports import error_report_full_id_lines, error_report_lines
from imports.selectors import import_error_counts, import_errors, import_job_get, import_jobs_visible
from imports.services import import_cancel, import_rerun, import_upload
from imports.uploads import EncryptingMultiPartParser


class ImportJobSerializer(serializers.ModelSerializer):
    province = serializers.CharField(
        source="province_id", read_only=True, help_text="The province (2 digits) it is for."
    )
    progress_percent = serializers.SerializerMethodField(
        help_text="Rows processed, as a percentage of the rows to process."
    )
    file_kept = serializers.SerializerMethodField(
        help_text="The stored file is still kept (encrypted): the job can be resumed or run again."
    )

    class Meta:
        model = ImportJob
        fields = [
            "id", "kind", "province", "file_name", "file_sha256", "dry_run", "attempt", "expected_rows",
            "state", "rows_total", "rows_processed", "rows_accepted", "rows_rejected", "progress_percent",
            "cancel_requested", "failure_code", "failure_message", "created_at", "started_at", "finished_at",
            "file_kept", "file_deleted_at",
        ]  # fmt: skip
        read_only_fields = fields
        extra_kwargs = {
            "id": {"help_text": "The job's id."},
            "kind": {"help_text": "What the file holds."},
            "file_name": {"help_text": "The uploaded file's name."},
            "file_sha256": {"help_text": "SHA-256 of the file: the same file is one job."},
            "dry_run": {"help_text": "Validated only; nothing written."},
            "expected_rows": {"help_text": "The row count the uploader declared."},
            "attempt": {"help_text": "How many times the file has run: 1, then one more per re-run."},
            "state": {
                "help_text": (
                    "Where the job is: queued, running, succeeded, completed_with_errors (some rows "
                    "rejected), failed (every row rejected, or the file refused) or cancelled."
                )
            },
            "rows_total": {"help_text": "Data rows in the file, once counted."},
            "rows_processed": {"help_text": "Rows read so far."},
            "rows_accepted": {"help_text": "Rows written (or, in a dry run, that would be)."},
            "rows_rejected": {"help_text": "Rows refused, each with its errors."},
            "cancel_requested": {"help_text": "A cancellation was asked for."},
            "failure_code": {"help_text": "Why the job failed, as a stable code."},
            "failure_message": {"help_text": "Why the job failed."},
            "created_at": {"help_text": "When the file was uploaded."},
            "started_at": {"help_text": "When a worker started the job."},
            "finished_at": {"help_text": "When the job ended."},
            "file_deleted_at": {"help_text": "When the retention rule deleted the stored file."},
        }

    def get_file_kept(self, job: ImportJob) -> bool:
        return bool(job.file)

    def get_progress_percent(self, job: ImportJob) -> float:
        if job.rows_total == 0:
            return 100.0 if job.finished_at else 0.0
        return round(100 * job.rows_processed / job.rows_total, 1)


class ImportUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="CSV (UTF-8, with or without BOM, or GB18030) or XLSX.")
    kind = serializers.ChoiceField(ImportKind.choices, help_text="What the file holds (see /imports/kinds).")
    province = serializers.RegexField(
        r"^\d{2}$", required=False, help_text="Defaults to the uploader's own province, the only one allowed."
    )
    dry_run = serializers.BooleanField(default=False, help_text="Validate the whole file and write nothing.")
    expected_rows = serializers.IntegerField(
        required=False,
        min_value=1,
        help_text="The number of data rows the file declares; a mismatch is refused.",
    )


class ImportJobFilterSerializer(serializers.Serializer):
    state = serializers.ChoiceField(ImportState.choices, required=False, help_text="Only jobs in this state.")
    kind = serializers.ChoiceField(ImportKind.choices, required=False, help_text="Only jobs of this kind.")
    page_size = serializers.IntegerField(
        required=False, min_value=1, max_value=1000, help_text="Jobs per page (default 50, at most 1000)."
    )


class RowErrorSerializer(serializers.ModelSerializer):
    values = serializers.ListField(
        child=serializers.CharField(allow_blank=True),
        read_only=True,
        help_text="The row's cells as the file held them, in the order of its header; the ID number masked.",
    )

    class Meta:
        model = ImportRowError
        fields = ["row", "column", "code", "message", "values"]
        read_only_fields = fields
        extra_kwargs = {
            "row": {"help_text": "The row's number in the file, the header being row 1."},
            "column": {"help_text": "The column concerned, if one."},
            "code": {"help_text": "A stable code, the same as the API's for the same refusal."},
            "message": {"help_text": "What is wrong."},
        }


class RowErrorFilterSerializer(serializers.Serializer):
    code = serializers.CharField(required=False, max_length=64, help_text="Only the errors with this code.")
    page_size = serializers.IntegerField(
        required=False, min_value=1, max_value=1000, help_text="Errors per page (default 100, at most 1000)."
    )


class ErrorCountSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="An error code of the job's rows.")
    count = serializers.IntegerField(help_text="How many row errors have this code.")


class ColumnSerializer(serializers.Serializer):
    name = serializers.CharField(help_text="The column's header.")
    required = serializers.BooleanField(help_text="Whether every row gives a value.")
    description = serializers.CharField(help_text="What the column holds, and in which form.")


class KindSerializer(serializers.Serializer):
    kind = serializers.CharField(help_text="The kind's name, as uploaded.")
    description = serializers.CharField(help_text="What a file of this kind does.")
    columns = ColumnSerializer(many=True, help_text="The columns of a file of this kind, in order.")


class NewestJobsFirst(ClientPageSize, CursorPagination):
    ordering = ("-created_at", "-id")
    page_size = 50
    max_page_size = 1000


class ImportJobsApi(ListAPIView):
    """The jobs of my province: their list (GET) and a new upload (POST)."""

    permission_classes = [IsAgencyUser]
    # The file is encrypted as it arrives (imports.uploads): no plain temporary copy.
    parser_classes = [EncryptingMultiPartParser]
    serializer_class = ImportJobSerializer
    pagination_class = NewestJobsFirst
    filter_backends: list = []

    @extend_schema(
        summary="The import jobs of my province, newest first, by state and kind",
        parameters=[ImportJobFilterSerializer],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        query = ImportJobFilterSerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        return import_jobs_visible(
            user=self.request.user,
            state=query.validated_data.get("state"),
            kind=query.validated_data.get("kind"),
        )

    @extend_schema(
        summary="Upload a batch file for my province: 202 with a new job, 200 with the same file's job",
        request={"multipart/form-data": ImportUploadSerializer},
        examples=[
            OpenApiExample(
                "A contributions file, validated only",
                value={"kind": "contributions", "file": "contributions.csv", "dry_run": True},
                request_only=True,
                media_type="multipart/form-data",
            )
        ],
        responses={202: ImportJobSerializer, 200: ImportJobSerializer},
        extensions=error_codes(
            "province_out_of_scope",
            "file_too_large",
            "file_not_csv_or_xlsx",
            "file_encoding",
            "file_empty",
            "file_header",
            "file_archive_limit",
        ),
    )
    @idempotent
    def post(self, request):
        body = ImportUploadSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        job, created = import_upload(
            user=request.user,
            kind=data["kind"],
            province_id=data.get("province") or Scope.of(request.user).province_code,
            uploaded=data["file"],
            dry_run=data["dry_run"],
            expected_rows=data.get("expected_rows"),
        )
        return Response(
            ImportJobSerializer(job).data, status=status.HTTP_202_ACCEPTED if created else status.HTTP_200_OK
        )


class ImportJobApi(APIView):
    permission_classes = [IsAgencyUser]

    @extend_schema(summary="An import job's state and progress", responses=ImportJobSerializer)
    def get(self, request, job_id: int):
        return Response(ImportJobSerializer(import_job_get(user=request.user, job_id=job_id)).data)


class ImportRerunApi(APIView):
    permission_classes = [IsAgencyUser]

    @extend_schema(
        summary="Run a finished file again on purpose, as a new job (an identical upload does not)",
        request=None,
        responses={202: ImportJobSerializer},
        extensions=error_codes("import_not_finished", "import_file_deleted"),
    )
    def post(self, request, job_id: int):
        job = import_rerun(
            job=import_job_get(user=request.user, job_id=job_id), actor=Actor.api(request.user)
        )
        return Response(ImportJobSerializer(job).data, status=status.HTTP_202_ACCEPTED)


class ImportCancelApi(APIView):
    permission_classes = [IsAgencyUser]

    @extend_schema(
        summary="Cancel a queued or running import job",
        request=None,
        responses=ImportJobSerializer,
        extensions=error_codes("import_already_finished"),
    )
    def post(self, request, job_id: int):
        job = import_cancel(
            job=import_job_get(user=request.user, job_id=job_id), actor=Actor.api(request.user)
        )
        return Response(ImportJobSerializer(job).data)


class ByRow(ClientPageSize, CursorPagination):
    ordering = ("row", "id")
    page_size = 100
    max_page_size = 1000


class ImportErrorsApi(ListAPIView):
    permission_classes = [IsAgencyUser]
    serializer_class = RowErrorSerializer
    pagination_class = ByRow
    filter_backends: list = []

    @extend_schema(summary="An import job's row errors, by code", parameters=[RowErrorFilterSerializer])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        query = RowErrorFilterSerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        job = import_job_get(user=self.request.user, job_id=self.kwargs["job_id"])
        return import_errors(job=job, code=query.validated_data.get("code"))


class ImportErrorCountsApi(APIView):
    permission_classes = [IsAgencyUser]

    @extend_schema(
        summary="How many row errors of each code an import job has",
        responses=ErrorCountSerializer(many=True),
    )
    def get(self, request, job_id: int):
        job = import_job_get(user=request.user, job_id=job_id)
        return Response(ErrorCountSerializer(import_error_counts(job=job), many=True).data)


def _csv_download(lines, name: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


class ImportErrorsCsvApi(APIView):
    permission_classes = [IsAgencyUser]

    @extend_schema(
        summary="An import job's row errors as CSV, with each row's cells, its ID number masked (UTF-8 with "
        "BOM; cells that a spreadsheet would run are escaped)",
        parameters=[RowErrorFilterSerializer],
        responses={(200, "text/csv"): OpenApiTypes.BINARY},
    )
    def get(self, request, job_id: int):
        query = RowErrorFilterSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        job = import_job_get(user=request.user, job_id=job_id)
        errors = import_errors(job=job, code=query.validated_data.get("code"))
        return _csv_download(error_report_lines(job=job, errors=errors), f"import-{job.pk}-errors.csv")


class ImportErrorsFullIdCsvApi(APIView):
    permission_classes = [IsAgencyUser]

    @extend_schema(
        summary="An import job's row errors as CSV with the full ID numbers: each one read is logged",
        parameters=[RowErrorFilterSerializer],
        responses={(200, "text/csv"): OpenApiTypes.BINARY},
    )
    def get(self, request, job_id: int):
        query = RowErrorFilterSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        job = import_job_get(user=request.user, job_id=job_id)
        errors = import_errors(job=job, code=query.validated_data.get("code"))
        lines = error_report_full_id_lines(job=job, errors=errors, reader=request.user, endpoint=request.path)
        return _csv_download(lines, f"import-{job.pk}-errors-full-id.csv")


class ImportKindsApi(APIView):
    permission_classes = [IsAgencyUser]

    @extend_schema(summary="The file kinds and their documented columns", responses=KindSerializer(many=True))
    def get(self, request):
        return Response(
            KindSerializer(
                [
                    {
                        "kind": kind,
                        "description": str(KINDS[kind].description),
                        "columns": kind_columns_doc(kind),
                    }
                    for kind in KINDS
                ],
                many=True,
            ).data
        )


class ImportExampleApi(APIView):
    permission_classes = [IsAgencyUser]

    @extend_schema(
        summary="Download an example file of a kind",
        parameters=[OpenApiParameter("kind", enum=ImportKind.values, location=OpenApiParameter.PATH)],
        responses={(200, "text/csv"): OpenApiTypes.BINARY},
    )
    def get(self, request, kind: str):
        if kind not in ImportKind.values:
            raise NotFoundError(_("No such file kind."))
        response = HttpResponse(kind_example_bytes(kind), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{kind}-example.csv"'
        return response
