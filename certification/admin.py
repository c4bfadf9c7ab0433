"""Pensions in payment in the back office (accounts.admin_scope): the paying province's staff see its
awards, their certifications, face jobs and recovery cases. Everything here is written by the services;
selfies never appear."""

from django.contrib import admin, messages
from django.db import transaction
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from certification.models import (
    Certification,
    CertificationProvinceConfig,
    FaceJob,
    FaceJobStatus,
    LifeEvidence,
    PensionAward,
    RecoveryCase,
    StatusEvidence,
)
from certification.tasks import face_job_run
from insurance.admin.base import PersonSearchMixin, ReadOnlyAdminMixin, RegistryAdmin


@admin.register(LifeEvidence)
class LifeEvidenceAdmin(PersonSearchMixin, ReadOnlyAdminMixin, RegistryAdmin):
    """Evidence of life fed by provincial batch files; it is facts from other systems, never edited here."""

    scope_province_field = "province"

    list_display = ("person", "evidence_date", "kind", "source", "province")
    list_filter = ("kind", "province")
    list_select_related = ("person", "province")


@admin.register(PensionAward)
class PensionAwardAdmin(PersonSearchMixin, ReadOnlyAdminMixin, RegistryAdmin):
    scope_province_field = "province"

    list_display = (
        "person",
        "province",
        "scheme",
        "status",
        "suspension_reason",
        "first_month",
        "last_certified_on",
    )
    list_filter = ("status", "suspension_reason", "scheme")
    list_select_related = ("person", "province")


@admin.register(Certification)
class CertificationAdmin(ReadOnlyAdminMixin, RegistryAdmin):
    """Certifications of the province's awards, wherever they were done."""

    scope_province_field = "award__province"

    list_display = ("award", "method", "certified_on", "place_province", "place", "channel")
    list_filter = ("method", "channel")


@admin.register(FaceJob)
class FaceJobAdmin(ReadOnlyAdminMixin, RegistryAdmin):
    scope_province_field = "award__province"

    list_display = ("pk", "award", "method", "status", "reason", "distance", "threshold", "decided_at")
    list_filter = ("status", "method")
    exclude = ("selfie_ciphertext",)
    actions = ("decide",)

    def get_readonly_fields(self, request, obj=None):
        return [name for name in super().get_readonly_fields(request, obj) if name != "selfie_ciphertext"]

    @admin.action(description=_("Queue the selected jobs' decision again"))
    def decide(self, request, queryset) -> None:
        # A queued job whose message was lost is decided again; a decided one is left as it is.
        pks = list(queryset.filter(status=FaceJobStatus.QUEUED).values_list("pk", flat=True))
        transaction.on_commit(lambda: [face_job_run.delay(pk) for pk in pks])
        self.message_user(request, gettext("%(count)d jobs queued.") % {"count": len(pks)}, messages.SUCCESS)


@admin.register(RecoveryCase)
class RecoveryCaseAdmin(ReadOnlyAdminMixin, RegistryAdmin):
    scope_province_field = "province"

    list_display = ("award", "province", "overdue_months", "overpaid", "recovered", "status")
    list_filter = ("status",)

    @admin.display(description=_("months"))
    def overdue_months(self, case: RecoveryCase) -> str:
        return ", ".join(map(str, case.months))


@admin.register(StatusEvidence)
class StatusEvidenceAdmin(ReadOnlyAdminMixin, RegistryAdmin):
    scope_province_field = "province"

    list_display = ("person_id", "kind", "evidence_date", "source", "applied_at")
    list_filter = ("kind",)


@admin.register(CertificationProvinceConfig)
class CertificationProvinceConfigAdmin(RegistryAdmin):
    scope_province_field = "province"

    list_display = ("province", "cycle_months", "reminder_days", "face_threshold", "selfie_audit_days")
