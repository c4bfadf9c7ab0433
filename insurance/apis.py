"""Thin views: parse with a serializer, call one selector or service, render."""

from __future__ import annotations

from django.db import transaction
from django.http import HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound
from rest_framework.generics import ListAPIView
from rest_framework.pagination import Cursor, CursorPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import IsAgencyUser, IsCitizen
from accounts.scope import Scope
from core.batch import batch_refused, refusal_raise
from core.exceptions import ApplicationError, NotFoundError
from core.idempotency import idempotent
from core.pagination import ClientPageSize
from core.schema import error_codes
from core.states import Actor
from insurance import selectors
from insurance.employer_codes import UnifiedSocialCreditCode
from insurance.models import Scheme, Transfer
from insurance.serializers import (
    AccountEntrySerializer,
    AccountQuerySerializer,
    AccountSerializer,
    AccountsSerializer,
    BenefitProvinceSerializer,
    CertificateRequestSerializer,
    CertificateSerializer,
    ContributionFilterSerializer,
    ContributionRecordRequestSerializer,
    ContributionSerializer,
    ContributionYearsReportSerializer,
    DeathRequestSerializer,
    EmployerSerializer,
    EnrolmentBatchSerializer,
    EnrolmentRequestSerializer,
    InboxFilterSerializer,
    InboxMarkedReadSerializer,
    InboxMessageSerializer,
    InboxUnreadCountSerializer,
    PensionEstimateSerializer,
    PersonDetailSerializer,
    PersonLookupSerializer,
    PersonSearchSerializer,
    PersonSerializer,
    RegistrationRequestSerializer,
    RegistrationSerializer,
    RelationshipMoveSerializer,
    RelationshipSerializer,
    RetirementPlanSerializer,
    RetirementQuerySerializer,
    TransferApplySerializer,
    TransferDetailSerializer,
    TransferQueueFilterSerializer,
    TransferRejectSerializer,
    TransferSerializer,
)
from insurance.services.benefit_province import benefit_province_decide
from insurance.services.certificates import certificate_issue, certificate_pdf
from insurance.services.contributions import ContributionMonth, contributions_record
from insurance.services.estimates import pension_estimate_for, retirement_plan_for
from insurance.services.inbox import inbox_mark_read
from insurance.services.persons import PersonDetails, person_register_death
from insurance.services.registration import Registration, registrations_submit
from insurance.services.relationships import (
    EnrolmentRequest,
    enrolments_submit,
    relationship_resume,
    relationship_suspend,
)
from insurance.services.transfer_documents import transfer_document_pdf
from insurance.services.transfers import (
    transfer_accept,
    transfer_apply,
    transfer_complete,
    transfer_confirm,
    transfer_decline,
    transfer_funds_send,
    transfer_reject,
    transfer_withdraw,
)

# What opening a relationship can refuse (relationships_open), besides an unknown person or employer.
_ENROLMENT_CODES = (
    "person_deceased",
    "period_format",
    "period_too_early",
    "period_in_future",
    "period_before_birth",
    "relationship_already_paying",
    "relationship_paying_elsewhere",
    "period_before_suspension",
    # Enrolling moves the person on from a temporary account elsewhere, which is gathered.
    "temporary_account_short",
)


class NewestPeriodFirst(ClientPageSize, CursorPagination):
    ordering = ("-period", "-id")
    page_size = 50


class NewestContributionsFirst(ClientPageSize, CursorPagination):
    """Pages of `selectors.contribution_page`, with DRF's cursor links and their form. A cursor holds the
    position (period and id) of the record its page continues from: each page is one read of an index
    range, with no offset to skip and no position that a record inserted since could shift."""

    page_size = 50

    def paginate_contributions(self, request, **query) -> list[dict]:
        self.request = request
        self.page_size = self.get_page_size(request)
        self.base_url = request.build_absolute_uri()
        self.cursor = self.decode_cursor(request)
        after = self._position_decode(self.cursor)
        backwards = self.cursor is not None and self.cursor.reverse
        limit = self.page_size + 1  # one more tells whether there is a page beyond
        rows = selectors.contribution_page(**query, after=after, older=not backwards, limit=limit)
        more, rows = len(rows) > self.page_size, rows[: self.page_size]
        if backwards:
            rows.reverse()
            self.has_next, self.has_previous = after is not None, more
        else:
            self.has_next, self.has_previous = more, after is not None
        self.next_position = rows[-1][0] if rows else after
        self.previous_position = rows[0][0] if rows else after
        return [shown for _, shown in rows]

    def _position_decode(self, cursor) -> selectors.ContributionPosition | None:
        if cursor is None:
            return None
        try:
            if cursor.offset or cursor.position is None:
                raise ValueError
            period, record_id = (int(part) for part in cursor.position.split("."))
        except ValueError:
            raise NotFound(self.invalid_cursor_message) from None
        return selectors.ContributionPosition(period, record_id)

    def get_next_link(self) -> str | None:
        return self._link(self.next_position, reverse=False) if self.has_next else None

    def get_previous_link(self) -> str | None:
        return self._link(self.previous_position, reverse=True) if self.has_previous else None

    def _link(self, position: selectors.ContributionPosition, *, reverse: bool) -> str:
        cursor = Cursor(offset=0, reverse=reverse, position=f"{position.period}.{position.id}")
        return self.encode_cursor(cursor)


