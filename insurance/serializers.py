from __future__ import annotations

import datetime
from decimal import Decimal

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.documents import DEFAULT_LANGUAGE, LANGUAGES, document_status, document_verify_url
from core.identity import mask_id_number
from core.serializers import AmountField, IdentityNumberField
from insurance.calculators.retirement import FemaleCategory
from insurance.employer_codes import InvalidEmployerCode, UnifiedSocialCreditCode
from insurance.models import (
    ACCOUNT_SCHEMES,
    STEP_SIDE,
    TRANSFER_SCHEMES,
    BaseAdjustment,
    InboxMessage,
    InsuranceRelationship,
    InsuredPerson,
    LedgerEntry,
    ParticipationCertificate,
    PaymentType,
    PersonStatus,
    RelationshipStatus,
    Scheme,
    Sex,
    TransferKind,
    TransferStatus,
)
from insurance.selectors import NAME_PART_MIN_LENGTH, NameMatch

# Periods are taken as six digits: which months may be recorded is the services' rule (insurance.periods).
_PERIOD_SHAPE = r"^[0-9]{6}$"


def _iso_date(value: datetime.date | None) -> str | None:
    return None if value is None else value.isoformat()


def _person_facts(person: InsuredPerson) -> dict:
    """What both person serializers show besides the ID number, as DRF would render their fields."""
    return {
        "name": person.name,
        "sex": person.sex,
        "birth_date": _iso_date(person.birth_date),
        "hukou_province": person.hukou_province_id,
        "residence_province": person.residence_province_id,
        "phone": person.phone,
        "status": person.status,
        "date_of_death": _iso_date(person.date_of_death),
    }


class PersonSerializer(serializers.Serializer):
    """A person as shown to a citizen or in lists: the ID number masked.

    The fields are declared for the schema; rendering builds the same dictionary directly, because DRF's
    per-field rendering (a copy of every field per serializer, then each field's attribute look-up) is a
    large share of a whole profile request (README.md, "Benchmarks"). tests/insurance/test_serializers.py
    holds the two to the same output."""

    id = serializers.IntegerField(
        read_only=True, help_text="The person's id, for the paths under /agency/persons/{person_id}."
    )
    id_number = serializers.CharField(
        source="id_number_masked",
        read_only=True,
        help_text="The ID number, masked: the address code and the last four characters.",
    )
    name = serializers.CharField(read_only=True, help_text="The registered name.")
    sex = serializers.ChoiceField(Sex.choices, read_only=True, help_text="From the ID number: M or F.")
    birth_date = serializers.DateField(read_only=True, help_text="From the ID number.")
    hukou_province = serializers.CharField(
        source="hukou_province_id",
        read_only=True,
        help_text="The province (2 digits) of the person's household registration (户口).",
    )
    residence_province = serializers.CharField(
        source="residence_province_id",
        read_only=True,
        allow_null=True,
        help_text="The province (2 digits) where the person lives, when known.",
    )
    phone = serializers.CharField(read_only=True, help_text="A contact number, possibly empty.")
    status = serializers.ChoiceField(
        PersonStatus.choices, read_only=True, help_text="active, retired or deceased."
    )
    date_of_death = serializers.DateField(
        read_only=True, allow_null=True, help_text="Set once a death is recorded."
    )

    def to_representation(self, person: InsuredPerson) -> dict:
        return {"id": person.pk, "id_number": person.id_number_masked, **_person_facts(person)}


class PersonDetailSerializer(PersonSerializer):
    """A person as shown to agency staff: the full ID number, which the view reveals through
    `selectors.person_id_number_reveal` (so the read is logged) and passes in as context["id_number"]."""

    id_number = serializers.SerializerMethodField(
        help_text="The full ID number: this read is logged (who, whose, when, where)."
    )
    id_number_masked = serializers.SerializerMethodField(help_text="The same ID number, masked, for display.")

    def get_id_number(self, person: InsuredPerson) -> str:
        return self.context["id_number"]

    def get_id_number_masked(self, person: InsuredPerson) -> str:
        return mask_id_number(self.context["id_number"])

    def to_representation(self, person: InsuredPerson) -> dict:
        number = self.context["id_number"]
        return {
            "id": person.pk,
            "id_number": number,
            **_person_facts(person),
            "id_number_masked": mask_id_number(number),
        }


