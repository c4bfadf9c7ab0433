"""Batch import endpoints for agency staff and agency systems."""

from __future__ import annotations

from django.http import HttpResponse, StreamingHttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.pagination import CursorPagination
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import IsAgencyUser
from accounts.scope import Scope
from core.exceptions import NotFoundError
from core.schema import error_codes
from core.states import Actor
from imports.errors import RowError, row_errors_csv_lines
from imports.kinds import KINDS, kind_columns_doc, kind_example_bytes
from imports.models import ImportJob, ImportKind, ImportRowError
from imports.selectors import import_job_get
from imports.services import import_cancel, import_upload


class ImportJobSerializer(serializers.ModelSerializer):
    province = serializers.CharField(source="province_id", read_only=True)
    progress_percent = serializers.SerializerMethodField()

    class Meta:
        model = ImportJob
        fields = [
            "id", "kind", "province", "file_name", "file_sha256", "dry_run", "expected_rows", "state",
            "rows_total", "rows_processed", "rows_accepted", "rows_rejected", "progress_percent",
            "cancel_requested", "failure_code", "failure_message", "created_at", "started_at", "finished_at",
        ]  # fmt: skip
        read_only_fields = fields

    def get_progress_percent(self, job: ImportJob) -> float:
        if job.rows_total == 0:
            return 100.0 if job.finished_at else 0.0
        return round(100 * job.rows_processed / job.rows_total, 1)


class ImportUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="CSV (UTF-8, with or without BOM, or GB18030) or XLSX.")
    kind = serializers.ChoiceField(ImportKind.choices)
    province = serializers.RegexField(
        r"^\d{2}$", required=False, help_text="Defaults to the uploader's own province, the only one allowed."
    )
    dry_run = serializers.BooleanField(default=False, help_text="Validate the whole file and write nothing.")
    expected_rows = serializers.IntegerField(
        required=False,
        min_value=1,
        help_text="The number of data rows the file declares; a mismatch is refused.",
    )


class RowErrorSerializer(serializers.ModelSerializer):
    class Meta:
        model = ImportRowError
        fields = ["row", "column", "code", "message"]
        read_only_fields = fields


class ColumnSerializer(serializers.Serializer):
    name = serializers.CharField()
    required = serializers.BooleanField()
    description = serializers.CharField()


class KindSerializer(serializers.Serializer):
    kind = serializers.CharField()
    description = serializers.CharField()
    columns = ColumnSerializer(many=True)


class ImportUploadApi(APIView):
    permission_classes = [IsAgencyUser]
    parser_classes = [MultiPartParser]

    @extend_schema(
        summary="Upload a batch file for my province: 202 with a new job, 200 with the same file's job",
        request={"multipart/form-data": ImportUploadSerializer},
        responses={202: ImportJobSerializer, 200: ImportJobSerializer},
        extensions=error_codes(
            "province_out_of_scope",
            "file_too_large",
            "file_not_csv_or_xlsx",
            "file_encoding",
            "file_empty",
            "file_header",
            "file_row_count_mismatch",
        ),
    )
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


class ByRow(CursorPagination):
    ordering = ("row", "id")
    page_size = 100


class ImportErrorsApi(ListAPIView):
    permission_classes = [IsAgencyUser]
    serializer_class = RowErrorSerializer
    pagination_class = ByRow
    filter_backends: list = []

    @extend_schema(summary="An import job's row errors")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        return import_job_get(user=self.request.user, job_id=self.kwargs["job_id"]).row_errors.all()


class ImportErrorsCsvApi(APIView):
    permission_classes = [IsAgencyUser]

    @extend_schema(
        summary="An import job's row errors as CSV (cells that a spreadsheet would run are escaped)",
        responses={(200, "text/csv"): OpenApiTypes.BINARY},
    )
    def get(self, request, job_id: int):
        job = import_job_get(user=request.user, job_id=job_id)
        errors = (
            RowError(row, column, code, message)
            for row, column, code, message in job.row_errors.order_by("row", "id")
            .values_list("row", "column", "code", "message")
            .iterator(chunk_size=5000)
        )
        response = StreamingHttpResponse(row_errors_csv_lines(errors), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="import-{job.pk}-errors.csv"'
        return response


class ImportKindsApi(APIView):
    permission_classes = [IsAgencyUser]

    @extend_schema(summary="The file kinds and their documented columns", responses=KindSerializer(many=True))
    def get(self, request):
        return Response(
            KindSerializer(
                [
                    {"kind": kind, "description": KINDS[kind].description, "columns": kind_columns_doc(kind)}
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
