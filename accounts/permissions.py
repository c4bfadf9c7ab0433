"""Role checks for API views. A refusal becomes the error envelope with code `permission_denied`
(or `not_authenticated` without credentials). Which records a role may see is decided by accounts.scope."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.views import APIView

from accounts.models import PROVINCIAL_ROLES, Role


class _HasRole(BasePermission):
    roles: tuple[Role, ...] = ()
    message = _("Your role may not do this.")

    def has_permission(self, request: Request, view: APIView) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.role in self.roles)


class IsCitizen(_HasRole):
    roles = (Role.CITIZEN,)
    message = _("Only citizens may do this.")


class IsAgencyUser(_HasRole):
    roles = PROVINCIAL_ROLES
    message = _("Only agency staff and agency systems may do this.")


class IsAgencyStaff(_HasRole):
    roles = (Role.AGENCY_STAFF,)
    message = _("Only agency staff may do this.")


class IsServicePoint(_HasRole):
    roles = (Role.SERVICE_POINT,)
    message = _("Only service points may do this.")


class IsAdministrator(_HasRole):
    roles = (Role.ADMINISTRATOR,)
    message = _("Only administrators may do this.")