class ByName(ClientPageSize, CursorPagination):
    ordering = ("name", "id")
    page_size = 20


class CitizenView(APIView):
    permission_classes = [IsCitizen]
    answers_not_found = True  # a citizen whose ID number has no insurance record yet (core.schema)

    def person(self):
        return selectors.person_of_citizen(scope=Scope.of(self.request.user))


class MyProfileApi(CitizenView):
    @extend_schema(summary="My insured-person profile (ID number masked)", responses=PersonSerializer)
    def get(self, request):
        return Response(PersonSerializer(self.person()).data)


class MyRelationshipsApi(CitizenView):
    @extend_schema(summary="My insurance relationships", responses=RelationshipSerializer(many=True))
    def get(self, request):
        relationships = selectors.relationships_of(person=self.person())
        return Response(RelationshipSerializer(relationships, many=True).data)


class ContributionListView(ListAPIView):
    """Contribution records of one person, newest first, filtered by scheme, province, year and a range
    of months."""

    serializer_class = ContributionSerializer  # what the rows hold (they come ready to show)
    pagination_class = NewestContributionsFirst
    filter_backends: list = []

    def list(self, request, *args, **kwargs):
        filters = self.contribution_filters()  # first: invalid filters answer 400 even for a missing person
        rows = self.paginator.paginate_contributions(request, person=self.person(), **filters)
        return self.paginator.get_paginated_response(rows)

    def contribution_filters(self) -> dict:
        # Most requests ask for an unfiltered first page: there is nothing to validate then, and a filter
        # serializer would still build its fields to find that out, on the list read most often.
        if not self.request.query_params:
            return {}
        filters = ContributionFilterSerializer(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        return filters.validated_data


_CONTRIBUTIONS_LISTED = (
    "Newest first, in pages (`page_size` up to 200), filtered by scheme, province, year, and a range of "
    "months (`period_from` to `period_to`, both included)."
)


@extend_schema(
    summary="My contribution records, newest first",
    description=_CONTRIBUTIONS_LISTED,
    parameters=[ContributionFilterSerializer],
)
class MyContributionsApi(ContributionListView, CitizenView):
    pass


def _years(years) -> dict[str, int]:
    return {"total_months": years.total_months, "years": years.years, "months": years.months}


def _contribution_years_report(request, person) -> Response:
    """A person's contribution years of the scheme the query names (employee pension unless it says)."""
    scheme = ContributionFilterSerializer(data=request.query_params)
    scheme.is_valid(raise_exception=True)
    chosen = scheme.validated_data.get("scheme", Scheme.EMPLOYEE_PENSION)
    months = selectors.contribution_months_of(person=person, scheme=chosen)
    by_province, total = months.by_province, months.total
    report = {
        "scheme": chosen,
        "by_province": [{"province": code, **_years(years)} for code, years in by_province.items()],
        "total": total,
    }
    return Response(ContributionYearsReportSerializer(report).data)


_CONTRIBUTION_YEARS_SCHEME = OpenApiParameter(
    "scheme",
    enum=Scheme.values,
    default=Scheme.EMPLOYEE_PENSION,
    description="The scheme whose months are counted.",
)


class MyContributionYearsApi(CitizenView):
    @extend_schema(
        summary="My contribution years per province and in total",
        parameters=[_CONTRIBUTION_YEARS_SCHEME],
        responses=ContributionYearsReportSerializer,
    )
    def get(self, request):
        return _contribution_years_report(request, self.person())


def _account_scheme(request) -> str:
    query = AccountQuerySerializer(data=request.query_params)
    query.is_valid(raise_exception=True)
    return query.validated_data["scheme"]


class MyAccountApi(CitizenView):
    @extend_schema(
        summary="My personal account balance (pension unless the scheme says otherwise) and its temporary "
        "accounts",
        parameters=[AccountQuerySerializer],
        responses=AccountSerializer,
    )
    def get(self, request):
        account = selectors.account_of(person=self.person(), scheme=_account_scheme(request))
        return Response(AccountSerializer(account).data)


@extend_schema(
    summary="My personal account ledger (pension unless the scheme says otherwise), newest first",
    parameters=[AccountQuerySerializer],
)
class MyAccountEntriesApi(ListAPIView, CitizenView):
    serializer_class = AccountEntrySerializer
    pagination_class = NewestPeriodFirst
    filter_backends: list = []

    def get_queryset(self):
        scheme = _account_scheme(self.request)
        return selectors.account_entries_of(person=self.person(), scheme=scheme)


class NewestMessagesFirst(ClientPageSize, CursorPagination):
    ordering = ("-created_at", "-id")
    page_size = 20


@extend_schema(summary="My messages, newest first", parameters=[InboxFilterSerializer])
class MyMessagesApi(ListAPIView, CitizenView):
    serializer_class = InboxMessageSerializer
    pagination_class = NewestMessagesFirst
    filter_backends: list = []

    def get_queryset(self):
        query = InboxFilterSerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        return selectors.inbox_messages_of(person=self.person(), **query.validated_data)


class MyMessageApi(CitizenView):
    @extend_schema(summary="One of my messages", responses=InboxMessageSerializer)
    def get(self, request, message_id: int):
        message = selectors.inbox_message_get(person=self.person(), message_id=message_id)
        return Response(InboxMessageSerializer(message).data)


class MyMessageReadApi(CitizenView):
    @extend_schema(
        summary="Mark one of my messages read (marking it again changes nothing)",
        request=None,
        responses=InboxMessageSerializer,
    )
    def post(self, request, message_id: int):
        person = self.person()
        # Marks only the person's own: for anyone else's id nothing is written, and the read below is 404.
        inbox_mark_read(person=person, message_ids=[message_id])
        message = selectors.inbox_message_get(person=person, message_id=message_id)
        return Response(InboxMessageSerializer(message).data)


class MyMessagesReadAllApi(CitizenView):
    @extend_schema(summary="Mark all my messages read", request=None, responses=InboxMarkedReadSerializer)
    def post(self, request):
        marked = inbox_mark_read(person=self.person(), message_ids=None)
        return Response(InboxMarkedReadSerializer({"marked_read": marked}).data)


class MyMessagesUnreadCountApi(CitizenView):
    @extend_schema(summary="How many of my messages are unread", responses=InboxUnreadCountSerializer)
    def get(self, request):
        unread = selectors.inbox_unread_count(person=self.person())
        return Response(InboxUnreadCountSerializer({"unread": unread}).data)


class AgencyView(APIView):
    permission_classes = [IsAgencyUser]

    def person(self, person_id: int | None = None):
        person_id = person_id if person_id is not None else self.kwargs["person_id"]
        return selectors.person_get(scope=Scope.of(self.request.user), person_id=person_id)


PERSON_LOOKUP_PATH = "/api/v1/agency/persons/lookup"


@extend_schema(
    summary="Find people insured in my province by name: exact, its beginning, or any part of it",
    description="By ID number: `POST /api/v1/agency/persons/lookup`, with the number in the body. A URL "
    "carrying an ID number (`?id_number=`) is refused with `id_number_in_url`: URLs are kept in access "
    "logs, proxies and browser histories.",
    parameters=[PersonSearchSerializer],
    extensions=error_codes("id_number_in_url"),
)
class AgencyPersonSearchApi(ListAPIView, AgencyView):
    serializer_class = PersonSerializer
    pagination_class = ByName
    filter_backends: list = []

    def get_queryset(self):
        if "id_number" in self.request.query_params:
            where = {"path": PERSON_LOOKUP_PATH}
            raise ApplicationError(
                "id_number_in_url",
                _(
                    'ID numbers are not taken in URLs, which logs keep: send {"id_number": ...} in the body '
                    "of POST %(path)s."
                )
                % where,
                fields={"id_number": [_("Send it in the body of POST %(path)s.") % where]},
            )
        query = PersonSearchSerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        return selectors.persons_search(scope=Scope.of(self.request.user), **query.validated_data)


class AgencyPersonLookupApi(AgencyView):
    @extend_schema(
        summary="Find the person insured in my province with an exact ID number (sent in the body)",
        request=PersonLookupSerializer,
        examples=[
            OpenApiExample("By ID number", value={"id_number": "110105199003071239"}, request_only=True)
        ],
        responses=PersonSerializer,
        extensions=error_codes("person_not_found"),
    )
    def post(self, request):
        body = PersonLookupSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        person = selectors.person_by_id_number(
            scope=Scope.of(request.user), id_number=body.validated_data["id_number"]
        )
        return Response(PersonSerializer(person).data)


class AgencyPersonDetailApi(AgencyView):
    @extend_schema(
        summary="A person's details, with the full ID number (the read is logged)",
        responses=PersonDetailSerializer,
    )
    def get(self, request, person_id: int):
        person = self.person(person_id)
        number = selectors.person_id_number_reveal(reader=request.user, person=person, endpoint=request.path)
        return Response(PersonDetailSerializer(person, context={"id_number": number}).data)


class AgencyPersonContributionsApi(ContributionListView, AgencyView):
    @extend_schema(
        summary="A person's contribution records",
        description=_CONTRIBUTIONS_LISTED,
        parameters=[ContributionFilterSerializer],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        summary="Record months of contributions in my province (amounts are computed, never taken)",
        description="The amounts are computed from the province's figures for each month's year (the base "
        "clamped to its bounds, the clamp shown on the record); amounts sent are ignored. The months are "
        "recorded all together, or none of them: a refusal names the months concerned in `fields`.",
        request=ContributionRecordRequestSerializer,
        examples=[
            OpenApiExample(
                "Two months for an employee",
                value={
                    "scheme": "EP",
                    "months": [
                        {"period": "202609", "base": "9000.00", "employer_code": "91110000600037341L"},
                        {"period": "202610", "base": "9000.00", "employer_code": "91110000600037341L"},
                    ],
                },
                request_only=True,
            )
        ],
        responses={201: ContributionSerializer(many=True)},
        extensions=error_codes(
            "period_format",
            "period_too_early",
            "period_in_future",
            "duplicate_period",
            "relationship_not_open",
            "period_after_death",
            "employer_not_found",
            "employer_required",
            "province_year_not_configured",
            "scheme_rate_not_configured",
            "period_paid_elsewhere",
            "temporary_account_sealed",
            "contribution_already_recorded",
        ),
    )
    @idempotent
    def post(self, request, person_id: int):
        body = ContributionRecordRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        person = self.person(person_id)
        scheme, province = body.validated_data["scheme"], Scope.of(request.user).province_code
        periods = contributions_record(
            person_id=person.pk,
            actor=Actor.api(request.user),
            scheme=scheme,
            province_id=province,
            months=[
                ContributionMonth(
                    period=int(month["period"]),
                    declared_base=month["base"],
                    employer_code=month.get("employer_code"),
                    payment_type=month["payment_type"],
                )
                for month in body.validated_data["months"]
            ],
        )
        shown = selectors.contributions_of_periods(
            person=person, scheme=scheme, province=province, periods=periods
        )
        return Response(shown, status=status.HTTP_201_CREATED)


class AgencyPersonDeathApi(AgencyView):
    @extend_schema(
        summary="Register a person's death",
        request=DeathRequestSerializer,
        examples=[OpenApiExample("A death", value={"date_of_death": "2026-11-20"}, request_only=True)],
        responses=PersonSerializer,
        extensions=error_codes(
            "person_already_deceased", "date_of_death_invalid", "date_of_death_before_relationship"
        ),
    )
    @idempotent
    def post(self, request, person_id: int):
        body = DeathRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        person = person_register_death(
            person=self.person(person_id), **body.validated_data, actor=Actor.api(request.user)
        )
        return Response(PersonSerializer(person).data)


class AgencyEnrolmentApi(AgencyView):
    @extend_schema(
        summary="Enrol a person in my province (参保登记), or resume their suspended relationship here",
        request=EnrolmentRequestSerializer,
        examples=[
            OpenApiExample(
                "Employee medical insurance from a month",
                value={"id_number": "110105199003071239", "scheme": "EM", "start_period": "202609"},
                request_only=True,
            )
        ],
        responses={201: RelationshipSerializer},
        extensions=error_codes("person_not_found", "employer_not_found", *_ENROLMENT_CODES),
    )
    @idempotent
    def post(self, request):
        body = EnrolmentRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        opened, refusals = enrolments_submit(
            requests=[_enrolment_request(body.validated_data)],
            province_id=Scope.of(request.user).province_code,
            actor=Actor.api(request.user),
        )
        refusal_raise(refusals)
        relationship = selectors.relationships_by_id(ids=list(opened.values()))[0]
        return Response(RelationshipSerializer(relationship).data, status=status.HTTP_201_CREATED)


class AgencyEnrolmentBatchApi(AgencyView):
    @extend_schema(
        summary="Enrol many people in my province at once: all of them, or none",
        request=EnrolmentBatchSerializer,
        examples=[
            OpenApiExample(
                "Two enrolments at once",
                value={
                    "enrolments": [
                        {"id_number": "110105199003071239", "scheme": "UI", "start_period": "202609"},
                        {
                            "id_number": "110105199003071239",
                            "scheme": "WI",
                            "start_period": "202609",
                            "employer_code": "91110000600037341L",
                        },
                    ]
                },
                request_only=True,
            )
        ],
        responses={201: RelationshipSerializer(many=True)},
        # Each refused enrolment is named in `fields` with its own code, as the single enrolment's.
        extensions=error_codes("batch_refused", "relationship_already_paying"),
    )
    @idempotent
    def post(self, request):
        body = EnrolmentBatchSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        with transaction.atomic():
            opened, refusals = enrolments_submit(
                requests=[_enrolment_request(item) for item in body.validated_data["enrolments"]],
                province_id=Scope.of(request.user).province_code,
                actor=Actor.api(request.user),
            )
            if refusals:
                raise batch_refused(refusals, "enrolments")  # and the enrolments written roll back
        relationships = selectors.relationships_by_id(ids=[opened[index] for index in sorted(opened)])
        return Response(RelationshipSerializer(relationships, many=True).data, status=status.HTTP_201_CREATED)


def _enrolment_request(data: dict) -> EnrolmentRequest:
    return EnrolmentRequest(
        id_number=data["id_number"].value,
        scheme=data["scheme"],
        start_period=int(data["start_period"]),
        employer_code=data.get("employer_code"),
        approved_transfer=data["approved_transfer"],
    )


class AgencyRegistrationApi(AgencyView):
    @extend_schema(
        summary="Register a person (once nationwide), and optionally enrol them in my province",
        request=RegistrationRequestSerializer,
        examples=[
            OpenApiExample(
                "A flexible worker enrolled in employee pension",
                value={
                    "id_number": "110105199003071239",
                    "name": "王小明",
                    "enrolment": {"scheme": "EP", "start_period": "202609"},
                },
                request_only=True,
            )
        ],
        responses={201: RegistrationSerializer, 200: RegistrationSerializer},
        extensions=error_codes(
            "name_required",
            "name_invalid_characters",
            "province_unknown",
            "employer_not_found",
            *_ENROLMENT_CODES,
        ),
    )
    @idempotent
    def post(self, request):
        body = RegistrationRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data, enrolment = body.validated_data, body.validated_data.get("enrolment") or {}
        scope = Scope.of(request.user)
        item = Registration(
            details=PersonDetails(
                id_number=data["id_number"],
                name=data["name"],
                hukou_province=data.get("hukou_province"),
                residence_province=data.get("residence_province"),
                phone=data["phone"],
            ),
            scheme=enrolment.get("scheme"),
            start_period=int(enrolment["start_period"]) if enrolment else None,
            employer_code=enrolment.get("employer_code"),
            approved_transfer=enrolment.get("approved_transfer", False),
        )
        done, refusals = registrations_submit(
            items=[item], scope=scope, province_id=scope.province_code, actor=Actor.api(request.user)
        )
        refusal_raise(refusals)
        registered, relationship_id = done[0]
        person = selectors.person_registered(scope=scope, person_id=registered.person_id)
        shown = {
            "person": None if person is None else PersonSerializer(person).data,
            "created": registered.created,
            "relationship": RelationshipSerializer(
                selectors.relationships_by_id(ids=[relationship_id])[0]
            ).data
            if relationship_id
            else None,
        }
        return Response(shown, status=status.HTTP_201_CREATED if registered.created else status.HTTP_200_OK)


class AgencyPersonContributionYearsApi(AgencyView):
    @extend_schema(
        summary="A person's contribution years per province and in total",
        parameters=[_CONTRIBUTION_YEARS_SCHEME],
        responses=ContributionYearsReportSerializer,
    )
    def get(self, request, person_id: int):
        return _contribution_years_report(request, self.person(person_id))


class AgencyPersonAccountsApi(AgencyView):
    @extend_schema(
        summary="A person's personal accounts: the balance of each, in total and per province, and their "
        "temporary accounts",
        responses=AccountsSerializer,
    )
    def get(self, request, person_id: int):
        accounts = selectors.account_balances_of(person=self.person(person_id))
        return Response(AccountsSerializer({"accounts": accounts}).data)


class AgencyEmployerApi(AgencyView):
    @extend_schema(
        summary="An employer, by its unified social credit code",
        responses=EmployerSerializer,
        extensions=error_codes("employer_code_format", "employer_code_checksum"),
    )
    def get(self, request, code: str):
        employer = selectors.employer_by_code(code=UnifiedSocialCreditCode.parse(code).value)
        return Response(EmployerSerializer(employer).data)


class AgencyPersonRelationshipsApi(AgencyView):
    @extend_schema(summary="A person's insurance relationships", responses=RelationshipSerializer(many=True))
    def get(self, request, person_id: int):
        relationships = selectors.relationships_of(person=self.person(person_id))
        return Response(RelationshipSerializer(relationships, many=True).data)


class _RelationshipMoveApi(AgencyView):
    def relationship(self, person_id: int, relationship_id: int):
        return selectors.relationship_get(
            scope=Scope.of(self.request.user), person=self.person(person_id), relationship_id=relationship_id
        )

    def moved(self, person_id: int, relationship_id: int, move) -> Response:
        """Parse the month (and reason), apply `move` through its service, and show the relationship."""
        body = RelationshipMoveSerializer(data=self.request.data)
        body.is_valid(raise_exception=True)
        relationship = move(
            relationship=self.relationship(person_id, relationship_id),
            period=int(body.validated_data["period"]),
            reason=body.validated_data["reason"],
            actor=Actor.api(self.request.user),
        )
        return Response(RelationshipSerializer(relationship).data)


class AgencyRelationshipSuspendApi(_RelationshipMoveApi):
    @extend_schema(
        summary="Suspend payment (停保) of a relationship in my province from a month",
        request=RelationshipMoveSerializer,
        examples=[
            OpenApiExample("From a month", value={"period": "202611", "reason": "Left"}, request_only=True)
        ],
        responses=RelationshipSerializer,
        extensions=error_codes(
            "period_format",
            "period_too_early",
            "period_in_future",
            "period_before_opening",
            "contributions_after_suspension",
            "relationship_not_paying",
        ),
    )
    @idempotent
    def post(self, request, person_id: int, relationship_id: int):
        return self.moved(person_id, relationship_id, relationship_suspend)


class AgencyRelationshipResumeApi(_RelationshipMoveApi):
    @extend_schema(
        summary="Resume payment of a suspended relationship in my province from a month",
        request=RelationshipMoveSerializer,
        examples=[OpenApiExample("From a month", value={"period": "202612"}, request_only=True)],
        responses=RelationshipSerializer,
        extensions=error_codes(
            "relationship_not_suspended",
            "period_format",
            "period_too_early",
            "period_in_future",
            "period_before_birth",
            "period_before_suspension",
            "relationship_paying_elsewhere",
        ),
    )
    @idempotent
    def post(self, request, person_id: int, relationship_id: int):
        return self.moved(person_id, relationship_id, relationship_resume)


_RETIREMENT_CODES = ("retirement_female_category_required", "retirement_female_category_not_applicable")


class _RetirementView(CitizenView):
    def female_category(self) -> str | None:
        query = RetirementQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        return query.validated_data.get("female_category")


class MyRetirementApi(_RetirementView):
    @extend_schema(
        summary="My statutory retirement age and month under the 2025 reform, step by step",
        parameters=[RetirementQuerySerializer],
        responses=RetirementPlanSerializer,
        extensions=error_codes(*_RETIREMENT_CODES),
    )
    def get(self, request):
        plan = retirement_plan_for(person=self.person(), female_category=self.female_category())
        return Response(RetirementPlanSerializer(plan).data)


class MyPensionEstimateApi(_RetirementView):
    @extend_schema(
        summary="An estimate of my basic pension from my own history, with each step of the formula",
        parameters=[RetirementQuerySerializer],
        responses=PensionEstimateSerializer,
        extensions=error_codes(
            *_RETIREMENT_CODES, "province_year_not_configured", "pension_no_contribution_months"
        ),
    )
    def get(self, request):
        result = pension_estimate_for(person=self.person(), female_category=self.female_category())
        return Response(PensionEstimateSerializer(result).data)


class NewestCertificatesFirst(ClientPageSize, CursorPagination):
    ordering = ("-issued_at", "-id")
    page_size = 20


class MyCertificatesApi(ListAPIView, CitizenView):
    serializer_class = CertificateSerializer
    pagination_class = NewestCertificatesFirst
    filter_backends: list = []

    def get_queryset(self):
        return selectors.certificates_of(person=self.person())

    @extend_schema(summary="The participation certificates I was issued, newest first")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        summary="Issue my participation certificate (参保证明) as a signed PDF",
        description=(
            "Signed by the platform (PAdES), with the issuing agency, its seal, and a verification code "
            "and QR code valid until the date it states. `Location` names the certificate in my list; "
            "the same PDF downloads again from `pdf_url`."
        ),
        request=CertificateRequestSerializer,
        examples=[OpenApiExample("In English", value={"language": "en"}, request_only=True)],
        responses={(201, "application/pdf"): OpenApiTypes.BINARY},
    )
    @idempotent
    def post(self, request):
        choice = CertificateRequestSerializer(data=request.data)
        choice.is_valid(raise_exception=True)
        certificate, pdf = certificate_issue(
            person=self.person(),
            verify_base_url=request.build_absolute_uri("/"),
            actor=Actor.api(request.user),
            language=choice.validated_data["language"],
        )
        return _pdf_response(certificate, pdf, status=status.HTTP_201_CREATED)


