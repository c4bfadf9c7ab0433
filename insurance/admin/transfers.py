"""Admin for transfers: read-only views of the transfers and the pooled-fund entries, and the
reconciliation alerts that administrators resolve. The steps themselves are taken through the API's
services (the province-scoped queue with its actions comes with the province-scoped admin base)."""

from __future__ import annotations

from django.contrib import admin

from insurance.admin.base import ReadOnlyAdminMixin, RegistryAdmin
from insurance.models import FundEntry, ReconciliationAlert, Transfer


@admin.register(Transfer)
class TransferAdmin(ReadOnlyAdminMixin, RegistryAdmin):
    list_display = (
        "id",
        "person",
        "scheme",
        "from_province",
        "to_province",
        "status",
        "due_date",
        "overdue_since",
    )
    list_filter = ("status", "scheme")
    list_select_related = ("person",)


@admin.register(FundEntry)
class FundEntryAdmin(ReadOnlyAdminMixin, RegistryAdmin):
    list_display = ("id", "province", "scheme", "kind", "amount", "period", "transfer")


@admin.register(ReconciliationAlert)
class ReconciliationAlertAdmin(ReadOnlyAdminMixin, RegistryAdmin):
    """A transfer whose legs do not sum to zero, raised by the periodic reconciliation."""

    list_display = ("found_at", "transfer", "imbalance", "detail", "resolved_at")
    list_filter = (("resolved_at", admin.EmptyFieldListFilter),)
