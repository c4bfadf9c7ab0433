"""Admin for the insurance registry.

Built for tables of millions of rows: ID numbers are found only through their keyed hash, lists show them
masked, counts above a threshold come from the planner's estimate, and lists are ordered by the primary
key only. Every rule-bearing write goes through the services: objects are created by them (a refusal is a
form error and nothing is written), and what they alone may change is read-only here.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cached_property
from typing import Any, TypeVar

from django import forms
from django.contrib import admin
from django.core.exceptions import EmptyResultSet, PermissionDenied
from django.core.paginator import Paginator
from django.db import connections
from django.db.models import Model, QuerySet
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe
from simple_history.admin import SimpleHistoryAdmin

from core.admin import IdentityNumberSearchMixin
from core.exceptions import ApplicationError
from core.identity import IdentityNumber
from insurance.employer_codes import UnifiedSocialCreditCode
from insurance.models import (
    AccountEntry,
    ContributionRate,
    ContributionRecord,
    Employer,
    IdentityReadLog,
    ImportJob,
    InsuranceRelationship,
    InsuredPerson,
    ParticipationCertificate,
    ProvinceYearConfig,
)
from insurance.periods import period_parse
from insurance.services.persons import identity_read_record, person_register
from insurance.services.relationships import relationship_open
from insurance.services.tariffs import province_year_config_create


class EstimatedCountPaginator(Paginator):
    """Counts exactly while the planner expects few rows; above `exact_count_limit` it shows the planner's
    estimate instead, because an exact COUNT(*) over millions of rows takes seconds on every page view."""

    exact_count_limit = 10_000

    @cached_property
    def count(self) -> int:
        estimate = planner_row_estimate(self.object_list)
        return estimate if estimate > self.exact_count_limit else super().count


def planner_row_estimate(queryset: QuerySet) -> int:
    try:
        sql, params = queryset.query.sql_with_params()
    except EmptyResultSet:  # e.g. .none(): the database is not asked at all
        return 0
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        (plan,) = cursor.fetchone()
    if isinstance(plan, str):
        plan = json.loads(plan)
    return int(plan[0]["Plan"]["Plan Rows"])


class RegistryAdmin(admin.ModelAdmin):
    """Defaults for every registry table: cheap lists, and no deletion (the registry's records are corrected
    through the services, never deleted; the delete page would also list every protected row)."""

    paginator = EstimatedCountPaginator
    show_full_result_count = False
    # Sorting by an unindexed column would sort the whole table for every page.
    ordering = ("-pk",)
    sortable_by = ()

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class ChangeReadOnlyMixin:
    """Rows that only the services change: every field is shown, none can be edited."""

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields if not field.primary_key]


class ReadOnlyAdminMixin(ChangeReadOnlyMixin):
    """Rows written only by the services (or, for the ledger, append-only in the database too)."""

    def has_add_permission(self, request) -> bool:
        return False


class HistoryAdmin(RegistryAdmin, SimpleHistoryAdmin):
    """Shows every version of a row. Reverting is off: it writes the whole old row back past the services
    (a relationship's status, a person's death), and a person's history holds no ID ciphertext to restore."""

    def revert_disabled(self, request, obj=None) -> bool:
        return True

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        # simple-history only hides the revert button; a POST would still save the old version.
        if request.method == "POST":
            raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)


class PersonSearchMixin(IdentityNumberSearchMixin):
    """Search of a table about persons (contributions, ledger ...) by the person's ID number or name."""

    id_number_hash_lookup = "person__id_number_hash"
    search_fields = ("person__name__startswith",)


T = TypeVar("T")


def parsed(parse: Callable[[Any], T], value: Any) -> T:
    """Parses form input with a domain parser; its refusal becomes the field's error."""
    try:
        return parse(value)
    except ApplicationError as error:
        raise forms.ValidationError(error.message, code=error.code) from None


class ServiceAddForm(forms.ModelForm):
    """An add form whose object is created by a service. The form parses the input; the service applies
    the rules and writes, in place of model validation (which would duplicate the rules, and refuse what
    the service allows, such as resuming a suspended relationship). A refusal becomes a form error, and the
    service's transaction leaves nothing written."""

    def create(self, data: dict) -> Model:
        raise NotImplementedError

    def _post_clean(self) -> None:
        # The admin's add view runs in a transaction and saves right after a valid form (there are no
        # inlines on an add page here), so writing at this point leaves no gap for a later failure.
        if self.errors:
            return
        try:
            self.instance = self.create(self.cleaned_data)
        except ApplicationError as error:
            field = next((name for name in error.fields if name in self.fields), None)
            self.add_error(field, error.message)