class MyCertificatePdfApi(CitizenView):
    @extend_schema(
        summary="Download one of my certificates again: the signed PDF as issued, byte for byte",
        responses={(200, "application/pdf"): OpenApiTypes.BINARY},
    )
    def get(self, request, certificate_id: int):
        certificate = selectors.certificate_of(person=self.person(), certificate_id=certificate_id)
        if not certificate.pdf:
            raise NotFoundError(
                _("This certificate was issued before certificates were kept; issue a new one.")
            )
        return _pdf_response(certificate, certificate_pdf(certificate=certificate), status=status.HTTP_200_OK)


def _pdf_response(certificate, pdf: bytes, *, status: int) -> HttpResponse:
    response = HttpResponse(pdf, content_type="application/pdf", status=status)
    response["Content-Disposition"] = (
        f'attachment; filename="certificate-{certificate.verification_code}.pdf"'
    )
    response["Location"] = reverse("my-certificate-pdf", kwargs={"certificate_id": certificate.pk})
    return response


# --- transfers (DOMAIN.md §3) ------------------------------------------------------------------------------

_TRANSFER_PRECONDITION_CODES = (
    "transfer_scheme_not_transferable",
    "transfer_person_deceased",
    "transfer_person_receives_pension",
    "transfer_not_enrolled_in_new_province",
    "transfer_into_temporary_account",
    "transfer_same_province",
    "transfer_old_relationship_not_suspended",
    "transfer_from_province_required",
    "transfer_old_relationship_in_arrears",
)