class GatheringSerializer(serializers.Serializer):
    """How a sealed temporary account was gathered (DOMAIN.md §3)."""

    transfer = serializers.IntegerField(
        source="transfer_id",
        help_text="The gathering, a transfer of kind `gathering`: its money and timeline at /transfers/<id>.",
    )
    to_province = serializers.CharField(
        help_text="Where it was gathered: the basic relationship's province, or the benefit province."
    )
    sealed_at = serializers.DateTimeField(help_text="When the account was sealed and gathered.")
    sealed_by = serializers.IntegerField(allow_null=True, help_text="The user who acted, if a person did.")
    channel = serializers.CharField(help_text="api, admin, import or periodic.")
    reason = serializers.CharField(help_text="Why: a further move, or retirement.")
    interest_up_to_period = serializers.IntegerField(
        allow_null=True, help_text="Interest was credited up to this month, YYYYMM."
    )
    account_amount = serializers.DecimalField(
        max_digits=14,
        decimal_places=2,
        allow_null=True,
        help_text="The personal account moved, interest included.",
    )
    pooled_amount = serializers.DecimalField(
        max_digits=14,
        decimal_places=2,
        allow_null=True,
        help_text="The pooled fund moved: 12 % of the bases.",
    )
    refund_amount = serializers.DecimalField(
        max_digits=14,
        decimal_places=2,
        allow_null=True,
        help_text="Refunded to the person: credits of months also paid in the receiving province.",
    )
    months = serializers.IntegerField(help_text="The months gathered.")


class RelationshipSerializer(serializers.ModelSerializer):
    province = serializers.CharField(
        source="province_id",
        read_only=True,
        help_text="The province (2 digits) where the relationship is held.",
    )
    employer = serializers.CharField(
        source="employer.code", read_only=True, allow_null=True, help_text="Empty for a flexible worker."
    )
    gathering = GatheringSerializer(
        read_only=True,
        allow_null=True,
        help_text="A sealed temporary account: where and when it was gathered, and what moved. Else empty.",
    )

    class Meta:
        model = InsuranceRelationship
        fields = [
            "id",
            "scheme",
            "province",
            "status",
            "is_temporary_account",
            "employer",
            "opened_period",
            "closed_period",
            "gathering",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "id": {"help_text": "The relationship's id."},
            "scheme": {"help_text": "The insurance scheme."},
            "status": {
                "help_text": "paying, suspended, transferred_out, closed, or sealed (a temporary account "
                "gathered elsewhere)."
            },
            "is_temporary_account": {"help_text": "A temporary account (临时缴费账户), DOMAIN.md §3."},
            "opened_period": {"help_text": "The first month, YYYYMM."},
            "closed_period": {"help_text": "The last month, YYYYMM, once it was left."},
        }


def _money_field(**options) -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=14, decimal_places=2, **options)


def _rate_field(**options) -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=6, decimal_places=4, **options)


class ContributionSerializer(serializers.Serializer):
    """A contribution as the API shows it. Only declares it (for the schema and its guard): the rows of
    `selectors.contribution_page` come ready to show, with the amounts as text in their stored places,
    as a page of 50 would otherwise take DRF's per-field machinery 50 times."""

    period = serializers.IntegerField(help_text="YYYYMM")
    scheme = serializers.ChoiceField(Scheme.choices, help_text="The insurance scheme.")
    province = serializers.CharField(help_text="The province (2 digits) where the month is recorded.")
    declared_base = _money_field(help_text="The base the agency declared.")
    base = _money_field(help_text="The declared base clamped to the province's bounds.")
    base_adjustment = serializers.ChoiceField(
        BaseAdjustment.choices,
        help_text="Whether the declared base was raised to the floor, lowered to the ceiling, or kept.",
    )
    employer_rate = _rate_field(help_text="The employer's share of the base, as a fraction.")
    individual_rate = _rate_field(help_text="The individual's share of the base, as a fraction.")
    employer_amount = _money_field(help_text="The employer's contribution for the month.")
    individual_amount = _money_field(help_text="The individual's contribution for the month.")
    account_credit = _money_field(help_text="Credited to the pension personal account.")
    payment_type = serializers.ChoiceField(
        PaymentType.choices, help_text="normal, or a back payment (补缴) of a past month."
    )
    employer_code = serializers.CharField(
        allow_null=True, help_text="The employer's unified social credit code; null for a flexible worker."
    )
    temporary_account = serializers.BooleanField(help_text="Paid into a temporary account (临时缴费账户).")