class ServiceAddAdminMixin:
    """Uses `add_form` (a ServiceAddForm) with `add_fields` on the add page; the change page is the
    admin's usual one."""

    add_form: type[ServiceAddForm]
    add_fields: tuple[str, ...]

    def get_fieldsets(self, request, obj=None):
        return [(None, {"fields": self.add_fields})] if obj is None else super().get_fieldsets(request, obj)

    def get_readonly_fields(self, request, obj=None):
        return super().get_readonly_fields(request, obj) if obj else ()

    def get_inlines(self, request, obj):
        # The service creates the related rows itself; an inline on the add page would be ignored.
        return super().get_inlines(request, obj) if obj else []

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = self.add_form
        return super().get_form(request, obj, **kwargs)

    def save_model(self, request, obj, form, change) -> None:
        # On the add page the service has already written the object while the form was validated.
        if change:
            super().save_model(request, obj, form, change)


class PersonAddForm(ServiceAddForm):
    id_number = forms.CharField(label="ID number", max_length=18, help_text="The 18-character ID number.")

    class Meta:
        model = InsuredPerson
        fields = ("name", "hukou_province", "residence_province", "phone")
        help_texts = {"hukou_province": "Leave empty for the ID number's province."}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["hukou_province"].required = False

    def clean_id_number(self) -> IdentityNumber:
        return parsed(IdentityNumber.parse, self.cleaned_data["id_number"])

    def create(self, data: dict) -> InsuredPerson:
        return person_register(
            id_number=data["id_number"],
            name=data["name"],
            hukou_province=data["hukou_province"].code if data["hukou_province"] else None,
            residence_province=data["residence_province"].code if data["residence_province"] else None,
            phone=data["phone"],
        )


# Related lists of a person, linked from the person's page: (admin model name, label).
PERSON_RECORDS = (
    ("insurancerelationship", "Relationships"),
    ("contributionrecord", "Contributions"),
    ("accountentry", "Personal account ledger"),
    ("participationcertificate", "Certificates"),
    ("identityreadlog", "Reads of the full ID number"),
)


@admin.register(InsuredPerson)
class InsuredPersonAdmin(IdentityNumberSearchMixin, ServiceAddAdminMixin, HistoryAdmin):
    """Persons are registered through `person_register`. Contact and residence details can be corrected
    here; status and death go through `person_register_death`, which also closes the relationships."""

    add_form = PersonAddForm
    add_fields = ("id_number", "name", "hukou_province", "residence_province", "phone")
    list_display = (
        "name",
        "masked_id_number",
        "sex",
        "birth_date",
        "hukou_province",
        "residence_province",
        "status",
    )
    list_filter = ("status", "hukou_province", "residence_province", "sex")
    list_select_related = ("hukou_province", "residence_province")
    search_fields = ("name__startswith",)
    fieldsets = (
        ("Identity", {"fields": ("full_id_number", "name", "sex", "birth_date")}),
        ("Provinces and contact", {"fields": ("hukou_province", "residence_province", "phone")}),
        ("Status", {"fields": ("status", "date_of_death")}),
        ("Records", {"fields": ("records", "created_at", "updated_at")}),
    )
    readonly_fields = (
        "full_id_number",
        "sex",
        "birth_date",
        "status",
        "date_of_death",
        "records",
        "created_at",
        "updated_at",
    )

    @admin.display(description="ID number")
    def masked_id_number(self, person: InsuredPerson) -> str:
        return person.id_number_masked

    @admin.display(description="ID number (full: every view of this page is logged)")
    def full_id_number(self, person: InsuredPerson) -> str:
        # Every page that renders it (change_view, history_form_view) records the read in IdentityReadLog.
        return person.id_number or "-"

    @admin.display(description="Records")
    def records(self, person: InsuredPerson) -> str:
        return format_html_join(
            " · ",
            '<a href="{}?person__id__exact={}">{}</a>',
            (
                (reverse(f"admin:insurance_{model_name}_changelist"), person.pk, label)
                for model_name, label in PERSON_RECORDS
            ),
        )

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        # Log only a page that is about to show the full number (not a redirect after saving, not a 404).
        if isinstance(response, TemplateResponse) and response.context_data.get("original") is not None:
            identity_read_record(
                reader=request.user, person=response.context_data["original"], endpoint=request.path
            )
        return response

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        response = super().history_form_view(request, object_id, version_id, extra_context)
        # An old version is shown with the current ID number: simple-history reloads excluded fields (the
        # ciphertext) from the live row.
        person = self.get_object(request, object_id)
        if person is not None:
            identity_read_record(reader=request.user, person=person, endpoint=request.path)
        return response


class EmployerForm(forms.ModelForm):
    class Meta:
        model = Employer
        fields = ("code", "name", "province")

    def clean_code(self) -> str:
        return parsed(UnifiedSocialCreditCode.parse, self.cleaned_data["code"]).value


