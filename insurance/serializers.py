from __future__ import annotations

from decimal import Decimal

from rest_framework import serializers

from core.serializers import IdentityNumberField
from insurance.models import (
    AccountEntry,
    ContributionRecord,
    InsuranceRelationship,
    InsuredPerson,
    PaymentType,
    PersonStatus,
    Scheme,
)


class PersonSerializer(serializers.ModelSerializer):
    """A person as shown to a citizen or in lists: the ID number masked."""

    id_number = serializers.CharField(source="id_number_masked", read_only=True)
    hukou_province = serializers.CharField(source="hukou_province_id", read_only=True)
    residence_province = serializers.CharField(
        source="residence_province_id", read_only=True, allow_null=True
    )

    class Meta:
        model = InsuredPerson
        fields = [
            "id",
            "id_number",
            "name",
            "sex",
            "birth_date",
            "hukou_province",
            "residence_province",
            "phone",
            "status",
            "date_of_death",
        ]
        read_only_fields = fields


class PersonDetailSerializer(PersonSerializer):
    """A person as shown to agency staff: the full ID number (each read is logged)."""

    id_number = serializers.CharField(read_only=True)
    id_number_masked = serializers.CharField(read_only=True)

    class Meta(PersonSerializer.Meta):
        fields = [*PersonSerializer.Meta.fields, "id_number_masked"]
        read_only_fields = fields


class RelationshipSerializer(serializers.ModelSerializer):
    province = serializers.CharField(source="province_id", read_only=True)

    class Meta:
        model = InsuranceRelationship
        fields = [
            "id",
            "scheme",
            "province",
            "status",
            "is_temporary_account",
            "opened_period",
            "closed_period",
        ]
        read_only_fields = fields


class ContributionSerializer(serializers.ModelSerializer):
    province = serializers.CharField(source="province_id", read_only=True)
    employer_code = serializers.CharField(
        source="employer.code", read_only=True, allow_null=True, default=None
    )

    class Meta:
        model = ContributionRecord
        fields = [
            "period",
            "scheme",
            "province",
            "declared_base",
            "base",
            "base_adjustment",
            "employer_rate",
            "individual_rate",
            "employer_amount",
            "individual_amount",
            "account_credit",
            "payment_type",
            "employer_code",
            "temporary_account",
        ]
        read_only_fields = fields


class ContributionFilterSerializer(serializers.Serializer):
    scheme = serializers.ChoiceField(Scheme.choices, required=False)
    province = serializers.RegexField(r"^\d{2}$", required=False)
    year = serializers.IntegerField(min_value=1950, max_value=2099, required=False)


class ContributionYearsSerializer(serializers.Serializer):
    scheme = serializers.CharField()
    province = serializers.CharField(allow_null=True)
    months = serializers.IntegerField()
    years = serializers.IntegerField()
    remaining_months = serializers.IntegerField()


class ContributionYearsReportSerializer(serializers.Serializer):
    scheme = serializers.ChoiceField(Scheme.choices)
    by_province = ContributionYearsSerializer(many=True)
    total = ContributionYearsSerializer()


class AccountEntrySerializer(serializers.ModelSerializer):
    province = serializers.CharField(source="province_id", read_only=True)

    class Meta:
        model = AccountEntry
        fields = ["id", "kind", "amount", "period", "province", "created_at"]
        read_only_fields = fields


class ProvinceBalanceSerializer(serializers.Serializer):
    province = serializers.CharField(source="province_id")
    balance = serializers.DecimalField(max_digits=14, decimal_places=2)


class AccountSerializer(serializers.Serializer):
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


class ContributionMonthSerializer(serializers.Serializer):
    period = serializers.RegexField(r"^(19[5-9]\d|20\d\d)(0[1-9]|1[0-2])$", help_text="YYYYMM")
    base = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=Decimal("0.01"))
    employer_code = serializers.RegexField(r"^[0-9A-HJ-NPQRTUWXY]{18}$", required=False, allow_null=True)
    payment_type = serializers.ChoiceField(PaymentType.choices, default=PaymentType.NORMAL)


class ContributionRecordRequestSerializer(serializers.Serializer):
    scheme = serializers.ChoiceField(Scheme.choices)
    months = ContributionMonthSerializer(many=True, min_length=1, max_length=600)


class DeathRequestSerializer(serializers.Serializer):
    date_of_death = serializers.DateField()
