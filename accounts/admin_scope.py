"""The admin as a back office: each signed-in user sees and changes only what their scope and role allow.

Every ModelAdmin of a table that belongs to a province or to a person inherits `ProvinceScopedAdmin` and
says how its rows belong, with one of:

    scope_province_field = "province"     # rows of one province (relationships, contributions, jobs ...)
    scope_person_field = "person"         # rows about a person (certificates, inbox ...): seen when the
                                          # person is (accounts.scope.Scope.persons_filter)
    scope_person_field = ""               # the row is the person itself (InsuredPerson)

An administrator sees every row, agency staff the rows of their province, anyone else nothing. The same
scope applies to the change list, the change and delete pages, actions (they receive the scoped queryset),
search and autocomplete (which reads the scoped queryset of the target model's admin), and to the choices
of the foreign keys on its forms: a clerk can pick only their own province, and only people they may see.

What a role may do is Django permissions held by the role's group (accounts.roles, created by a data
migration): `has_*_permission` asks for them, and `@admin.action(permissions=[...])` gates each action.
Actions and add forms write only through the services, which apply the business rules again.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.core.exceptions import ImproperlyConfigured
from django.db.models import ForeignKey, Model, QuerySet
from django.forms import ModelChoiceField
from django.http import HttpRequest

from accounts.scope import Scope


class ProvinceScopedAdmin(admin.ModelAdmin):
    """A ModelAdmin restricted to the signed-in user's scope. Set `scope_province_field` or
    `scope_person_field` (see the module docstring); tests/accounts/test_admin_scope.py fails when a
    registered admin of a table with a province or a person is not scoped."""

    scope_province_field: str | None = None
    scope_person_field: str | None = None

    # What the user may see --------------------------------------------------------------------------

    def scope_filter(self, queryset: QuerySet, scope: Scope) -> QuerySet:
        """`queryset` restricted to what `scope` may see of this model."""
        if scope.is_administrator:
            return queryset
        if self.scope_province_field is not None:
            if not scope.is_agency:
                return queryset.none()
            return queryset.filter(**{self.scope_province_field: scope.province_code})
        if self.scope_person_field is None:
            raise ImproperlyConfigured(f"{type(self).__name__} sets neither scope field")
        prefix = f"{self.scope_person_field}__" if self.scope_person_field else ""
        return scope.filter_persons(
            queryset,
            id_hash_field=f"{prefix}id_number_hash",
            province_field=f"{prefix}relationships__province",
        )

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return self.scope_filter(super().get_queryset(request), Scope.of(request.user))

    def in_scope(self, request: HttpRequest, obj: Model | None) -> bool:
        """Is `obj` (None: the table as a whole) within the user's scope?"""
        scope = Scope.of(request.user)
        if obj is None or obj.pk is None or scope.is_administrator:
            return True
        if self.scope_province_field is not None:
            return scope.is_agency and _value_at(obj, self.scope_province_field) == scope.province_code
        # Through the person's own row (indexed), not this table's, which may be a view without an index.
        if self.scope_person_field:
            field: Any = self.model._meta.get_field(self.scope_person_field)
            people = field.related_model._default_manager.filter(pk=getattr(obj, field.attname))
        else:
            people = self.model._default_manager.filter(pk=obj.pk)
        return scope.filter_persons(people).exists()

    def has_view_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return super().has_view_permission(request, obj) and self.in_scope(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return super().has_change_permission(request, obj) and self.in_scope(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return super().has_delete_permission(request, obj) and self.in_scope(request, obj)

    # What the user may pick on a form ---------------------------------------------------------------

    def formfield_for_foreignkey(
        self, db_field: ForeignKey, request: HttpRequest, **kwargs: Any
    ) -> ModelChoiceField | None:
        formfield = super().formfield_for_foreignkey(db_field, request, **kwargs)
        scope = Scope.of(request.user)
        if formfield is None or formfield.queryset is None or scope.is_administrator:
            return formfield
        related_admin = self.admin_site._registry.get(db_field.related_model)  # type: ignore[arg-type]
        if isinstance(related_admin, ProvinceScopedAdmin):
            # A person, employer ... that the user may not see cannot be chosen either (raw id fields and
            # autocompletes validate against this queryset).
            formfield.queryset = related_admin.scope_filter(formfield.queryset, scope)
        elif db_field.name == self.scope_province_field:
            formfield.queryset = formfield.queryset.filter(
                pk=scope.province_code if scope.is_agency else None
            )
        return formfield

    def get_list_filter(self, request: HttpRequest) -> Any:
        # A provincial user's list holds one province: a filter offering the others would only mislead.
        list_filter = super().get_list_filter(request)
        if Scope.of(request.user).is_administrator or self.scope_province_field is None:
            return list_filter
        return tuple(f for f in list_filter if f != self.scope_province_field)


def _value_at(obj: Any, path: str) -> Any:
    """The key at `path` ("province", "job__province") of `obj`: the last step's id, without loading it."""
    *steps, last = path.split("__")
    for step in steps:
        obj = getattr(obj, step)
    field: Any = obj._meta.get_field(last)
    return getattr(obj, field.attname)