class TransfersNewestFirst(ClientPageSize, CursorPagination):
    ordering = ("-created_at", "-id")
    page_size = 50


def _transfer_detail(transfer) -> Response:
    return Response(TransferDetailSerializer(selectors.transfer_shown(transfer=transfer)).data)


class MyTransfersApi(ListAPIView, CitizenView):
    serializer_class = TransferSerializer
    pagination_class = TransfersNewestFirst
    queryset = Transfer.objects.none()  # for the schema: the rows come from the selector

    def get_queryset(self):
        return selectors.transfers_of(person=self.person())

    @extend_schema(summary="My transfers, newest first")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        summary="Apply to transfer my pension or medical insurance into the province where I pay now",
        request=TransferApplySerializer,
        responses={201: TransferDetailSerializer},
        examples=[
            OpenApiExample("Pension", value={"scheme": "EP", "from_province": "11"}, request_only=True)
        ],
        extensions=error_codes(*_TRANSFER_PRECONDITION_CODES, "transfer_already_open"),
    )
    def post(self, request):
        body = TransferApplySerializer(data=request.data)
        body.is_valid(raise_exception=True)
        transfer = transfer_apply(
            person=self.person(),
            scheme=body.validated_data["scheme"],
            from_province_id=body.validated_data.get("from_province"),
            actor=Actor.api(request.user),
        )
        return Response(
            TransferDetailSerializer(selectors.transfer_shown(transfer=transfer)).data,
            status=status.HTTP_201_CREATED,
        )


