"""Admin for the citizens' inboxes: messages as the services sent them, never edited here."""

from __future__ import annotations

from django.contrib import admin

from insurance.admin.base import PersonSearchMixin, ReadOnlyAdminMixin, RegistryAdmin
from insurance.models import InboxMessage


@admin.register(InboxMessage)
class InboxMessageAdmin(PersonSearchMixin, ReadOnlyAdminMixin, RegistryAdmin):
    """A person's messages, found by the person's full ID number (exact) or the beginning of a name. The
    person is shown with the ID number masked."""

    scope_person_field = "person"

    list_display = ("created_at", "person", "kind", "title", "read_at")
    # Read or unread, without listing the table's distinct values (as a filter on `kind` would).
    list_filter = (("read_at", admin.EmptyFieldListFilter),)
    list_select_related = ("person",)