class ContributionFilterSerializer(serializers.Serializer):
    scheme = serializers.ChoiceField(Scheme.choices, required=False, help_text="Only this scheme.")
    province = serializers.RegexField(
        r"^\d{2}$", required=False, help_text="Only months recorded in this province (2 digits)."
    )
    year = serializers.IntegerField(
        min_value=1950, max_value=2099, required=False, help_text="Only the months of this year."
    )
    period_from = serializers.RegexField(
        _PERIOD_SHAPE, required=False, help_text="Only this month (YYYYMM) and later ones."
    )
    period_to = serializers.RegexField(
        _PERIOD_SHAPE, required=False, help_text="Only this month (YYYYMM) and earlier ones."
    )

    def validate(self, attrs):
        for bound in ("period_from", "period_to"):
            if bound in attrs:
                attrs[bound] = int(attrs[bound])
                if not 1 <= attrs[bound] % 100 <= 12:
                    raise serializers.ValidationError({bound: [_("No such month: write it YYYYMM.")]})
        if attrs.get("period_from", 0) > attrs.get("period_to", 999999):
            raise serializers.ValidationError({"period_to": [_("The range ends before it begins.")]})
        return attrs


class ContributionYearsSerializer(serializers.Serializer):
    """12 months make a year; part years count by month."""

    total_months = serializers.IntegerField(
        help_text="Months counted: a month recorded in two provinces counts once in the total."
    )
    years = serializers.IntegerField(help_text="Whole years of those months.")
    months = serializers.IntegerField(help_text="Months beyond the whole years.")


class ProvinceContributionYearsSerializer(ContributionYearsSerializer):
    province = serializers.CharField(help_text="The province (2 digits).")


class ContributionYearsReportSerializer(serializers.Serializer):
    scheme = serializers.ChoiceField(Scheme.choices, help_text="The scheme whose months are counted.")
    by_province = ProvinceContributionYearsSerializer(
        many=True, help_text="The months counted in each province."
    )
    total = ContributionYearsSerializer(help_text="All provinces together.")


ACCOUNT_SCHEME_CHOICES = [(scheme.value, scheme.label) for scheme in ACCOUNT_SCHEMES]


class AccountQuerySerializer(serializers.Serializer):
    scheme = serializers.ChoiceField(
        ACCOUNT_SCHEME_CHOICES,
        default=Scheme.EMPLOYEE_PENSION,
        help_text="The personal account: employee pension (EP) or employee medical (EM).",
    )


class AccountEntrySerializer(serializers.ModelSerializer):
    id = serializers.CharField(
        read_only=True,
        help_text="Opaque and stable: compare it and send it back, never parse it or rely on its form.",
    )
    province = serializers.CharField(
        source="province_id", read_only=True, help_text="The province (2 digits) where the account is held."
    )

    class Meta:
        model = LedgerEntry
        fields = ["id", "scheme", "kind", "amount", "period", "province", "created_at"]
        read_only_fields = fields
        extra_kwargs = {
            "scheme": {"help_text": "The personal account: EP or EM."},
            "kind": {
                "help_text": "What the entry is: a contribution's credit, interest, a transfer, a correction."
            },
            "amount": {"help_text": "The amount credited (positive) or debited (negative)."},
            "created_at": {"help_text": "When the entry was written."},
            "period": {"help_text": "The month it concerns, YYYYMM."},
        }


class ProvinceBalanceSerializer(serializers.Serializer):
    province = serializers.CharField(
        source="province_id", help_text="The province (2 digits) where this part of the account is held."
    )
    balance = serializers.DecimalField(max_digits=14, decimal_places=2, help_text="The balance held there.")


class TemporaryAccountSerializer(serializers.Serializer):
    relationship = serializers.IntegerField(source="pk", help_text="The temporary account's relationship.")
    province = serializers.CharField(source="province_id", help_text="Where the temporary account is held.")
    status = serializers.ChoiceField(
        RelationshipStatus.choices, help_text="paying or suspended while open; sealed once gathered."
    )
    opened_period = serializers.IntegerField(help_text="The first month, YYYYMM.")
    closed_period = serializers.IntegerField(allow_null=True, help_text="The last month, YYYYMM, once left.")
    gathering = GatheringSerializer(
        allow_null=True, help_text="Once sealed: where and when it was gathered, and what moved."
    )