class MyTransferApi(CitizenView):
    @extend_schema(
        summary="One of my transfers: its timeline with deadlines, its money and its documents",
        responses=TransferDetailSerializer,
    )
    def get(self, request, transfer_id: int):
        return _transfer_detail(selectors.transfer_get(scope=Scope.of(request.user), transfer_id=transfer_id))


def _transfer_document_response(request, transfer_id: int, kind: str) -> HttpResponse:
    transfer = selectors.transfer_get(scope=Scope.of(request.user), transfer_id=transfer_id)
    document, pdf = transfer_document_pdf(transfer=transfer, kind=kind)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{kind}-{document.verification_code}.pdf"'
    return response


class MyTransferDocumentApi(CitizenView):
    @extend_schema(
        summary="Download a document of my transfer: the signed PDF as issued, byte for byte",
        description="`kind`: contact_letter, transfer_certificate or information_table.",
        responses={(200, "application/pdf"): OpenApiTypes.BINARY},
    )
    def get(self, request, transfer_id: int, kind: str):
        return _transfer_document_response(request, transfer_id, kind)


class _MyTransferMoveApi(CitizenView):
    move = staticmethod(transfer_withdraw)

    def post(self, request, transfer_id: int):
        transfer = selectors.transfer_get(scope=Scope.of(request.user), transfer_id=transfer_id)
        return _transfer_detail(type(self).move(transfer=transfer, actor=Actor.api(request.user)))


