"""Thin views of the pension certification API: parse with a serializer, call one service or selector,
render."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import status
from rest_framework.generics import ListAPIView
from rest_framework.pagination import CursorPagination
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import IsAgencyStaff, IsAgencyUser, IsCitizen
from accounts.scope import Scope
from certification import selectors
from certification.serializers import (
    CONSENT_TEXT,
    AwardStatusSerializer,
    CertificationSerializer,
    FaceJobRequestSerializer,
    FaceJobSerializer,
    OverdueAwardSerializer,
    RecoveryCaseSerializer,
    StaffCertificationSerializer,
)
from certification.services.certifications import CertificationInput, award_certify_by_staff, award_due_date
from certification.services.faces import face_job_start
from certification.tasks import face_job_run
from core.pagination import ClientPageSize
from core.schema import error_codes
from core.states import Actor

_SELFIE_CODES = ("selfie_too_large", "selfie_format", "selfie_too_many_pixels", "face_consent_required")


class MyPensionApi(APIView):
    permission_classes = [IsCitizen]
    answers_not_found = True  # a citizen with no pension in payment (core.schema)

    @extend_schema(
        summary="My pension: status, due date and certification history", responses=AwardStatusSerializer
    )
    def get(self, request):
        award = selectors.award_of_citizen(scope=Scope.of(request.user))
        award.due_date = award_due_date(award=award)
        award.history = list(selectors.certifications_of(award=award))
        return Response(AwardStatusSerializer(award).data)


class MyFaceJobsApi(APIView):
    permission_classes = [IsCitizen]
    answers_not_found = True  # a citizen with no pension in payment (core.schema)
    parser_classes = [MultiPartParser]

    @extend_schema(
        summary="Start a face certification with a selfie (multipart); poll the job it answers with",
        request={"multipart/form-data": FaceJobRequestSerializer},
        responses={202: FaceJobSerializer},
        examples=[
            OpenApiExample(
                "example",
                value={"method": "face_self", "selfie": "(a JPEG or PNG file)", "consent": True},
                request_only=True,
                media_type="multipart/form-data",
            )
        ],
        extensions=error_codes(*_SELFIE_CODES, "certification_award_stopped"),
    )
    def post(self, request):
        body = FaceJobRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        award = selectors.award_of_citizen(scope=Scope.of(request.user))
        with transaction.atomic():
            job = face_job_start(
                award=award,
                method=data["method"],
                selfie=data["selfie"].read(settings.SELFIE_MAX_BYTES + 1),
                consent_text=CONSENT_TEXT if data["consent"] else "",
                actor=Actor.api(request.user),
            )
            transaction.on_commit(lambda: face_job_run.delay(job.pk))
        return Response(FaceJobSerializer(job).data, status=status.HTTP_202_ACCEPTED)


class MyFaceJobApi(APIView):
    permission_classes = [IsCitizen]

    @extend_schema(summary="Poll a face certification job", responses=FaceJobSerializer)
    def get(self, request, job_id: int):
        return Response(
            FaceJobSerializer(selectors.face_job_of_citizen(scope=Scope.of(request.user), job_id=job_id)).data
        )


class StaffCertificationApi(APIView):
    permission_classes = [IsAgencyStaff]

    @extend_schema(
        summary="Record an on-site, home-visit or consular certification of a pensioner of any province",
        request=StaffCertificationSerializer,
        responses={201: CertificationSerializer},
        examples=[
            OpenApiExample(
                "example",
                value={
                    "id_number": "11010519491231002X",
                    "method": "on_site",
                    "certified_on": "2025-03-10",
                    "place": "Community point 12, Tianhe",
                    "evidence": "ID card checked",
                },
                request_only=True,
            )
        ],
        extensions=error_codes(
            "certification_method_invalid",
            "certification_date_future",
            "certification_award_stopped",
            "certification_home_visit_not_resident",
            "certification_consular_not_paying_province",
            "not_found",
        ),
    )
    def post(self, request):
        body = StaffCertificationSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        award = selectors.award_for_certification(
            reader=request.user, id_number=data["id_number"], endpoint=request.path
        )
        recorded = award_certify_by_staff(
            award=award,
            certification=CertificationInput(
                method=data["method"],
                certified_on=data["certified_on"],
                place_province_id=request.user.province_id,
                place=data["place"],
                evidence=data["evidence"],
            ),
            staff_province_id=request.user.province_id,
            actor=Actor.api(request.user),
        )
        return Response(CertificationSerializer(recorded).data, status=status.HTTP_201_CREATED)


class OldestFirst(ClientPageSize, CursorPagination):
    ordering = ("last_certified_on", "id")
    page_size = 50


class OverdueAwardsApi(ListAPIView):
    """The paying province's pensions suspended for overdue certification, longest overdue first."""

    permission_classes = [IsAgencyUser]
    serializer_class = OverdueAwardSerializer
    pagination_class = OldestFirst

    def get_queryset(self):
        return selectors.awards_overdue_of_province(scope=Scope.of(self.request.user))

    @extend_schema(summary="My province's pensions suspended for overdue certification")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class NewestFirst(ClientPageSize, CursorPagination):
    ordering = ("-created_at", "-id")
    page_size = 50


class RecoveryCasesApi(ListAPIView):
    """The paying province's recovery cases of pension overpaid after a death, newest first."""

    permission_classes = [IsAgencyUser]
    serializer_class = RecoveryCaseSerializer
    pagination_class = NewestFirst

    def get_queryset(self):
        return selectors.recovery_cases_of_province(scope=Scope.of(self.request.user))

    @extend_schema(summary="My province's recovery cases of pension overpaid after a death")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)
