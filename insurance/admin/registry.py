"""Admin for persons, employers and relationships."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, Subquery
from django.http import Http404, HttpResponseNotAllowed
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy

from accounts.scope import Scope
from core.admin import IdentityNumberSearchMixin
from core.exceptions import ApplicationError, ConflictError
from core.identity import IdentityNumber
from core.states import Actor
from insurance import selectors
from insurance.admin.base import (
    ChangeReadOnlyMixin,
    HistoryAdmin,
    PersonSearchMixin,
    RegistryAdmin,
    ServiceAddAdminMixin,
    ServiceAddForm,
    parsed,
)
from insurance.employer_codes import UnifiedSocialCreditCode
from insurance.models import (
    Employer,
    InsuranceRelationship,
    InsuredPerson,
    Transfer,
    TransferKind,
)
from insurance.periods import period_of, period_parse
from insurance.services.persons import PersonDetails, person_register
from insurance.services.relationships import (
    Enrolment,
    relationship_open,
    relationship_resume,
    relationship_suspend,
)


class PersonAddForm(ServiceAddForm):
    id_number = forms.CharField(
        label=gettext_lazy("ID number"), max_length=18, help_text=gettext_lazy("The 18-character ID number.")
    )

    class Meta:
        model = InsuredPerson
        fields = ("name", "hukou_province", "residence_province", "phone")
        help_texts = {"hukou_province": gettext_lazy("Leave empty for the ID number's province.")}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["hukou_province"].required = False

    def clean_id_number(self) -> IdentityNumber:
        return parsed(IdentityNumber.parse, self.cleaned_data["id_number"])

    def create(self, data: dict) -> InsuredPerson:
        details = PersonDetails(
            id_number=data["id_number"],
            name=data["name"],
            hukou_province=data["hukou_province"].code if data["hukou_province"] else None,
            residence_province=data["residence_province"].code if data["residence_province"] else None,
            phone=data["phone"],
        )
        if selectors.person_is_registered(id_number=details.id_number):
            raise ConflictError(
                "person_already_registered",
                gettext_lazy("A person with this ID number is already registered."),
            )
        person, _ = person_register(details=details, scope=self.scope, actor=self.actor)
        return person


# Related lists of a person, linked from the person's page: (admin model name, label).
PERSON_RECORDS = (
    ("insurancerelationship", gettext_lazy("Relationships")),
    ("contributionrecord", gettext_lazy("Contributions")),
    ("accountentry", gettext_lazy("Personal account ledger")),
    ("participationcertificate", gettext_lazy("Certificates")),
    ("inboxmessage", gettext_lazy("Inbox messages")),
    ("identityreadlog", gettext_lazy("Reads of the full ID number")),
)


@admin.register(InsuredPerson)
class InsuredPersonAdmin(IdentityNumberSearchMixin, ServiceAddAdminMixin, HistoryAdmin):
    """Persons are registered through `person_register`. Contact and residence details can be corrected
    here; status and death go through `person_register_death`, which also closes the relationships.
    Lists and pages show the ID number masked; the full one is revealed on request, through
    `selectors.person_id_number_reveal`, which logs the read."""

    scope_person_field = ""
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
        (gettext_lazy("Identity"), {"fields": ("id_number_with_reveal", "name", "sex", "birth_date")}),
        (
            gettext_lazy("Provinces and contact"),
            {"fields": ("hukou_province", "residence_province", "phone")},
        ),
        (gettext_lazy("Status"), {"fields": ("status", "date_of_death")}),
        (gettext_lazy("Records"), {"fields": ("records", "created_at", "updated_at")}),
    )
    readonly_fields = (
        "id_number_with_reveal",
        "sex",
        "birth_date",
        "status",
        "date_of_death",
        "records",
        "created_at",
        "updated_at",
    )

    @admin.display(description=gettext_lazy("ID number"))
    def masked_id_number(self, person: InsuredPerson) -> str:
        return person.id_number_masked

    @admin.display(description=gettext_lazy("ID number"))
    def id_number_with_reveal(self, person: InsuredPerson) -> str:
        return format_html(
            gettext_lazy('{} <a href="{}">Show the full ID number</a> (the read is logged)'),
            person.id_number_masked,
            reverse("admin:insurance_insuredperson_id_number", args=[person.pk]),
        )

    @admin.display(description=gettext_lazy("Records"))
    def records(self, person: InsuredPerson) -> str:
        return format_html_join(
            " · ",
            '<a href="{}?person__id__exact={}">{}</a>',
            (
                (reverse(f"admin:insurance_{model_name}_changelist"), person.pk, label)
                for model_name, label in PERSON_RECORDS
            ),
        )

    def get_urls(self):
        reveal = path(
            "<path:object_id>/id-number/",
            self.admin_site.admin_view(self.id_number_view),
            name="insurance_insuredperson_id_number",
        )
        return [reveal, *super().get_urls()]

    def id_number_view(self, request, object_id):
        """Asks first (GET) and reveals the full ID number on confirmation (POST): following a link, or a
        browser fetching one ahead, never reveals a number and logs a read by itself."""
        if request.method not in ("GET", "POST"):
            return HttpResponseNotAllowed(["GET", "POST"])
        person = self.get_object(request, unquote(object_id))
        if person is None:
            raise Http404(gettext_lazy("No such person."))
        if not self.has_view_permission(request, person):
            raise PermissionDenied
        revealed = None
        if request.method == "POST":
            revealed = selectors.person_id_number_reveal(
                reader=request.user, person=person, endpoint=request.path
            )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": gettext_lazy("ID number of %(person)s") % {"person": person},
            "person": person,
            "id_number": revealed,
        }
        return TemplateResponse(request, "admin/insurance/insuredperson/id_number.html", context)


class EmployerForm(forms.ModelForm):
    class Meta:
        model = Employer
        fields = ("code", "name", "province")

    def clean_code(self) -> str:
        return parsed(UnifiedSocialCreditCode.parse, self.cleaned_data["code"]).value


@admin.register(Employer)
class EmployerAdmin(RegistryAdmin):
    scope_province_field = "province"
    form = EmployerForm
    list_display = ("code", "name", "province")
    list_filter = ("province",)
    list_select_related = ("province",)
    search_fields = ("=code", "name__startswith")
    search_help_text = gettext_lazy("A full unified social credit code (exact), or the beginning of a name.")

    def get_readonly_fields(self, request, obj=None):
        # The code identifies the employer on its contribution records: it is never edited.
        return ("code",) if obj else ()


class RelationshipAddForm(ServiceAddForm):
    approved_transfer = forms.BooleanField(
        required=False,
        help_text=gettext_lazy("An officially approved transfer (批准调动): no temporary account is opened."),
    )

    class Meta:
        model = InsuranceRelationship
        fields = ("person", "scheme", "province", "opened_period", "employer")
        help_texts = {
            "opened_period": gettext_lazy(
                "The first month (YYYYMM). A suspended relationship in the same scheme and "
                "province is resumed instead."
            )
        }

    def clean_opened_period(self) -> int:
        return parsed(period_parse, self.cleaned_data["opened_period"])

    def create(self, data: dict) -> InsuranceRelationship:
        enrolment = Enrolment(
            person_id=data["person"].pk,
            scheme=data["scheme"],
            province_id=data["province"].code,
            start_period=data["opened_period"],
            employer_id=data["employer"].pk if data["employer"] else None,
            approved_transfer=data["approved_transfer"],
        )
        return relationship_open(enrolment=enrolment, actor=self.actor)


@admin.register(InsuranceRelationship)
class InsuranceRelationshipAdmin(PersonSearchMixin, ServiceAddAdminMixin, ChangeReadOnlyMixin, HistoryAdmin):
    """Opened through `relationship_open`; status moves (suspension, transfer, closing) only through their
    services, so an existing relationship is read-only here."""

    scope_province_field = "province"
    add_form = RelationshipAddForm
    add_fields = ("person", "scheme", "province", "opened_period", "employer", "approved_transfer")
    raw_id_fields = ("person", "employer")
    list_display = (
        "id",
        "person",
        "scheme",
        "province",
        "status",
        "is_temporary_account",
        "opened_period",
        "closed_period",
        "gathered_to",
    )
    list_filter = ("scheme", "province", "status", "is_temporary_account")
    list_select_related = ("person", "province")
    actions = ("suspend_this_month", "resume_this_month")

    def get_queryset(self, request):
        # A sealed temporary account shows where its gathering took it: a subquery for the page's rows.
        gathering = Transfer.objects.filter(
            person_id=OuterRef("person_id"), kind=TransferKind.GATHERING, from_relationship_id=OuterRef("pk")
        )
        return (
            super()
            .get_queryset(request)
            .annotate(gathered_to_province=Subquery(gathering.values("to_province_id")[:1]))
        )

    @admin.display(description=gettext_lazy("gathered to"))
    def gathered_to(self, relationship: InsuranceRelationship) -> str:
        return relationship.gathered_to_province or "-"  # type: ignore[attr-defined]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        formfield = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "person" and not Scope.of(request.user).is_administrator:
            # As for a registration through the API: a person insured nowhere yet may be enrolled by any
            # province, besides the people the user already sees.
            insured_nowhere = ~Exists(InsuranceRelationship.objects.filter(person=OuterRef("pk")))
            formfield.queryset = InsuredPerson.objects.filter(
                Q(pk__in=formfield.queryset.values("pk")) | insured_nowhere
            )
        return formfield

    def has_suspend_permission(self, request) -> bool:
        return request.user.has_perm("insurance.suspend_insurancerelationship")

    @admin.action(description=gettext_lazy("Suspend payment (停保) from this month"), permissions=["suspend"])
    def suspend_this_month(self, request, queryset) -> None:
        self._each(
            request,
            queryset,
            relationship_suspend,
            gettext_lazy("%(relationship)s: suspended from %(period)s."),
        )

    @admin.action(description=gettext_lazy("Resume payment from this month"), permissions=["suspend"])
    def resume_this_month(self, request, queryset) -> None:
        self._each(
            request, queryset, relationship_resume, gettext_lazy("%(relationship)s: resumed from %(period)s.")
        )

    def _each(self, request, queryset, move, done: str) -> None:
        """Apply a move to each selected relationship through its service, from the current month."""
        period = period_of(timezone.localdate())
        for relationship in queryset:
            try:
                with transaction.atomic():
                    move(relationship=relationship, period=period, actor=Actor.admin(request.user))
            except ApplicationError as refusal:
                self.message_user(
                    request,
                    gettext_lazy("%(relationship)s: %(message)s")
                    % {"relationship": relationship, "message": refusal.message},
                    messages.ERROR,
                )
            else:
                self.message_user(request, done % {"relationship": relationship, "period": period})