class MyTransferWithdrawApi(_MyTransferMoveApi):
    move = staticmethod(transfer_withdraw)

    @extend_schema(
        summary="Withdraw my application (until the contact letter is sent)",
        request=None,
        responses=TransferDetailSerializer,
        extensions=error_codes("transfer_not_in_step"),
    )
    def post(self, request, transfer_id: int):
        return super().post(request, transfer_id)


class MyTransferConfirmApi(_MyTransferMoveApi):
    move = staticmethod(transfer_confirm)

    @extend_schema(
        summary="Confirm a transfer the platform offered me: it becomes my application",
        request=None,
        responses=TransferDetailSerializer,
        extensions=error_codes("transfer_not_in_step", *_TRANSFER_PRECONDITION_CODES),
    )
    def post(self, request, transfer_id: int):
        return super().post(request, transfer_id)


class MyTransferDeclineApi(_MyTransferMoveApi):
    move = staticmethod(transfer_decline)

    @extend_schema(
        summary="Decline a transfer the platform offered me: nothing moves",
        request=None,
        responses=TransferDetailSerializer,
        extensions=error_codes("transfer_not_in_step"),
    )
    def post(self, request, transfer_id: int):
        return super().post(request, transfer_id)


class MyBenefitProvinceApi(CitizenView):
    @extend_schema(
        summary="Where my pension would be paid, and why: each branch of the 10-year rule with its years",
        responses=BenefitProvinceSerializer,
    )
    def get(self, request):
        decision = benefit_province_decide(person=self.person())
        return Response(BenefitProvinceSerializer(decision).data)