class AccountSerializer(serializers.Serializer):
    scheme = serializers.ChoiceField(
        ACCOUNT_SCHEME_CHOICES,
        help_text="The personal account: employee pension (EP) or employee medical (EM).",
    )
    balance = serializers.DecimalField(
        max_digits=14, decimal_places=2, help_text="The balance: the sum of the account's ledger."
    )
    by_province = ProvinceBalanceSerializer(many=True, help_text="The balance held in each province.")
    temporary_accounts = TemporaryAccountSerializer(
        many=True,
        help_text="Its temporary accounts (临时缴费账户, DOMAIN.md §3): open, or sealed and gathered.",
    )


class AccountsSerializer(serializers.Serializer):
    accounts = AccountSerializer(many=True, help_text="Each personal account, employee pension first.")


class EmployerSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="The unified social credit code (统一社会信用代码).")
    name = serializers.CharField(help_text="The employer's registered name.")
    province = serializers.CharField(
        source="province_id", help_text="The province (2 digits) where the employer is registered."
    )


class PersonSearchSerializer(serializers.Serializer):
    """A search by name. An ID number is never taken here, in a URL: it goes in the body of a look-up."""

    name = serializers.CharField(
        max_length=64, help_text="The name, its beginning, or a part of it (see `match`)."
    )
    match = serializers.ChoiceField(
        [match.value for match in NameMatch],
        default=NameMatch.PREFIX,
        help_text="exact: the whole name; prefix: names that begin with it; contains: names holding it "
        f"anywhere ({NAME_PART_MIN_LENGTH} characters or more).",
    )
    status = serializers.ChoiceField(
        PersonStatus.choices, required=False, help_text="Only people in this status."
    )
    hukou_province = serializers.RegexField(
        r"^\d{2}$", required=False, help_text="Only people whose hukou is in this province (2 digits)."
    )

    def validate(self, attrs):
        if attrs["match"] == NameMatch.CONTAINS and len(attrs["name"].strip()) < NAME_PART_MIN_LENGTH:
            raise serializers.ValidationError(
                {"name": [_("Search by a part of a name takes at least two characters.")]}
            )
        return attrs


class PersonLookupSerializer(serializers.Serializer):
    id_number = IdentityNumberField(help_text="The person's exact ID number (18 characters).")


class EmployerCodeField(serializers.CharField):
    """A unified social credit code (GB 32100-2015), checked as every path checks it: a refusal carries the
    parser's code (`employer_code_format`, `employer_code_checksum`)."""

    def to_internal_value(self, data) -> str:
        try:
            return UnifiedSocialCreditCode.parse(super().to_internal_value(data)).value
        except InvalidEmployerCode as refusal:
            raise serializers.ValidationError(refusal.message, code=refusal.code) from None


class ContributionMonthSerializer(serializers.Serializer):
    period = serializers.RegexField(_PERIOD_SHAPE, help_text="YYYYMM")
    base = AmountField(
        max_digits=12,
        decimal_places=2,
        min_value=Decimal("0.01"),
        help_text="The monthly wage base declared; the province's floor and ceiling apply.",
    )
    employer_code = EmployerCodeField(
        required=False,
        allow_null=True,
        help_text="The employer's unified social credit code; empty for a flexible worker.",
    )
    payment_type = serializers.ChoiceField(
        PaymentType.choices,
        default=PaymentType.NORMAL,
        help_text="normal, or back_payment for a past month paid late.",
    )


class ContributionRecordRequestSerializer(serializers.Serializer):
    scheme = serializers.ChoiceField(Scheme.choices, help_text="The scheme the months are paid into.")
    months = ContributionMonthSerializer(
        many=True,
        min_length=1,
        max_length=600,
        help_text="The months to record, each once: all of them, or none.",
    )


class DeathRequestSerializer(serializers.Serializer):
    date_of_death = serializers.DateField(help_text="The date of death, not in the future.")


class EnrolmentRequestSerializer(serializers.Serializer):
    """An enrolment (参保登记) in the caller's province."""

    id_number = IdentityNumberField(
        help_text="The person's ID number; they may be registered in any province."
    )
    scheme = serializers.ChoiceField(Scheme.choices, help_text="The scheme to enrol in.")
    start_period = serializers.RegexField(_PERIOD_SHAPE, help_text="The first month paid, YYYYMM.")
    employer_code = EmployerCodeField(
        required=False, allow_null=True, help_text="Empty for a flexible worker."
    )
    approved_transfer = serializers.BooleanField(
        default=False, help_text="An officially approved transfer (批准调动): no temporary account is opened."
    )


