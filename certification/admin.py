from django.contrib import admin

from certification.models import LifeEvidence
from insurance.admin.base import PersonSearchMixin, ReadOnlyAdminMixin, RegistryAdmin


@admin.register(LifeEvidence)
class LifeEvidenceAdmin(PersonSearchMixin, ReadOnlyAdminMixin, RegistryAdmin):
    """Evidence of life fed by provincial batch files; it is facts from other systems, never edited here."""

    scope_province_field = "province"

    list_display = ("person", "evidence_date", "kind", "source", "province")
    list_filter = ("kind", "province")
    list_select_related = ("person", "province")
