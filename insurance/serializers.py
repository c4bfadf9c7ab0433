from __future__ import annotations

import datetime
from decimal import Decimal

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.identity import mask_id_number
from core.serializers import AmountField, IdentityNumberField
from insurance.calculators.retirement import FemaleCategory
from insurance.employer_codes import InvalidEmployerCode, UnifiedSocialCreditCode
from insurance.models import (
    ACCOUNT_SCHEMES,
    BaseAdjustment,
    InboxMessage,
    InsuranceRelationship,
    InsuredPerson,
    LedgerEntry,
    PaymentType,
    PersonStatus,
    Scheme,
    Sex,
)


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

    id = serializers.IntegerField(read_only=True)
    id_number = serializers.CharField(source="id_number_masked", read_only=True)
    name = serializers.CharField(read_only=True)
    sex = serializers.ChoiceField(Sex.choices, read_only=True)
    birth_date = serializers.DateField(read_only=True)
    hukou_province = serializers.CharField(source="hukou_province_id", read_only=True)
    residence_province = serializers.CharField(
        source="residence_province_id", read_only=True, allow_null=True
    )
    phone = serializers.CharField(read_only=True)
    status = serializers.ChoiceField(PersonStatus.choices, read_only=True)
    date_of_death = serializers.DateField(read_only=True, allow_null=True)

    def to_representation(self, person: InsuredPerson) -> dict:
        return {"id": person.pk, "id_number": person.id_number_masked, **_person_facts(person)}


class PersonDetailSerializer(PersonSerializer):
    """A person as shown to agency staff: the full ID number, which the view reveals through
    `selectors.person_id_number_reveal` (so the read is logged) and passes in as context["id_number"]."""

    id_number = serializers.SerializerMethodField()
    id_number_masked = serializers.SerializerMethodField()

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


class RelationshipSerializer(serializers.ModelSerializer):
    province = serializers.CharField(source="province_id", read_only=True)
    employer = serializers.CharField(
        source="employer.code", read_only=True, allow_null=True, help_text="Empty for a flexible worker."
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
        ]
        read_only_fields = fields


def _money_field(**options) -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=14, decimal_places=2, **options)


def _rate_field() -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=6, decimal_places=4)


class ContributionSerializer(serializers.Serializer):
    """A contribution as the API shows it. Only declares it (for the schema and its guard): the rows of
    `selectors.contribution_page` come ready to show, with the amounts as text in their stored places,
    as a page of 50 would otherwise take DRF's per-field machinery 50 times."""

    period = serializers.IntegerField(help_text="YYYYMM")
    scheme = serializers.ChoiceField(Scheme.choices)
    province = serializers.CharField()
    declared_base = _money_field(help_text="The base the agency declared.")
    base = _money_field(help_text="The declared base clamped to the province's bounds.")
    base_adjustment = serializers.ChoiceField(BaseAdjustment.choices)
    employer_rate = _rate_field()
    individual_rate = _rate_field()
    employer_amount = _money_field()
    individual_amount = _money_field()
    account_credit = _money_field(help_text="Credited to the pension personal account.")
    payment_type = serializers.ChoiceField(PaymentType.choices)
    employer_code = serializers.CharField(allow_null=True)
    temporary_account = serializers.BooleanField()


class ContributionFilterSerializer(serializers.Serializer):
    scheme = serializers.ChoiceField(Scheme.choices, required=False)
    province = serializers.RegexField(r"^\d{2}$", required=False)
    year = serializers.IntegerField(min_value=1950, max_value=2099, required=False)


class ContributionYearsSerializer(serializers.Serializer):
    """12 months make a year; part years count by month."""

    total_months = serializers.IntegerField()
    years = serializers.IntegerField()
    months = serializers.IntegerField(help_text="Months beyond the whole years.")


class ProvinceContributionYearsSerializer(ContributionYearsSerializer):
    province = serializers.CharField()