class EnrolmentBatchSerializer(serializers.Serializer):
    enrolments = EnrolmentRequestSerializer(
        many=True,
        min_length=1,
        max_length=1000,
        help_text="Up to 1,000 enrolments, written all together or not at all.",
    )


class RegistrationEnrolmentSerializer(serializers.Serializer):
    scheme = serializers.ChoiceField(Scheme.choices, help_text="The scheme to enrol in.")
    start_period = serializers.RegexField(_PERIOD_SHAPE, help_text="The first month paid, YYYYMM.")
    employer_code = EmployerCodeField(
        required=False,
        allow_null=True,
        help_text="The employer's unified social credit code; empty for a flexible worker.",
    )
    approved_transfer = serializers.BooleanField(
        default=False, help_text="An officially approved transfer (批准调动): no temporary account is opened."
    )


class RegistrationRequestSerializer(serializers.Serializer):
    """A person to register (once nationwide) and, optionally, to enrol in the caller's province."""

    id_number = IdentityNumberField(
        help_text="The person's ID number (18 characters); it is stored encrypted."
    )
    name = serializers.CharField(max_length=64, help_text="The person's name as on the ID card.")
    hukou_province = serializers.CharField(
        required=False,
        allow_null=True,
        max_length=2,
        help_text="The province (2 digits) of the household registration; from the ID number if not given.",
    )
    residence_province = serializers.CharField(
        required=False,
        allow_null=True,
        max_length=2,
        help_text="The province (2 digits) where the person lives.",
    )
    phone = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=20, help_text="A contact number."
    )
    enrolment = RegistrationEnrolmentSerializer(
        required=False,
        allow_null=True,
        help_text="Enrol the person in the caller's province in the same step.",
    )


class RegistrationSerializer(serializers.Serializer):
    person = PersonSerializer(
        allow_null=True, help_text="Empty for someone registered already and insured only in other provinces."
    )
    created = serializers.BooleanField(help_text="False when the person was registered already.")
    relationship = RelationshipSerializer(
        allow_null=True, help_text="The relationship opened, when an enrolment was asked for."
    )


class RelationshipMoveSerializer(serializers.Serializer):
    period = serializers.RegexField(_PERIOD_SHAPE, help_text="The month from which it applies, YYYYMM.")
    reason = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=500,
        help_text="Why, for the record of the move.",
    )


class RetirementQuerySerializer(serializers.Serializer):
    female_category = serializers.ChoiceField(
        [category.value for category in FemaleCategory],
        required=False,
        help_text="Women only: worker (original age 50) or cadre (original age 55).",
    )


class CalculationStepSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Stable code of the step, for a client that words it itself.")
    params = serializers.DictField(
        child=serializers.JSONField(),
        help_text="The step's figures: whole numbers as integers, amounts and ratios as decimal strings.",
    )
    message = serializers.CharField(help_text="The step in words, in the request's language.")


class RetirementPlanSerializer(serializers.Serializer):
    birth_month = serializers.IntegerField(help_text="The month of birth, YYYYMM.")
    sex = serializers.CharField(help_text="M or F.")
    female_category = serializers.CharField(
        allow_null=True, help_text="Women only: worker or cadre, as given."
    )
    original_age_years = serializers.IntegerField(help_text="The retirement age before the 2025 reform.")
    delay_months = serializers.IntegerField(help_text="Months the reform adds for this birth month.")
    retirement_age_years = serializers.IntegerField(help_text="The statutory retirement age: whole years.")
    retirement_age_months = serializers.IntegerField(
        help_text="The statutory retirement age: months beyond the years."
    )
    retirement_month = serializers.IntegerField(help_text="The month of retirement, YYYYMM.")
    minimum_contribution_months = serializers.IntegerField(
        help_text="The contribution months needed for a monthly pension at that month."
    )
    minimum_contribution_years = serializers.DecimalField(
        max_digits=4, decimal_places=1, help_text="The same, in years."
    )
    steps = CalculationStepSerializer(many=True, help_text="How the result was reached, step by step.")


