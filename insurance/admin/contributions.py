"""Admin for province figures, contribution records and the personal accounts: their ledger, interest
runs and corrections."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy

from core.exceptions import ApplicationError
from core.states import Actor, events_of
from insurance.admin.base import (
    ChangeReadOnlyMixin,
    HistoryAdmin,
    PersonSearchMixin,
    ReadOnlyAdminMixin,
    RegistryAdmin,
    ServiceAddAdminMixin,
    ServiceAddForm,
    parsed,
)
from insurance.models import (
    ACCOUNT_SCHEMES,
    AccountCorrection,
    AccountEntry,
    ContributionRate,
    ContributionRecord,
    InterestRun,
    LedgerEntry,
    ProvinceYearConfig,
    Scheme,
)
from insurance.periods import period_parse
from insurance.services.accounts import (
    account_correction_approve,
    account_correction_propose,
    account_interest_credit,
)
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
            raise forms.ValidationError(
                gettext_lazy("The year must be between 1950 and 2099."), code="year_invalid"
            )
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

    scope_province_field = "province"
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

    def has_credit_interest_permission(self, request) -> bool:
        return request.user.has_perm("insurance.credit_interest_provinceyearconfig")

    @admin.action(
        description=gettext_lazy("Credit the year's interest to the pension accounts held in the province"),
        permissions=["credit_interest"],
    )
    def credit_account_interest(self, request, queryset) -> None:
        for config in queryset.order_by("province", "year"):
            try:
                run = account_interest_credit(
                    province_id=config.province_id,
                    scheme=Scheme.EMPLOYEE_PENSION,
                    up_to_period=config.year * 100 + 12,
                    actor=Actor.admin(request.user),
                )
            except ApplicationError as refusal:
                self.message_user(
                    request,
                    gettext_lazy("%(config)s: %(message)s") % {"config": config, "message": refusal.message},
                    messages.ERROR,
                )
            else:
                # Crediting twice writes nothing the second time.
                self.message_user(
                    request,
                    gettext_lazy("%(config)s: %(entries)s interest entries credited.")
                    % {"config": config, "entries": run.entries},
                    messages.SUCCESS,
                )


@admin.register(ContributionRecord)
class ContributionRecordAdmin(PersonSearchMixin, ReadOnlyAdminMixin, RegistryAdmin):
    """Read-only: amounts are computed by `contributions_record` from the province's figures, and a
    correction goes through the services too."""

    scope_province_field = "province"

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
    """Interest, transfer and correction entries of the personal accounts, each with its cause.
    Read-only: append-only in the database."""

    scope_province_field = "province"

    list_display = (
        "person",
        "province",
        "scheme",
        "kind",
        "amount",
        "period",
        "interest_run",
        "transfer_id",
        "correction",
        "created_at",
    )
    list_filter = ("scheme", "kind", "province")
    list_select_related = ("person", "province", "interest_run", "correction")


@admin.register(LedgerEntry)
class LedgerEntryAdmin(AccountEntryAdmin):
    """One person's whole ledger: contribution credits, interest, transfers and corrections. Listed for a
    searched person only: across everyone, the view would sort every contribution record for each page."""

    list_display = (
        "person",
        "province",
        "scheme",
        "kind",
        "amount",
        "period",
        "contribution",
        "interest_run",
        "transfer_id",
        "correction",
        "created_at",
    )
    list_display_links = None
    list_select_related = ("person", "province", "contribution", "interest_run", "correction")
    search_help_text = gettext_lazy(
        "A full ID number, or the beginning of a name: the ledger is shown person by person."
    )

    def get_search_results(self, request, queryset, search_term):
        if not search_term.strip():
            return queryset.none(), False
        return super().get_search_results(request, queryset, search_term)

    def get_object(self, request, object_id, from_field=None):
        # Through the source row's key: the view's text id has no index.
        return self.get_queryset(request).with_id(object_id).first()


@admin.register(InterestRun)
class InterestRunAdmin(ReadOnlyAdminMixin, RegistryAdmin):
    """Every crediting of interest, by whom and up to which month. Written by `account_interest_credit`
    (the province figures' action runs it for a year)."""

    scope_province_field = "province"

    list_display = ("ran_at", "province", "scheme", "up_to_period", "entries", "total", "channel", "run_by")
    list_filter = ("scheme", "province", "year", "channel")
    list_select_related = ("province", "run_by")


class AccountCorrectionAddForm(ServiceAddForm):
    # The admin's request sets who proposes (AccountCorrectionAdmin.get_form).
    actor: Actor

    scheme = forms.ChoiceField(choices=[(scheme.value, scheme.label) for scheme in ACCOUNT_SCHEMES])

    class Meta:
        model = AccountCorrection
        fields = ("person", "scheme", "province", "amount", "period", "reason")
        help_texts = {"period": gettext_lazy("The month (YYYYMM) the entry belongs to.")}

    def clean_period(self) -> int:
        return parsed(period_parse, self.cleaned_data["period"])

    def create(self, data: dict) -> AccountCorrection:
        return account_correction_propose(
            person=data["person"],
            scheme=data["scheme"],
            province_id=data["province"].code,
            amount=data["amount"],
            period=data["period"],
            reason=data["reason"],
            proposed_by=self.actor,
        )


@admin.register(AccountCorrection)
class AccountCorrectionAdmin(PersonSearchMixin, ServiceAddAdminMixin, ChangeReadOnlyMixin, RegistryAdmin):
    """Proposed here through `account_correction_propose`; approved by another person with the action,
    which writes the ledger entry. A correction itself is never edited: its moves are its history."""

    scope_province_field = "province"
    add_form = AccountCorrectionAddForm
    add_fields = AccountCorrectionAddForm.Meta.fields
    raw_id_fields = ("person",)
    list_display = (
        "id",
        "person",
        "scheme",
        "province",
        "amount",
        "period",
        "status",
        "proposed_by",
        "decided_by",
    )
    list_filter = ("status", "scheme", "province")
    list_select_related = ("person", "province", "proposed_by", "decided_by")
    actions = ["approve_corrections"]

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        if obj is None:
            form.actor = Actor.admin(request.user)  # a class made for this request
        return form

    def get_readonly_fields(self, request, obj=None):
        return (*super().get_readonly_fields(request, obj), "moves") if obj else ()

    @admin.display(description=gettext_lazy("Moves"))
    def moves(self, correction: AccountCorrection):
        return format_html_join(
            "",
            gettext_lazy("<div>{} {} &rarr; {} by user {} ({}): {}</div>"),
            (
                (f"{e.at:%Y-%m-%d %H:%M}", e.from_state or "-", e.to_state, e.actor_id, e.channel, e.reason)
                for e in events_of(entity=AccountCorrection, object_id=correction.pk)
            ),
        )

    def has_approve_permission(self, request) -> bool:
        return request.user.has_perm("insurance.approve_accountcorrection")

    @admin.action(
        description=gettext_lazy("Approve the selected corrections (writes their ledger entries)"),
        permissions=["approve"],
    )
    def approve_corrections(self, request, queryset) -> None:
        for correction in queryset.order_by("pk"):
            try:
                account_correction_approve(correction=correction, approved_by=Actor.admin(request.user))
            except ApplicationError as refusal:
                self.message_user(
                    request,
                    gettext_lazy("Correction %(pk)s: %(message)s")
                    % {"pk": correction.pk, "message": refusal.message},
                    messages.ERROR,
                )
            else:
                self.message_user(
                    request,
                    gettext_lazy("Correction %(pk)s approved.") % {"pk": correction.pk},
                    messages.SUCCESS,
                )
