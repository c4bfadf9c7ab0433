"""Shared pieces of the insurance admin.

Every admin here is an accounts.admin_scope.ProvinceScopedAdmin: agency staff see and change only their
province's rows, with their role's permissions. Built for tables of millions of rows: ID numbers are
found only through their keyed hash, lists show them masked, counts above a threshold come from the
planner's estimate, and lists are ordered by the primary key only. Every rule-bearing write goes through
the services: objects are created by them (a refusal is a form error and nothing is written), and what
they alone may change is read-only here.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cached_property
from typing import Any, TypeVar

from django import forms
from django.core.exceptions import EmptyResultSet, PermissionDenied
from django.core.paginator import Paginator
from django.db import connections
from django.db.models import Model, QuerySet
from simple_history.admin import SimpleHistoryAdmin

from accounts.admin_scope import ProvinceScopedAdmin
from accounts.scope import Scope
from core.admin import IdentityNumberSearchMixin
from core.exceptions import ApplicationError
from core.states import Actor


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


class RegistryAdmin(ProvinceScopedAdmin):
    """Defaults for every registry table: scoped to the user's province, cheap lists, and no deletion (the
    registry's records are corrected through the services, never deleted; the delete page would also list
    every protected row)."""

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

    # Who acts and what they may see, set by ServiceAddAdminMixin on the form class it builds for each
    # request.
    actor: Actor
    scope: Scope

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
        form = super().get_form(request, obj, **kwargs)
        if obj is None:
            # The class is built anew for this request.
            form.actor, form.scope = Actor.admin(request.user), Scope.of(request.user)
        return form

    def save_model(self, request, obj, form, change) -> None:
        # On the add page the service has already written the object while the form was validated.
        if change:
            super().save_model(request, obj, form, change)