class ContributionYearsReportSerializer(serializers.Serializer):
    scheme = serializers.ChoiceField(Scheme.choices)
    by_province = ProvinceContributionYearsSerializer(many=True)
    total = ContributionYearsSerializer()


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
    province = serializers.CharField(source="province_id", read_only=True)

    class Meta:
        model = LedgerEntry
        fields = ["id", "scheme", "kind", "amount", "period", "province", "created_at"]
        read_only_fields = fields


class ProvinceBalanceSerializer(serializers.Serializer):
    province = serializers.CharField(source="province_id")
    balance = serializers.DecimalField(max_digits=14, decimal_places=2)


class AccountSerializer(serializers.Serializer):
    scheme = serializers.ChoiceField(ACCOUNT_SCHEME_CHOICES)
    balance = serializers.DecimalField(max_digits=14, decimal_places=2)
    by_province = ProvinceBalanceSerializer(many=True)


class PersonSearchSerializer(serializers.Serializer):
    id_number = IdentityNumberField(required=False)
    name = serializers.CharField(required=False, max_length=64, min_length=1)
    status = serializers.ChoiceField(PersonStatus.choices, required=False)
    hukou_province = serializers.RegexField(r"^\d{2}$", required=False)

    def validate(self, attrs):
        if not attrs.get("id_number") and not attrs.get("name"):
            raise serializers.ValidationError({"id_number": ["Give an exact ID number or a name."]})
        return attrs


# Periods are taken as six digits: which months may be recorded is the services' rule (insurance.periods).
_PERIOD_SHAPE = r"^[0-9]{6}$"


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
    base = AmountField(max_digits=12, decimal_places=2, min_value=Decimal("0.01"))
    employer_code = EmployerCodeField(required=False, allow_null=True)
    payment_type = serializers.ChoiceField(PaymentType.choices, default=PaymentType.NORMAL)


class ContributionRecordRequestSerializer(serializers.Serializer):
    scheme = serializers.ChoiceField(Scheme.choices)
    months = ContributionMonthSerializer(many=True, min_length=1, max_length=600)


class DeathRequestSerializer(serializers.Serializer):
    date_of_death = serializers.DateField()


class EnrolmentRequestSerializer(serializers.Serializer):
    """An enrolment (参保登记) in the caller's province."""

    id_number = IdentityNumberField(
        help_text="The person's ID number; they may be registered in any province."
    )
    scheme = serializers.ChoiceField(Scheme.choices)
    start_period = serializers.RegexField(_PERIOD_SHAPE, help_text="The first month paid, YYYYMM.")
    employer_code = EmployerCodeField(
        required=False, allow_null=True, help_text="Empty for a flexible worker."
    )
    approved_transfer = serializers.BooleanField(
        default=False, help_text="An officially approved transfer (批准调动): no temporary account is opened."
    )


class EnrolmentBatchSerializer(serializers.Serializer):
    enrolments = EnrolmentRequestSerializer(many=True, min_length=1, max_length=1000)


class RegistrationEnrolmentSerializer(serializers.Serializer):
    scheme = serializers.ChoiceField(Scheme.choices)
    start_period = serializers.RegexField(_PERIOD_SHAPE, help_text="The first month paid, YYYYMM.")
    employer_code = EmployerCodeField(required=False, allow_null=True)
    approved_transfer = serializers.BooleanField(default=False)


class RegistrationRequestSerializer(serializers.Serializer):
    """A person to register (once nationwide) and, optionally, to enrol in the caller's province."""

    id_number = IdentityNumberField()
    name = serializers.CharField(max_length=64)
    hukou_province = serializers.CharField(required=False, allow_null=True, max_length=2)
    residence_province = serializers.CharField(required=False, allow_null=True, max_length=2)
    phone = serializers.CharField(required=False, allow_blank=True, default="", max_length=20)
    enrolment = RegistrationEnrolmentSerializer(required=False, allow_null=True)


