"""Admin for transfers, as a back office: each province's queue of the transfers into or out of it, with
filters, and each step's action through the same services as the API (a refusal is shown, and nothing is
written). The gatherings of temporary accounts are listed with them (kind `gathering`), written completed.
The pooled-fund entries and the reconciliation alerts are read-only here."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.scope import Scope
from core.exceptions import ApplicationError
from core.states import Actor
from insurance.admin.base import ReadOnlyAdminMixin, RegistryAdmin
from insurance.models import FundEntry, ReconciliationAlert, Transfer
from insurance.services.transfers import (
    transfer_accept,
    transfer_complete,
    transfer_funds_send,
    transfer_reject,
)


class TransferActionForm(ActionForm):
    reason = forms.CharField(
        required=False, label=_("Reason"), help_text=_("Required to reject: the written reason.")
    )


class OverdueFilter(admin.SimpleListFilter):
    title = _("overdue")
    parameter_name = "overdue"

    def lookups(self, request, model_admin):
        return [("yes", _("Flagged overdue")), ("no", _("In time"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(overdue_since__isnull=False)
        if self.value() == "no":
            return queryset.filter(overdue_since__isnull=True)
        return queryset


class SideFilter(admin.SimpleListFilter):
    title = _("side")
    parameter_name = "side"

    def lookups(self, request, model_admin):
        return [("in", _("Into my province")), ("out", _("Out of my province"))]

    def queryset(self, request, queryset):
        province = Scope.of(request.user).province_code
        if self.value() == "in":
            return queryset.filter(to_province_id=province)
        if self.value() == "out":
            return queryset.filter(from_province_id=province)
        return queryset


@admin.register(Transfer)
class TransferAdmin(ReadOnlyAdminMixin, RegistryAdmin):
    """A transfer belongs to two provinces: each sees it, and each acts only on its own side's steps (the
    services' rule, applied here through `insurance.selectors`' side check)."""

    scope_province_field = "to_province"  # and from_province: see scope_filter
    action_form = TransferActionForm
    list_display = (
        "id", "person", "scheme", "kind", "from_province", "to_province", "status", "due_date",
        "due_provisional", "overdue_since",
    )  # fmt: skip
    list_filter = ("kind", "status", "scheme", OverdueFilter, SideFilter)
    list_select_related = ("person",)
    raw_id_fields = ("person",)
    actions = ("accept", "reject", "send", "complete")

    def scope_filter(self, queryset, scope: Scope):
        if scope.is_administrator:
            return queryset
        if not scope.is_agency:
            return queryset.none()
        return queryset.filter(
            Q(to_province_id=scope.province_code) | Q(from_province_id=scope.province_code)
        )

    def in_scope(self, request, obj) -> bool:
        scope = Scope.of(request.user)
        if obj is None or scope.is_administrator:
            return True
        return scope.is_agency and scope.province_code in (obj.to_province_id, obj.from_province_id)

    def has_act_permission(self, request) -> bool:
        return request.user.has_perm("insurance.act_transfer")

    @admin.action(description=_("Accept: send the contact letter"), permissions=["act"])
    def accept(self, request, queryset) -> None:
        self._each(
            request, queryset, "to_province_id", lambda t, actor: transfer_accept(transfer=t, actor=actor)
        )

    @admin.action(description=_("Reject, with the reason given"), permissions=["act"])
    def reject(self, request, queryset) -> None:
        reason = request.POST.get("reason", "")
        self._each(
            request, queryset, "to_province_id",
            lambda t, actor: transfer_reject(transfer=t, actor=actor, reason=reason),
        )  # fmt: skip

    @admin.action(description=_("Send the funds, certificate and information table"), permissions=["act"])
    def send(self, request, queryset) -> None:
        self._each(
            request,
            queryset,
            "from_province_id",
            lambda t, actor: transfer_funds_send(transfer=t, actor=actor),
        )

    @admin.action(description=_("Complete: record the history and funds"), permissions=["act"])
    def complete(self, request, queryset) -> None:
        self._each(
            request, queryset, "to_province_id", lambda t, actor: transfer_complete(transfer=t, actor=actor)
        )

    def _each(self, request, queryset, side: str, move) -> None:
        """Take the step on each selected transfer of the user's side, each in its own transaction."""
        scope = Scope.of(request.user)
        for transfer in queryset:
            if not scope.allows_province(getattr(transfer, side)):
                self.message_user(
                    request,
                    _("%(transfer)s: not your province's step.") % {"transfer": transfer},
                    messages.ERROR,
                )
                continue
            try:
                with transaction.atomic():
                    moved = move(transfer, Actor.admin(request.user))
            except ApplicationError as refusal:
                self.message_user(request, f"{transfer}: {refusal.message}", messages.ERROR)
            else:
                self.message_user(request, f"{moved}")


@admin.register(FundEntry)
class FundEntryAdmin(ReadOnlyAdminMixin, RegistryAdmin):
    scope_province_field = "province"
    list_display = ("id", "province", "scheme", "kind", "amount", "period", "transfer")
    raw_id_fields = ("person", "transfer")


@admin.register(ReconciliationAlert)
class ReconciliationAlertAdmin(ReadOnlyAdminMixin, RegistryAdmin):
    """A transfer whose legs do not sum to zero, raised by the periodic reconciliation."""

    scope_person_field = "person"
    list_display = ("found_at", "transfer", "imbalance", "detail", "resolved_at")
    list_filter = (("resolved_at", admin.EmptyFieldListFilter),)
    raw_id_fields = ("person", "transfer")