class PensionEstimateSerializer(serializers.Serializer):
    benefit_province = serializers.CharField(help_text="The province (2 digits) that pays the pension.")
    province_average_wage = serializers.DecimalField(
        max_digits=14,
        decimal_places=2,
        help_text="That province's average monthly wage of the latest configured year.",
    )
    personal_account_balance = serializers.DecimalField(
        max_digits=14, decimal_places=2, help_text="The pension personal account's balance."
    )
    retirement = RetirementPlanSerializer(help_text="The retirement plan the estimate is for.")
    contribution_years = ContributionYearsSerializer(
        source="estimate.contribution_years", help_text="The contribution months that count."
    )
    average_contribution_index = serializers.DecimalField(
        max_digits=8,
        decimal_places=4,
        source="estimate.average_contribution_index",
        help_text="The average of the monthly bases over the province's average wage.",
    )
    indexed_average_wage = serializers.DecimalField(
        max_digits=14,
        decimal_places=2,
        source="estimate.indexed_average_wage",
        help_text="The person's indexed average monthly wage.",
    )
    pooled_part = serializers.DecimalField(
        max_digits=14,
        decimal_places=2,
        source="estimate.pooled_part",
        help_text="The basic pension from the pooled fund, monthly.",
    )
    divisor_months = serializers.IntegerField(
        source="estimate.divisor_months",
        help_text="The months the personal account is divided by, for the retirement age.",
    )
    personal_account_part = serializers.DecimalField(
        max_digits=14,
        decimal_places=2,
        source="estimate.personal_account_part",
        help_text="The personal account pension, monthly.",
    )
    total = serializers.DecimalField(
        max_digits=14,
        decimal_places=2,
        source="estimate.total",
        help_text="The estimated basic pension, monthly.",
    )
    minimum_contribution_months = serializers.IntegerField(
        source="estimate.minimum_contribution_months",
        help_text="The contribution months needed for a monthly pension.",
    )
    eligible = serializers.BooleanField(
        source="estimate.eligible", help_text="Whether the months counted reach the minimum."
    )
    steps = CalculationStepSerializer(
        many=True,
        source="estimate.steps",
        help_text="How the estimate was reached, step by step.",
    )


class CertificateRequestSerializer(serializers.Serializer):
    language = serializers.ChoiceField(
        choices=LANGUAGES,
        default=DEFAULT_LANGUAGE,
        help_text="The certificate's language: Simplified Chinese (default) or English.",
    )


class CertificateSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="The certificate's number in the holder's list.")
    verification_code = serializers.CharField(help_text="The code printed on it, for anyone to verify it.")
    status = serializers.SerializerMethodField(help_text="`valid`, `expired` or `revoked`.")
    issued_at = serializers.DateTimeField(help_text="When it was issued.")
    valid_until = serializers.DateField(help_text="The last day it verifies as valid.")
    revoked_at = serializers.DateTimeField(allow_null=True, help_text="When it was revoked, if it was.")
    language = serializers.CharField(help_text="The language it is written in.")
    issuer = serializers.CharField(source="issuer_name", help_text="The issuing agency, as printed.")
    pdf_url = serializers.SerializerMethodField(
        allow_null=True,
        help_text="Where to download the signed PDF again, byte for byte; null for a certificate issued "
        "before PDFs were kept.",
    )
    verify_url = serializers.SerializerMethodField(help_text="Its public verification page.")

    def get_status(self, certificate: ParticipationCertificate) -> str:
        return document_status(valid_until=certificate.valid_until, revoked_at=certificate.revoked_at)

    def get_pdf_url(self, certificate: ParticipationCertificate) -> str | None:
        if not certificate.pdf:
            return None
        return self.context["request"].build_absolute_uri(
            reverse("my-certificate-pdf", kwargs={"certificate_id": certificate.pk})
        )

    def get_verify_url(self, certificate: ParticipationCertificate) -> str:
        return document_verify_url(
            base_url=self.context["request"].build_absolute_uri("/"), code=certificate.verification_code
        )


class InboxSubjectSerializer(serializers.Serializer):
    type = serializers.CharField(help_text="The kind of record, as app_label.model.")
    id = serializers.IntegerField(help_text="The record's id.")


