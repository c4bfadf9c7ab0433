"""Admin for province figures, contribution records and the personal-account ledger."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages

from core.exceptions import ApplicationError
from insurance.admin.base import (
    HistoryAdmin,
    PersonSearchMixin,
    ReadOnlyAdminMixin,
    RegistryAdmin,
    ServiceAddAdminMixin,
    ServiceAddForm,
)
from insurance.models import (
    AccountEntry,
    ContributionRate,
    ContributionRecord,
    LedgerEntry,
    ProvinceYearConfig,
)
from insurance.services.accounts import account_credit_interest
from insurance.services.tariffs import province_year_config_create


class ProvinceYearConfigAddForm(ServiceAddForm):
    class Meta:
        model = ProvinceYearConfig
        fields = (
            "province",
            "year",
            "average_monthly_wage",
            "base_floor_ratio",
            "base_ceiling_ratio",
            "account_interest_rate",
        )

    def clean_year(self) -> int:
        year = self.cleaned_data["year"]
        if not 1950 <= year <= 2099:
            raise forms.ValidationError("The year must be between 1950 and 2099.", code="year_invalid")
        return year

    def create(self, data: dict) -> ProvinceYearConfig:
        return province_year_config_create(
            province_id=data["province"].code,
            year=data["year"],
            average_monthly_wage=data["average_monthly_wage"],
            account_interest_rate=data["account_interest_rate"],
            base_floor_ratio=data["base_floor_ratio"],
            base_ceiling_ratio=data["base_ceiling_ratio"],
        )


class ContributionRateInline(admin.TabularInline):
    """The national default rates are created with the config; a province overrides them here. A rate is
    corrected, not deleted: contributions of a scheme without a rate are refused."""

    model = ContributionRate
    fields = ("scheme", "employer_rate", "individual_rate", "account_rate", "flexible_rate")
    extra = 0
    can_delete = False


@admin.register(ProvinceYearConfig)
class ProvinceYearConfigAdmin(ServiceAddAdminMixin, HistoryAdmin):
    """Created through `province_year_config_create` (with the default rates). Recorded contributions keep
    the rates they were computed with, so correcting a figure here does not rewrite them."""

    add_form = ProvinceYearConfigAddForm
    add_fields = ProvinceYearConfigAddForm.Meta.fields
    inlines = [ContributionRateInline]
    list_display = add_fields
    list_filter = ("province", "year")
    list_select_related = ("province",)
    ordering = ("province", "-year")
    fields = add_fields
    readonly_fields = ("province", "year")
    actions = ["credit_account_interest"]

    @admin.action(description="Credit the year's interest to the personal accounts held in the province")
    def credit_account_interest(self, request, queryset) -> None:
        for config in queryset.order_by("province", "year"):
            try:
                written = account_credit_interest(province_id=config.province_id, year=config.year)
            except ApplicationError as refusal:
                self.message_user(request, f"{config}: {refusal.message}", messages.ERROR)
            else:
                # Crediting twice writes nothing the second time.
                self.message_user(
                    request, f"{config}: {written} interest entries credited.", messages.SUCCESS
                )


@admin.register(ContributionRecord)
class ContributionRecordAdmin(PersonSearchMixin, ReadOnlyAdminMixin, RegistryAdmin):
    """Read-only: amounts are computed by `contributions_record` from the province's figures, and a
    correction goes through the services too."""

    list_display = (
        "person",
        "scheme",
        "province",
        "period",
        "base",
        "base_adjustment",
        "employer_amount",
        "individual_amount",
        "account_credit",
        "payment_type",
        "temporary_account",
    )
    list_filter = ("scheme", "province", "payment_type", "base_adjustment", "temporary_account")
    list_select_related = ("person", "province")


@admin.register(AccountEntry)
class AccountEntryAdmin(PersonSearchMixin, ReadOnlyAdminMixin, RegistryAdmin):
    """Interest and transfer entries of the personal accounts. Read-only: append-only in the database."""

    list_display = ("person", "province", "kind", "amount", "period", "created_at")
    list_filter = ("kind", "province")
    list_select_related = ("person", "province")


@admin.register(LedgerEntry)
class LedgerEntryAdmin(AccountEntryAdmin):
    """One person's whole ledger: contribution credits, interest and transfers. Listed for a searched
    person only: across everyone, the view would sort every contribution record for each page."""

    list_display_links = None
    search_help_text = "A full ID number, or the beginning of a name: the ledger is shown person by person."

    def get_search_results(self, request, queryset, search_term):
        if not search_term.strip():
            return queryset.none(), False
        return super().get_search_results(request, queryset, search_term)
