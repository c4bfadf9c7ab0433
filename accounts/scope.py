"""Who may see which person and act for which province: decided here and nowhere else.

Selectors in every app build their querysets through a `Scope`:

    scope = Scope.of(request.user)
    persons = scope.filter_persons(InsuredPerson.objects.all())
    scope.require_province(transfer.to_province_id)
"""

from __future__ import annotations

from dataclasses import dataclass

from django.apps import apps
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from accounts.models import PROVINCIAL_ROLES, Role, User
from core.exceptions import ForbiddenError

# Matches no row, without a query of its own.
_NOTHING = Q(pk__in=[])


@dataclass(frozen=True, slots=True)
class Scope:
    """The part of a user that decides what they may see. `role` is None for anonymous or disabled users,
    who see nothing."""

    role: Role | None
    province_code: str | None = None
    id_number_hash: str | None = None

    @classmethod
    def of(cls, user: AbstractBaseUser | AnonymousUser) -> Scope:
        if not isinstance(user, User) or not user.is_active:  # anonymous, or not signed in as a user
            return cls(role=None)
        return cls(role=Role(user.role), province_code=user.province_id, id_number_hash=user.id_number_hash)

    @classmethod
    def of_province(cls, code: str) -> Scope:
        """What the agency of province `code` sees: an import job acts for its file's province."""
        return cls(role=Role.AGENCY_SYSTEM, province_code=code)

    @property
    def is_administrator(self) -> bool:
        return self.role == Role.ADMINISTRATOR

    @property
    def is_agency(self) -> bool:
        return self.role in PROVINCIAL_ROLES and self.province_code is not None

    def persons_filter(
        self, *, id_hash_field: str = "id_number_hash", province_field: str = "relationships__province"
    ) -> Q:
        """A Q restricting a queryset of people: a citizen to themself (matched by the keyed hash of the
        ID number), agency users to people with an insurance relationship in their province, service
        points to nobody, administrators to nobody less than everyone.

        The province condition crosses a to-many relation and may repeat a person; `filter_persons`
        applies it without repeats."""
        if self.is_administrator:
            return Q()
        if self.role == Role.CITIZEN and self.id_number_hash:
            return Q(**{id_hash_field: self.id_number_hash})
        if self.is_agency:
            return Q(**{province_field: self.province_code})
        return _NOTHING

    def filter_persons(
        self,
        queryset: QuerySet,
        *,
        id_hash_field: str = "id_number_hash",
        province_field: str = "relationships__province",
    ) -> QuerySet:
        if self.is_administrator:
            return queryset
        condition = self.persons_filter(id_hash_field=id_hash_field, province_field=province_field)
        if condition == _NOTHING:
            return queryset.none()
        if not self.is_agency:
            # A citizen's condition is on the person row itself: one indexed look-up, nothing to repeat.
            return queryset.filter(condition)
        matching = queryset.model._base_manager.filter(condition).values("pk")
        return queryset.filter(pk__in=matching)

    def persons_sql(self, person: str) -> tuple[str, list] | None:
        """`persons_filter` as an SQL condition on the insured-person table aliased `person`, with its
        parameters; None when the user sees nobody. For the hand-written reads of one person that run on
        nearly every request (insurance.selectors); tests/accounts/test_scope.py holds the two to the
        same people."""
        if self.is_administrator:
            return "TRUE", []
        if self.role == Role.CITIZEN and self.id_number_hash:
            return f"{person}.id_number_hash = %s", [self.id_number_hash]
        if self.is_agency:
            relationships = apps.get_model("insurance", "InsuranceRelationship")._meta.db_table
            return (
                f"EXISTS (SELECT FROM {relationships} relationship"
                f" WHERE relationship.person_id = {person}.id AND relationship.province_id = %s)",
                [self.province_code],
            )
        return None

    def allows_province(self, code: str) -> bool:
        """May this user act for the agency of province `code`?"""
        return self.is_administrator or (self.is_agency and self.province_code == code)

    def require_province(self, code: str) -> None:
        if not self.allows_province(code):
            raise ForbiddenError(
                "province_out_of_scope",
                _("You may not act for province %(code)s: it is outside your scope.") % {"code": code},
            )