class InboxMessageSerializer(serializers.ModelSerializer):
    subject = serializers.SerializerMethodField(help_text="The record the message is about, if any.")

    class Meta:
        model = InboxMessage
        fields = ["id", "kind", "title", "body", "subject", "read_at", "created_at"]
        read_only_fields = fields
        extra_kwargs = {
            "id": {"help_text": "The message's id."},
            "kind": {"help_text": "What the message is about, for a client's icon or filter."},
            "title": {"help_text": "The message's title."},
            "body": {"help_text": "The message's text."},
            "read_at": {"help_text": "Empty while unread."},
            "created_at": {"help_text": "When the message was sent."},
        }

    @extend_schema_field(InboxSubjectSerializer(allow_null=True))
    def get_subject(self, message: InboxMessage) -> dict | None:
        if not message.subject_type:
            return None
        return {"type": message.subject_type, "id": message.subject_id}


class InboxFilterSerializer(serializers.Serializer):
    unread = serializers.BooleanField(
        required=False, allow_null=True, help_text="true: only unread messages; false: only read ones."
    )


class InboxUnreadCountSerializer(serializers.Serializer):
    unread = serializers.IntegerField(help_text="How many of the citizen's messages are unread.")


class InboxMarkedReadSerializer(serializers.Serializer):
    marked_read = serializers.IntegerField(
        help_text="How many messages became read (0 when none were unread)."
    )


# --- transfers ------------------------------------------------------------------------------------------


class TransferApplySerializer(serializers.Serializer):
    scheme = serializers.ChoiceField(
        [scheme.value for scheme in TRANSFER_SCHEMES],
        help_text="The scheme to transfer: EP (employee pension) or EM (employee medical).",
    )
    from_province = serializers.CharField(
        required=False,
        max_length=2,
        help_text="The province of the suspended relationship to transfer; needed when there are several.",
    )


class TransferRejectSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000, help_text="Why the application is rejected, in writing.")


class TransferQueueFilterSerializer(serializers.Serializer):
    step = serializers.ChoiceField(
        TransferStatus.choices, required=False, help_text="Only transfers at this step (their status)."
    )
    scheme = serializers.ChoiceField(
        [scheme.value for scheme in TRANSFER_SCHEMES],
        required=False,
        help_text="Only transfers of this scheme.",
    )
    overdue = serializers.BooleanField(
        required=False, allow_null=True, default=None, help_text="Only steps past their deadline (or not)."
    )
    side = serializers.ChoiceField(
        ["transfer_in", "transfer_out"],
        required=False,
        help_text="Only transfers into my province (transfer_in) or out of it (transfer_out).",
    )
    kind = serializers.ChoiceField(
        TransferKind.choices,
        required=False,
        help_text="Only transfers, or only gatherings of temporary accounts.",
    )


class TransferSerializer(serializers.Serializer):
    """A transfer as listed: where it stands, and the deadline of its current step."""

    id = serializers.IntegerField(help_text="The transfer's id.")
    person = serializers.IntegerField(source="person_id", help_text="The insured person's id.")
    scheme = serializers.ChoiceField(
        Scheme.choices, help_text="EP (employee pension) or EM (employee medical)."
    )
    kind = serializers.ChoiceField(
        TransferKind.choices,
        help_text="transfer, or gathering: a temporary account sealed and gathered in one step (completed).",
    )
    status = serializers.ChoiceField(TransferStatus.choices, help_text="The step the transfer is at.")
    from_province = serializers.CharField(source="from_province_id", help_text="The transfer-out province.")
    to_province = serializers.CharField(source="to_province_id", help_text="The transfer-in province.")
    due_date = serializers.DateField(
        allow_null=True, help_text="The deadline of the current step; empty once the transfer is over."
    )
    due_provisional = serializers.BooleanField(
        help_text="True when the deadline counted days of a year whose official calendar is not entered yet."
    )
    waiting_for = serializers.SerializerMethodField(
        help_text="Whose move it is: the person, transfer_in, transfer_out, or nobody when it is over."
    )
    overdue_since = serializers.DateField(allow_null=True, help_text="When the overdue job flagged the step.")
    rejection_reason = serializers.CharField(help_text="The written reason of a rejection; empty otherwise.")
    created_at = serializers.DateTimeField(help_text="When the transfer was applied for or offered.")

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_waiting_for(self, transfer) -> str | None:
        if transfer.status == TransferStatus.OFFERED:
            return "person"
        return STEP_SIDE.get(transfer.status)


