"""The cards in the back office (accounts.admin_scope): agency staff see their province's cards, batches,
service points and uses, and move a card only through its services (a refusal is a message, and nothing
is written). Photos, PINs, full bank accounts and signing keys never appear here."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import admin, messages
from django.db import transaction
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from cards.models import Card, CardProvinceConfig, CardUse, ProductionBatch, ServicePoint
from cards.services import cards as services
from core.exceptions import ApplicationError
from core.states import Actor
from insurance.admin.base import ChangeReadOnlyMixin, RegistryAdmin

_CARD_FIELDS = (
    "number",
    "person",
    "province",
    "status",
    "resume_status",
    "bank_status",
    "bank_name",
    "bank_account_masked",
    "replaces_id",
    "replacement_reason",
    "issue_date",
    "valid_until",
    "temporarily_lost_at",
    "ended_at",
    "pin_failures",
    "production_batch_id",
    "applied_at",
)


class ReadOnlyAdmin(ChangeReadOnlyMixin, RegistryAdmin):
    def has_add_permission(self, request) -> bool:
        return False


@admin.register(Card)
class CardAdmin(ReadOnlyAdmin):
    scope_province_field = "province"
    fields = _CARD_FIELDS
    list_display = (
        "id",
        "number",
        "person",
        "province",
        "status",
        "bank_status",
        "issue_date",
        "valid_until",
    )
    list_filter = ("status", "bank_status", "province")
    list_select_related = ("person",)
    search_fields = ("=number",)  # exact: card numbers are opaque, a prefix means nothing
    raw_id_fields = ("person",)
    actions = (
        "enable",
        "activate_bank",
        "report_temporarily_lost",
        "withdraw_loss",
        "unlock",
        "seal",
        "unseal",
        "cancel",
    )

    def get_readonly_fields(self, request, obj=None):
        return _CARD_FIELDS

    def has_move_permission(self, request) -> bool:
        return request.user.has_perm("cards.move_card")

    def _each(self, request, queryset, move: Callable[..., Card], **arguments) -> None:
        """Apply `move` to each selected card through its service, one transaction each."""
        for card in queryset:
            try:
                with transaction.atomic():
                    moved = move(card=card, actor=Actor.admin(request.user), **arguments)
            except ApplicationError as refusal:
                self.message_user(request, f"{card.number}: {refusal.message}", messages.ERROR)
            else:
                self.message_user(request, f"{card.number}: {moved.get_status_display()}")

    @admin.action(description=_("Enable the social-security function"), permissions=["move"])
    def enable(self, request, queryset) -> None:
        self._each(request, queryset, services.card_enable)

    @admin.action(description=_("Activate the bank function"), permissions=["move"])
    def activate_bank(self, request, queryset) -> None:
        self._each(request, queryset, services.card_bank_activate)

    @admin.action(description=_("Report temporarily lost"), permissions=["move"])
    def report_temporarily_lost(self, request, queryset) -> None:
        self._each(request, queryset, services.card_report_lost, formal=False, reason=gettext("At a window"))

    @admin.action(description=_("Withdraw the temporary loss"), permissions=["move"])
    def withdraw_loss(self, request, queryset) -> None:
        self._each(request, queryset, services.card_loss_withdraw)

    @admin.action(description=_("Unlock"), permissions=["move"])
    def unlock(self, request, queryset) -> None:
        self._each(request, queryset, services.card_unlock)

    @admin.action(description=_("Seal"), permissions=["move"])
    def seal(self, request, queryset) -> None:
        self._each(request, queryset, services.card_seal, reason=gettext("Sealed at a window"))

    @admin.action(description=_("Unseal"), permissions=["move"])
    def unseal(self, request, queryset) -> None:
        self._each(request, queryset, services.card_unseal)

    @admin.action(description=_("Cancel (emigration)"), permissions=["move"])
    def cancel(self, request, queryset) -> None:
        self._each(request, queryset, services.card_cancel, reason=gettext("Emigration"))


@admin.register(ProductionBatch)
class ProductionBatchAdmin(ReadOnlyAdmin):
    scope_province_field = "province"
    list_display = ("id", "province", "card_count", "created_at", "returned_at")
    list_filter = ("province",)


@admin.register(ServicePoint)
class ServicePointAdmin(ReadOnlyAdmin):
    scope_province_field = "province"
    list_display = ("user", "name", "kind", "province")
    list_filter = ("kind", "province")
    search_fields = ("name",)


@admin.register(CardUse)
class CardUseAdmin(ReadOnlyAdmin):
    scope_province_field = "province"
    list_display = ("id", "card_id", "domain", "province", "service_point_id", "amount", "by_ecard", "at")
    list_filter = ("domain", "province", "by_ecard")


@admin.register(CardProvinceConfig)
class CardProvinceConfigAdmin(RegistryAdmin):
    """A province's card rules; changed by national administrators (their group holds the permission)."""

    scope_province_field = "province"
    list_display = (
        "province",
        "validity_years_under_16",
        "validity_years_16_to_25",
        "validity_years_26_to_59",
        "validity_years_from_60",
        "temporary_loss_days",
        "pin_attempt_limit",
    )