@extend_schema(summary="Transfers into or out of my province", parameters=[TransferQueueFilterSerializer])
class AgencyTransferQueueApi(ListAPIView, AgencyView):
    serializer_class = TransferSerializer
    pagination_class = TransfersNewestFirst
    filter_backends: list = []

    def get_queryset(self):
        query = TransferQueueFilterSerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        return selectors.transfer_queue(scope=Scope.of(self.request.user), **query.validated_data)


class AgencyTransferApi(AgencyView):
    @extend_schema(
        summary="A transfer into or out of my province: timeline, money and documents",
        responses=TransferDetailSerializer,
    )
    def get(self, request, transfer_id: int):
        return _transfer_detail(selectors.transfer_get(scope=Scope.of(request.user), transfer_id=transfer_id))


class AgencyTransferDocumentApi(AgencyView):
    @extend_schema(
        summary="Download a document of a transfer into or out of my province, byte for byte",
        description="`kind`: contact_letter, transfer_certificate or information_table.",
        responses={(200, "application/pdf"): OpenApiTypes.BINARY},
    )
    def get(self, request, transfer_id: int, kind: str):
        return _transfer_document_response(request, transfer_id, kind)


class _AgencyTransferMoveApi(AgencyView):
    side = "transfer_in"
    move = staticmethod(transfer_accept)

    def post(self, request, transfer_id: int):
        transfer = selectors.transfer_for_side(
            scope=Scope.of(request.user), transfer_id=transfer_id, side=self.side
        )
        return _transfer_detail(type(self).move(transfer=transfer, actor=Actor.api(request.user)))


