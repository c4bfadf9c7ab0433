"""Admin for ID-number reads and certificates: records the platform keeps, never edited."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy

from insurance.admin.base import PersonSearchMixin, ReadOnlyAdminMixin, RegistryAdmin
from insurance.models import IdentityReadLog, ParticipationCertificate


@admin.register(IdentityReadLog)
class IdentityReadLogAdmin(PersonSearchMixin, ReadOnlyAdminMixin, RegistryAdmin):
    """Who read whose full ID number, when, and through which endpoint (PIPL Art. 28)."""

    list_display = ("read_at", "reader", "person", "endpoint")
    list_filter = ("reader__role",)
    list_select_related = ("reader", "person")
    search_fields = ("=reader__username", "person__name__startswith")
    search_help_text = gettext_lazy(
        "A full ID number (exact), a reader's username (exact), or the beginning of a name."
    )


@admin.register(ParticipationCertificate)
class ParticipationCertificateAdmin(PersonSearchMixin, ReadOnlyAdminMixin, RegistryAdmin):
    """Certificates as issued: their content is hashed into the copy anyone can verify, so it is never
    edited. The stored content carries the masked ID number only."""

    list_display = ("verification_code", "person", "issued_at")
    list_select_related = ("person",)
    search_fields = ("=verification_code", "person__name__startswith")
    search_help_text = gettext_lazy(
        "A full ID number or verification code (exact), or the beginning of a name."
    )