class TransferEventSerializer(serializers.Serializer):
    step = serializers.CharField(help_text="The step reached, or `overdue` for an escalation.")
    at = serializers.DateTimeField(help_text="When.")
    actor = serializers.IntegerField(allow_null=True, help_text="The user who acted, if a person did.")
    channel = serializers.CharField(help_text="api, admin, import or periodic.")
    reason = serializers.CharField(help_text="What was said with the move (a rejection's reason ...).")
    due_date = serializers.DateField(allow_null=True, help_text="The deadline of the step this one began.")


class TransferYearSerializer(serializers.Serializer):
    year = serializers.IntegerField(help_text="The calendar year.")
    months = serializers.IntegerField(help_text="Months held and moving (duplicate months left out).")
    bases = serializers.DecimalField(max_digits=14, decimal_places=2, help_text="Sum of their bases.")
    account_amount = serializers.DecimalField(
        max_digits=14, decimal_places=2, help_text="Their personal-account credits."
    )
    pooled_amount = serializers.DecimalField(
        max_digits=14, decimal_places=2, help_text="12 % of the bases (from 1998; pension only)."
    )


class TransferMoneySerializer(serializers.Serializer):
    interest_up_to_period = serializers.IntegerField(
        help_text="Interest is credited up to this month, YYYYMM."
    )
    balance = serializers.DecimalField(
        max_digits=14, decimal_places=2, help_text="The account balance before the interest to date."
    )
    interest_due = serializers.DecimalField(
        max_digits=14, decimal_places=2, help_text="Interest credited up to the month of the move."
    )
    account_amount = serializers.DecimalField(
        max_digits=14, decimal_places=2, help_text="What moves from the personal account."
    )
    refund_amount = serializers.DecimalField(
        max_digits=14, decimal_places=2, help_text="Refunded to the person: credits of the duplicate months."
    )
    pooled_amount = serializers.DecimalField(
        max_digits=14, decimal_places=2, help_text="What moves from the pool."
    )
    months = serializers.IntegerField(help_text="Months that move.")
    years = TransferYearSerializer(many=True, help_text="The information table (信息表), year by year.")
    duplicate_periods = serializers.ListField(
        child=serializers.IntegerField(),
        help_text="Months paid in both provinces: kept by the transfer-in side.",
    )
    back_payable_periods = serializers.ListField(
        child=serializers.IntegerField(),
        help_text="Medical only: months of a gap of at most 3 that may be back-paid in the new province.",
    )


class TransferDocumentSerializer(serializers.Serializer):
    kind = serializers.CharField(help_text="contact_letter, transfer_certificate or information_table.")
    issued_at = serializers.DateTimeField(help_text="When it was issued, at its step.")
    verification_code = serializers.CharField(
        help_text="Its code on the public verification page, /api/v1/certificates/verify/<code>."
    )


class TransferDetailSerializer(TransferSerializer):
    """A transfer with its timeline, its money once computed, and its documents."""

    timeline = TransferEventSerializer(
        many=True, help_text="Every step taken, oldest first, with escalations."
    )
    money = TransferMoneySerializer(
        source="statement", allow_null=True, help_text="The amounts, once the funds are sent; empty before."
    )
    documents = TransferDocumentSerializer(many=True, help_text="The documents issued so far.")


class BenefitProvinceBranchSerializer(serializers.Serializer):
    branch = serializers.IntegerField(help_text="1 to 4, in the order the rule tries them.")
    rule = serializers.CharField(help_text="What the branch asks.")
    province = serializers.CharField(allow_null=True, help_text="The province the branch looked at.")
    months = serializers.IntegerField(
        allow_null=True, help_text="Months counted there (temporary accounts never)."
    )
    years = serializers.DecimalField(
        source="decimal_years",
        max_digits=6,
        decimal_places=2,
        allow_null=True,
        help_text="The same in years (months / 12).",
    )
    applies = serializers.BooleanField(help_text="Whether this branch decided.")


class BenefitProvinceSerializer(serializers.Serializer):
    province = serializers.CharField(help_text="Where the pension would be paid.")
    branch = serializers.IntegerField(help_text="The branch of the 10-year rule that decided.")
    hukou_province = serializers.CharField(help_text="The person's hukou province.")
    branches = BenefitProvinceBranchSerializer(
        many=True, help_text="Each branch tried, with the years counted."
    )