@admin.register(Employer)
class EmployerAdmin(RegistryAdmin):
    form = EmployerForm
    list_display = ("code", "name", "province")
    list_filter = ("province",)
    list_select_related = ("province",)
    search_fields = ("=code", "name__startswith")
    search_help_text = "A full unified social credit code (exact), or the beginning of a name."

    def get_readonly_fields(self, request, obj=None):
        # The code identifies the employer on its contribution records: it is never edited.
        return ("code",) if obj else ()


class RelationshipAddForm(ServiceAddForm):
    approved_transfer = forms.BooleanField(
        required=False,
        help_text="An officially approved transfer (批准调动): no temporary account is opened.",
    )

    class Meta:
        model = InsuranceRelationship
        fields = ("person", "scheme", "province", "opened_period")
        help_texts = {
            "opened_period": "The first month (YYYYMM). A suspended relationship in the same scheme and "
            "province is resumed instead."
        }

    def clean_opened_period(self) -> int:
        return parsed(period_parse, self.cleaned_data["opened_period"])

    def create(self, data: dict) -> InsuranceRelationship:
        return relationship_open(
            person=data["person"],
            scheme=data["scheme"],
            province_id=data["province"].code,
            opened_period=data["opened_period"],
            approved_transfer=data["approved_transfer"],
        )


@admin.register(InsuranceRelationship)
class InsuranceRelationshipAdmin(PersonSearchMixin, ServiceAddAdminMixin, ChangeReadOnlyMixin, HistoryAdmin):
    """Opened through `relationship_open`; status moves (suspension, transfer, closing) only through their
    services, so an existing relationship is read-only here."""

    add_form = RelationshipAddForm
    add_fields = ("person", "scheme", "province", "opened_period", "approved_transfer")
    raw_id_fields = ("person",)
    list_display = (
        "id",
        "person",
        "scheme",
        "province",
        "status",
        "is_temporary_account",
        "opened_period",
        "closed_period",
    )
    list_filter = ("scheme", "province", "status", "is_temporary_account")
    list_select_related = ("person", "province")


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
    list_display = (
        "province",
        "year",
        "average_monthly_wage",
        "base_floor_ratio",
        "base_ceiling_ratio",
        "account_interest_rate",
    )
    list_filter = ("province", "year")
    list_select_related = ("province",)
    ordering = ("province", "-year")
    fields = add_fields
    readonly_fields = ("province", "year")


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
    """The personal-account ledger: append-only (a database trigger refuses UPDATE and DELETE)."""

    list_display = ("person", "province", "kind", "amount", "period", "created_at")
    list_filter = ("kind", "province")
    list_select_related = ("person", "province")


@admin.register(IdentityReadLog)
class IdentityReadLogAdmin(PersonSearchMixin, ReadOnlyAdminMixin, RegistryAdmin):
    """Who read whose full ID number, when, and through which endpoint (PIPL Art. 28)."""

    list_display = ("read_at", "reader", "person", "endpoint")
    list_filter = ("reader__role",)
    list_select_related = ("reader", "person")
    search_fields = ("=reader__username", "person__name__startswith")
    search_help_text = "A full ID number (exact), a reader's username (exact), or the beginning of a name."


@admin.register(ParticipationCertificate)
class ParticipationCertificateAdmin(PersonSearchMixin, ReadOnlyAdminMixin, RegistryAdmin):
    """Certificates as issued: their content is hashed into the copy anyone can verify, so it is never
    edited. The stored content carries the masked ID number only."""

    list_display = ("verification_code", "person", "issued_at")
    list_select_related = ("person",)
    search_fields = ("=verification_code", "person__name__startswith")
    search_help_text = "A full ID number or verification code (exact), or the beginning of a name."


@admin.register(ImportJob)
class ImportJobAdmin(ReadOnlyAdminMixin, RegistryAdmin):
    """Batch import jobs as the runner left them; uploads, cancellations and re-runs go through the API."""

    list_display = (
        "id", "kind", "province", "state", "rows_total", "rows_accepted", "rows_rejected", "dry_run",
        "uploaded_by", "created_at", "finished_at",
    )  # fmt: skip
    list_filter = ("state", "kind", "province", "dry_run")
    list_select_related = ("province", "uploaded_by")
    search_fields = ("=file_sha256", "file_name")

    def get_readonly_fields(self, request, obj=None):
        return [*super().get_readonly_fields(request, obj), "first_row_errors"]

    @admin.display(description="First row errors (the full report is the job's CSV in the API)")
    def first_row_errors(self, job: ImportJob) -> str:
        errors = job.row_errors.order_by("row", "id").values_list("row", "column", "code", "message")[:200]
        return (
            format_html_join(
                mark_safe("<br>"),
                "row {}, {}: {} - {}",
                ((row, column or "-", code, msg) for row, column, code, msg in errors),
            )
            or "-"
        )
