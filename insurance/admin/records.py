"""Admin for ID-number reads and certificates: records the platform keeps, never edited."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.exceptions import ApplicationError
from core.states import Actor
from insurance.admin.base import PersonSearchMixin, ReadOnlyAdminMixin, RegistryAdmin
from insurance.models import IdentityReadLog, ParticipationCertificate
from insurance.services.certificates import certificate_revoke


@admin.register(IdentityReadLog)
class IdentityReadLogAdmin(PersonSearchMixin, ReadOnlyAdminMixin, RegistryAdmin):
    """Who read whose full ID number, when, and through which endpoint (PIPL Art. 28)."""

    scope_person_field = "person"

    list_display = ("read_at", "reader", "person", "endpoint")
    list_filter = ("reader__role",)
    list_select_related = ("reader", "person")
    search_fields = ("=reader__username", "person__name__startswith")
    search_help_text = "A full ID number (exact), a reader's username (exact), or the beginning of a name."


@admin.register(ParticipationCertificate)
class ParticipationCertificateAdmin(PersonSearchMixin, ReadOnlyAdminMixin, RegistryAdmin):
    """Certificates as issued: their content is hashed into the copy anyone can verify, so it is never
    edited. The stored content carries the masked ID number only."""

    scope_person_field = "person"

    list_display = ("verification_code", "person", "issued_at", "issuer_name", "valid_until", "status")
    list_filter = ("status", "language")
    list_select_related = ("person",)
    search_fields = ("=verification_code", "person__name__startswith")
    search_help_text = "A full ID number or verification code (exact), or the beginning of a name."
    actions = ("revoke",)

    @admin.action(description=gettext_lazy("Revoke: its verification says so from now on"))
    def revoke(self, request, queryset) -> None:
        for certificate in queryset:
            try:
                with transaction.atomic():
                    certificate_revoke(
                        certificate_id=certificate.pk,
                        actor=Actor.admin(request.user),
                        reason=_("Revoked in the admin."),
                    )
            except ApplicationError as refusal:
                self.message_user(request, f"{certificate}: {refusal.message}", messages.ERROR)
            else:
                self.message_user(request, _("%(certificate)s: revoked.") % {"certificate": certificate})
