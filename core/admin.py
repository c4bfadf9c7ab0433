from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TypedDict

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Model, Q, QuerySet
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.crypto import keyed_hash
from core.exceptions import ApplicationError
from core.identity import IdentityNumber, InvalidIdentityNumber
from core.models import CalendarDay, CalendarYear, Region
from core.services import calendar_year_enter

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

    class _DayCounts(TypedDict):
        holiday_count: int
        working_weekend_count: int


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    """The 34 province-level divisions are fixed by law and seeded by a migration: only the name of each
    province's social insurance agency, printed as the issuer of its documents and round their seal, is
    entered here."""

    list_display = ("code", "name", "name_zh", "agency_name_zh")
    search_fields = ("code", "name", "name_zh")
    fields = ("code", "name", "name_zh", "agency_name_zh", "agency_name")
    readonly_fields = ("code", "name", "name_zh")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


class CalendarDayFormSet(BaseInlineFormSet):
    def clean(self) -> None:
        super().clean()
        if not self.instance.entered:
            return
        holidays = [
            form
            for form in self.forms
            if form.cleaned_data
            and not form.cleaned_data.get("DELETE")
            and not form.cleaned_data.get("is_working_day")
        ]
        if not holidays:
            raise ValidationError(_("A schedule in force keeps its holidays: at least one must remain."))


class CalendarYearForm(forms.ModelForm):
    class Meta:
        model = CalendarYear
        fields = ("year", "source")

    def clean_source(self) -> str:
        source: str = self.cleaned_data["source"].strip()
        if self.instance.entered and not source:
            raise ValidationError(_("A schedule in force must say where it comes from."))
        return source


class CalendarDayInline(admin.TabularInline):
    model = CalendarDay
    formset = CalendarDayFormSet
    fields = ("date", "is_working_day", "name")
    extra = 5


@admin.register(CalendarYear)
class CalendarYearAdmin(admin.ModelAdmin):
    """Enter a year's schedule as the State Council publishes it: weekday holidays and working weekends.

    The days are a draft until the "enter the official schedule" action puts them in force.
    """

    form = CalendarYearForm
    list_display = ("year", "entered", "source", "entered_at", "holidays", "working_weekend_days")
    list_filter = ("entered",)
    readonly_fields = ("entered", "entered_at")
    inlines = [CalendarDayInline]
    actions = ["enter_schedule"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[CalendarYear]:
        years: QuerySet[CalendarYear] = super().get_queryset(request)
        return years.annotate(
            holiday_count=Count("days", filter=Q(days__is_working_day=False)),
            working_weekend_count=Count("days", filter=Q(days__is_working_day=True)),
        )

    @admin.display(description=gettext_lazy("Weekday holidays"), ordering="holiday_count")
    def holidays(self, obj: WithAnnotations[CalendarYear, _DayCounts]) -> int:
        return obj.holiday_count

    @admin.display(description=gettext_lazy("Working weekend days"), ordering="working_weekend_count")
    def working_weekend_days(self, obj: WithAnnotations[CalendarYear, _DayCounts]) -> int:
        return obj.working_weekend_count

    def get_readonly_fields(self, request: HttpRequest, obj: CalendarYear | None = None) -> tuple[str, ...]:
        # Changing the primary key in the admin would copy the year, not rename it.
        return (*self.readonly_fields, "year") if obj else tuple(self.readonly_fields)

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        # Bulk delete would bypass the per-year rule below.
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def has_delete_permission(self, request: HttpRequest, obj: CalendarYear | None = None) -> bool:
        # Deadlines were counted with an entered year: deleting it would silently change them.
        return super().has_delete_permission(request, obj) and not (obj and obj.entered)

    @admin.action(description=gettext_lazy("Enter the official schedule (puts the listed days in force)"))
    def enter_schedule(self, request: HttpRequest, queryset: QuerySet[CalendarYear]) -> None:
        for calendar_year in queryset:
            try:
                calendar_year_enter(year=calendar_year.year, source=calendar_year.source)
            except ApplicationError as exc:
                self.message_user(
                    request,
                    _("%(year)s: %(message)s") % {"year": calendar_year.year, "message": exc.message},
                    messages.ERROR,
                )
            else:
                self.message_user(
                    request, _("%(year)s: the official schedule is in force.") % {"year": calendar_year.year}
                )

    def save_related(
        self, request: HttpRequest, form: forms.ModelForm, formsets: Sequence[BaseInlineFormSet], change: bool
    ) -> None:
        super().save_related(request, form, formsets, change)
        edited = form.has_changed() or any(formset.has_changed() for formset in formsets)
        if form.instance.entered and edited:
            # A correction to a schedule in force (the forms above keep it valid): announce it again so
            # that stored deadlines are recomputed.
            calendar_year_enter(year=form.instance.year, source=form.instance.source)


class IdentityNumberSearchMixin(admin.ModelAdmin):
    """The search box finds a full ID number (any case) exactly, through its keyed hash; any other term is
    searched in `search_fields`. The ID number is stored encrypted, so there is nothing else to match."""

    id_number_hash_lookup = "id_number_hash"
    search_help_text = gettext_lazy("A full 18-character ID number (exact), or the beginning of a name.")

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Any], search_term: str
    ) -> tuple[QuerySet[Any], bool]:
        try:
            number = IdentityNumber.parse(search_term)
        except InvalidIdentityNumber:
            return super().get_search_results(request, queryset, search_term)
        return queryset.filter(**{self.id_number_hash_lookup: keyed_hash(number.value)}), False