class RegistrationSerializer(serializers.Serializer):
    person = PersonSerializer(
        allow_null=True, help_text="Empty for someone registered already and insured only in other provinces."
    )
    created = serializers.BooleanField(help_text="False when the person was registered already.")
    relationship = RelationshipSerializer(allow_null=True)


class RelationshipMoveSerializer(serializers.Serializer):
    period = serializers.RegexField(_PERIOD_SHAPE, help_text="The month from which it applies, YYYYMM.")
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=500)


class RetirementQuerySerializer(serializers.Serializer):
    female_category = serializers.ChoiceField(
        [category.value for category in FemaleCategory],
        required=False,
        help_text="Women only: worker (original age 50) or cadre (original age 55).",
    )


class RetirementPlanSerializer(serializers.Serializer):
    birth_month = serializers.IntegerField()
    sex = serializers.CharField()
    female_category = serializers.CharField(allow_null=True)
    original_age_years = serializers.IntegerField()
    delay_months = serializers.IntegerField()
    retirement_age_years = serializers.IntegerField()
    retirement_age_months = serializers.IntegerField()
    retirement_month = serializers.IntegerField()
    minimum_contribution_months = serializers.IntegerField()
    minimum_contribution_years = serializers.DecimalField(max_digits=4, decimal_places=1)
    steps = serializers.ListField(child=serializers.CharField())


class PensionEstimateSerializer(serializers.Serializer):
    benefit_province = serializers.CharField()
    province_average_wage = serializers.DecimalField(max_digits=14, decimal_places=2)
    personal_account_balance = serializers.DecimalField(max_digits=14, decimal_places=2)
    retirement = RetirementPlanSerializer()
    contribution_years = ContributionYearsSerializer(source="estimate.contribution_years")
    average_contribution_index = serializers.DecimalField(
        max_digits=8, decimal_places=4, source="estimate.average_contribution_index"
    )
    indexed_average_wage = serializers.DecimalField(
        max_digits=14, decimal_places=2, source="estimate.indexed_average_wage"
    )
    pooled_part = serializers.DecimalField(max_digits=14, decimal_places=2, source="estimate.pooled_part")
    divisor_months = serializers.IntegerField(source="estimate.divisor_months")
    personal_account_part = serializers.DecimalField(
        max_digits=14, decimal_places=2, source="estimate.personal_account_part"
    )
    total = serializers.DecimalField(max_digits=14, decimal_places=2, source="estimate.total")
    minimum_contribution_months = serializers.IntegerField(source="estimate.minimum_contribution_months")
    eligible = serializers.BooleanField(source="estimate.eligible")
    steps = serializers.ListField(child=serializers.CharField(), source="estimate.steps")


class CertificateVerificationSerializer(serializers.Serializer):
    verification_code = serializers.CharField()
    genuine = serializers.BooleanField()
    issued_at = serializers.DateTimeField()
    content = serializers.JSONField(help_text="The facts printed on the certificate, as issued.")
    content_sha256 = serializers.CharField()
    unaltered = serializers.BooleanField(
        allow_null=True, help_text="Whether the uploaded PDF is the one issued; null when none was uploaded."
    )


class CertificateUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="The certificate PDF to check.")


class InboxSubjectSerializer(serializers.Serializer):
    type = serializers.CharField(help_text="The kind of record, as app_label.model.")
    id = serializers.IntegerField()


class InboxMessageSerializer(serializers.ModelSerializer):
    subject = serializers.SerializerMethodField(help_text="The record the message is about, if any.")

    class Meta:
        model = InboxMessage
        fields = ["id", "kind", "title", "body", "subject", "read_at", "created_at"]
        read_only_fields = fields

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
    unread = serializers.IntegerField()


class InboxMarkedReadSerializer(serializers.Serializer):
    marked_read = serializers.IntegerField(
        help_text="How many messages became read (0 when none were unread)."
    )
