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
from certification.models import SurvivorClaim
from certification.serializers import (
    CONSENT_TEXT,
    AwardStatusSerializer,
    CertificationSerializer,
    ClaimRejectSerializer,
    FaceJobRequestSerializer,
    FaceJobSerializer,
    OverdueAwardSerializer,
    RecoveryCaseSerializer,
    StaffCertificationSerializer,
    SurvivorClaimDetailSerializer,
    SurvivorClaimFilterSerializer,
    SurvivorClaimSerializer,
    SurvivorDetailsSerializer,
)
from certification.services.certifications import CertificationInput, award_certify_by_staff, award_due_date
from certification.services.faces import face_job_start
from certification.services.survivors import (
    SurvivorDetails,
    survivors_claim_check,
    survivors_claim_pay,
    survivors_claim_reject,
    survivors_claim_submit,
)
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


def _claim_detail(claim: SurvivorClaim) -> Response:
    claim.history = list(selectors.survivors_claim_history(claim=claim))
    claim.payments = list(selectors.survivors_claim_entries(claim=claim))
    return Response(SurvivorClaimDetailSerializer(claim).data)


@extend_schema(
    summary="My province's survivors' claims, newest first",
    description="Opened by each death of a pensioner the province pays (recorded through the API or a "
    "`deaths` batch file alike).",
    parameters=[SurvivorClaimFilterSerializer],
)
class SurvivorClaimsApi(ListAPIView):
    permission_classes = [IsAgencyUser]
    serializer_class = SurvivorClaimSerializer
    pagination_class = NewestFirst
    filter_backends: list = []

    def get_queryset(self):
        query = SurvivorClaimFilterSerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        return selectors.survivors_claims_of_province(
            scope=Scope.of(self.request.user), status=query.validated_data.get("status")
        )


class SurvivorClaimApi(APIView):
    permission_classes = [IsAgencyUser]

    @extend_schema(
        summary="A survivors' claim of my province: amounts, survivor (masked), history and payments",
        responses=SurvivorClaimDetailSerializer,
    )
    def get(self, request, claim_id: int):
        return _claim_detail(selectors.survivors_claim_get(scope=Scope.of(request.user), claim_id=claim_id))


class SurvivorClaimSubmitApi(APIView):
    permission_classes = [IsAgencyStaff]

    @extend_schema(
        summary="Give the survivor's details: name, relationship, ID number and bank account",
        request=SurvivorDetailsSerializer,
        responses=SurvivorClaimDetailSerializer,
        examples=[
            OpenApiExample(
                "example",
                value={
                    "name": "王芳",
                    "relationship": "spouse",
                    "id_number": "11010519491231002X",
                    "bank_name": "中国工商银行",
                    "bank_account": "6222020200112233445",
                },
                request_only=True,
            )
        ],
        extensions=error_codes(
            "survivors_claim_not_in_step",
            "survivors_claim_details_invalid",
            "survivors_claim_survivor_deceased",
            "card_bank_account_format",
        ),
    )
    def post(self, request, claim_id: int):
        body = SurvivorDetailsSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        claim = selectors.survivors_claim_get(scope=Scope.of(request.user), claim_id=claim_id)
        return _claim_detail(
            survivors_claim_submit(
                claim=claim,
                survivor=SurvivorDetails(
                    name=data["name"],
                    relationship=data["relationship"],
                    id_number=data["id_number"],
                    bank_name=data["bank_name"],
                    bank_account=data["bank_account"],
                ),
                actor=Actor.api(request.user),
            )
        )


class _SurvivorClaimMoveApi(APIView):
    """A move of a claim that takes nothing more than who makes it."""

    permission_classes = [IsAgencyStaff]
    move = staticmethod(survivors_claim_check)

    def post(self, request, claim_id: int):
        claim = selectors.survivors_claim_get(scope=Scope.of(request.user), claim_id=claim_id)
        return _claim_detail(type(self).move(claim=claim, actor=Actor.api(request.user)))


@extend_schema(
    summary="Record that the survivor's details were checked (by another clerk than the submitter)",
    request=None,
    responses=SurvivorClaimDetailSerializer,
    extensions=error_codes("survivors_claim_not_in_step", "survivors_claim_check_same_person"),
)
class SurvivorClaimCheckApi(_SurvivorClaimMoveApi):
    move = staticmethod(survivors_claim_check)


@extend_schema(
    summary="Pay a checked claim: the overpaid pension is offset first, the rest paid to the survivor",
    description="Idempotent: a claim already paid is answered as it is, and nothing is paid again.",
    request=None,
    responses=SurvivorClaimDetailSerializer,
    extensions=error_codes("survivors_claim_not_in_step"),
)
class SurvivorClaimPayApi(_SurvivorClaimMoveApi):
    move = staticmethod(survivors_claim_pay)


class SurvivorClaimRejectApi(APIView):
    permission_classes = [IsAgencyStaff]

    @extend_schema(
        summary="Reject a claim not yet paid, with the written reason",
        request=ClaimRejectSerializer,
        responses=SurvivorClaimDetailSerializer,
        examples=[
            OpenApiExample(
                "Reason", value={"reason": "The survivor is not the pensioner's spouse."}, request_only=True
            )
        ],
        extensions=error_codes("survivors_claim_not_in_step", "survivors_claim_rejection_reason_required"),
    )
    def post(self, request, claim_id: int):
        body = ClaimRejectSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        claim = selectors.survivors_claim_get(scope=Scope.of(request.user), claim_id=claim_id)
        return _claim_detail(
            survivors_claim_reject(
                claim=claim, reason=body.validated_data["reason"], actor=Actor.api(request.user)
            )
        )