class AgencyTransferAcceptApi(_AgencyTransferMoveApi):
    move = staticmethod(transfer_accept)

    @extend_schema(
        summary="Accept an application into my province: the contact letter (联系函) is sent",
        request=None,
        responses=TransferDetailSerializer,
        extensions=error_codes("transfer_not_in_step", "province_out_of_scope"),
    )
    def post(self, request, transfer_id: int):
        return super().post(request, transfer_id)


class AgencyTransferRejectApi(AgencyView):
    @extend_schema(
        summary="Reject an application into my province, with the written reason",
        request=TransferRejectSerializer,
        responses=TransferDetailSerializer,
        examples=[
            OpenApiExample(
                "Reason", value={"reason": "The employer's enrolment is not confirmed."}, request_only=True
            )
        ],
        extensions=error_codes(
            "transfer_not_in_step", "transfer_rejection_reason_required", "province_out_of_scope"
        ),
    )
    def post(self, request, transfer_id: int):
        body = TransferRejectSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        transfer = selectors.transfer_for_side(
            scope=Scope.of(request.user), transfer_id=transfer_id, side="transfer_in"
        )
        return _transfer_detail(
            transfer_reject(
                transfer=transfer, reason=body.validated_data["reason"], actor=Actor.api(request.user)
            )
        )


class AgencyTransferSendApi(_AgencyTransferMoveApi):
    side = "transfer_out"
    move = staticmethod(transfer_funds_send)

    @extend_schema(
        summary="Send the funds out of my province, with the certificate and information table",
        request=None,
        responses=TransferDetailSerializer,
        extensions=error_codes(
            "transfer_not_in_step",
            "transfer_old_relationship_not_suspended",
            "transfer_account_short",
            "interest_rate_not_published",
            "province_out_of_scope",
        ),
    )
    def post(self, request, transfer_id: int):
        return super().post(request, transfer_id)


class AgencyTransferCompleteApi(_AgencyTransferMoveApi):
    move = staticmethod(transfer_complete)

    @extend_schema(
        summary="Record the history and funds that arrived in my province: the transfer completes",
        request=None,
        responses=TransferDetailSerializer,
        extensions=error_codes("transfer_not_in_step", "province_out_of_scope"),
    )
    def post(self, request, transfer_id: int):
        return super().post(request, transfer_id)
