"""Pensions in payment in the back office (accounts.admin_scope): the paying province's staff see its
awards, their certifications, face jobs, survivors' claims and recovery cases. Everything here is written
by the services (a claim is checked, paid or rejected through them); selfies never appear, and ID numbers
and bank accounts only masked."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
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
    SurvivorClaim,
    SurvivorClaimEntry,
)
from certification.services.survivors import (
    survivors_claim_check,
    survivors_claim_pay,
    survivors_claim_reject,
)
from certification.tasks import face_job_run
from core.exceptions import ApplicationError
from core.states import Actor
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

    list_display = (
        "award",
        "province",
        "overdue_months",
        "overpaid",
        "recovered_from_claim",
        "recovered",
        "status",
    )
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

    list_display = (
        "province",
        "cycle_months",
        "reminder_days",
        "face_threshold",
        "selfie_audit_days",
        "funeral_grant_months",
        "survivor_pension_months",
    )


class ClaimActionForm(ActionForm):
    reason = forms.CharField(
        required=False, label=_("Reason"), help_text=_("Required to reject: the written reason.")
    )


_CLAIM_FIELDS = (
    "person_id",
    "award",
    "province",
    "date_of_death",
    "status",
    "monthly_amount",
    "funeral_grant_months",
    "funeral_grant",
    "survivor_pension_months",
    "survivor_pension",
    "estate_amount",
    "survivor_name",
    "survivor_relationship",
    "survivor_id_number",
    "survivor_bank_name",
    "survivor_bank_account_masked",
    "submitted_by_id",
    "checked_by_id",
    "recovery_offset",
    "paid_to_survivor",
    "paid_at",
    "rejection_reason",
    "created_at",
)


@admin.register(SurvivorClaim)
class SurvivorClaimAdmin(ReadOnlyAdminMixin, RegistryAdmin):
    """The paying province's survivors' claims. The survivor's details are given through the API; here a
    clerk checks, pays or rejects a claim through the same services."""

    scope_province_field = "province"
    action_form = ClaimActionForm
    fields = _CLAIM_FIELDS
    list_display = (
        "pk",
        "award",
        "date_of_death",
        "status",
        "funeral_grant",
        "survivor_pension",
        "estate_amount",
        "paid_at",
    )
    list_filter = ("status",)
    actions = ("check_claims", "pay_claims", "reject_claims")

    def get_readonly_fields(self, request, obj=None):
        return _CLAIM_FIELDS

    @admin.display(description=_("survivor's ID number"))
    def survivor_id_number(self, claim: SurvivorClaim) -> str:
        return claim.id_number_masked

    def has_act_permission(self, request) -> bool:
        return request.user.has_perm("certification.act_survivorclaim")

    def _each(self, request, queryset, move) -> None:
        """Apply `move` to each selected claim through its service, one transaction each."""
        for claim in queryset:
            try:
                with transaction.atomic():
                    moved = move(claim, Actor.admin(request.user))
            except ApplicationError as refusal:
                self.message_user(request, f"{claim}: {refusal.message}", messages.ERROR)
            else:
                self.message_user(request, f"{moved}: {moved.get_status_display()}")

    @admin.action(description=_("Check the survivor's details"), permissions=["act"])
    def check_claims(self, request, queryset) -> None:
        self._each(request, queryset, lambda claim, actor: survivors_claim_check(claim=claim, actor=actor))

    @admin.action(
        description=_("Pay: offset the overpayment, pay the rest to the survivor"), permissions=["act"]
    )
    def pay_claims(self, request, queryset) -> None:
        self._each(request, queryset, lambda claim, actor: survivors_claim_pay(claim=claim, actor=actor))

    @admin.action(description=_("Reject, with the reason given"), permissions=["act"])
    def reject_claims(self, request, queryset) -> None:
        reason = request.POST.get("reason", "")
        self._each(
            request,
            queryset,
            lambda claim, actor: survivors_claim_reject(claim=claim, reason=reason, actor=actor),
        )


@admin.register(SurvivorClaimEntry)
class SurvivorClaimEntryAdmin(ReadOnlyAdminMixin, RegistryAdmin):
    """The claims' ledger: offsets against overpayments and payments to survivors. Append-only."""

    scope_province_field = "province"
    fields = ("person_id", "claim", "province", "kind", "amount", "reference", "recovery_case", "bank_name",
              "bank_account_masked", "at")  # fmt: skip
    list_display = ("pk", "claim", "kind", "amount", "bank_account_masked", "at")
    list_filter = ("kind",)

    def get_readonly_fields(self, request, obj=None):
        return self.fields
