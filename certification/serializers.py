from __future__ import annotations

from rest_framework import serializers

from certification.models import (
    Certification,
    CertificationMethod,
    FaceJob,
    PensionAward,
    RecoveryCase,
    SurvivorClaim,
    SurvivorClaimEntry,
    SurvivorClaimStatus,
    SurvivorRelationship,
)
from core.serializers import IdentityNumberField

CONSENT_TEXT = (
    "I agree that my selfie is compared with the photo of my social security card to certify my pension "
    "eligibility, and kept encrypted until the decision plus the province's audit period."
)


class CertificationSerializer(serializers.ModelSerializer):
    method = serializers.CharField(
        help_text="face_self, face_family, passive, on_site, home_visit or consular."
    )
    certified_on = serializers.DateField(help_text="The day it was done; the next cycle counts from it.")
    place_province = serializers.CharField(
        source="place_province_id", help_text="Province where it was done."
    )
    place = serializers.CharField(help_text="The point, hall, address or consulate.")
    evidence = serializers.CharField(help_text="What showed the pensioner alive.")
    channel = serializers.CharField(help_text="api, admin, import or periodic: through which channel.")

    class Meta:
        model = Certification
        fields = ["method", "certified_on", "place_province", "place", "evidence", "channel"]


class AwardStatusSerializer(serializers.ModelSerializer):
    paying_province = serializers.CharField(
        source="province_id", help_text="The province that pays; it never changes."
    )
    scheme = serializers.CharField(help_text="EP (employee pension) or RP (resident pension).")
    status = serializers.CharField(help_text="paying, suspended or stopped.")
    suspension_reason = serializers.CharField(
        help_text="overdue, imprisonment or disappearance; empty while paying."
    )
    first_month = serializers.IntegerField(help_text="The first month paid, YYYYMM.")
    last_certified_on = serializers.DateField(help_text="The day of the last certification.")
    due_date = serializers.DateField(help_text="The day by which to certify again.")
    history = CertificationSerializer(many=True, help_text="Every certification, newest first.")

    class Meta:
        model = PensionAward
        fields = [
            "paying_province",
            "scheme",
            "status",
            "suspension_reason",
            "first_month",
            "last_certified_on",
            "due_date",
            "history",
        ]


class FaceJobRequestSerializer(serializers.Serializer):
    method = serializers.ChoiceField(
        choices=[CertificationMethod.FACE_SELF, CertificationMethod.FACE_FAMILY],
        help_text="face_self, or face_family when a family member scans the pensioner's face.",
    )
    selfie = serializers.FileField(help_text="A JPEG or PNG photograph of the pensioner's face.")
    consent = serializers.BooleanField(help_text=f"Must be true: the pensioner agrees that {CONSENT_TEXT}")


class FaceJobSerializer(serializers.ModelSerializer):
    id = serializers.IntegerField(help_text="The job to poll.")
    status = serializers.CharField(help_text="queued, accepted, refused or failed.")
    reason = serializers.CharField(help_text="Why refused or failed: face_mismatch, selfie_no_face, ...")
    distance = serializers.DecimalField(
        max_digits=6, decimal_places=4, allow_null=True, help_text="The face distance measured, or null."
    )
    threshold = serializers.DecimalField(
        max_digits=4, decimal_places=3, allow_null=True, help_text="The province's threshold applied."
    )
    decided_at = serializers.DateTimeField(
        allow_null=True, help_text="When it was decided; null while queued."
    )

    class Meta:
        model = FaceJob
        fields = ["id", "status", "reason", "distance", "threshold", "decided_at"]


class StaffCertificationSerializer(serializers.Serializer):
    id_number = IdentityNumberField(help_text="The pensioner's ID number, as on the ID card they show.")
    method = serializers.ChoiceField(
        choices=[CertificationMethod.ON_SITE, CertificationMethod.HOME_VISIT, CertificationMethod.CONSULAR],
        help_text="on_site, home_visit or consular.",
    )
    certified_on = serializers.DateField(help_text="The day of the certification, not in the future.")
    place = serializers.CharField(max_length=200, help_text="The point, hall, address or consulate.")
    evidence = serializers.CharField(
        max_length=200, help_text="What was checked: the ID card, a document number."
    )


class OverdueAwardSerializer(serializers.ModelSerializer):
    id = serializers.IntegerField(help_text="The award.")
    person = serializers.IntegerField(source="person_id", help_text="The pensioner's record.")
    last_certified_on = serializers.DateField(help_text="The day of the last certification.")

    class Meta:
        model = PensionAward
        fields = ["id", "person", "last_certified_on"]


class RecoveryCaseSerializer(serializers.ModelSerializer):
    id = serializers.IntegerField(help_text="The case.")
    award = serializers.IntegerField(source="award_id", help_text="The award stopped by the death.")
    overpaid = serializers.DecimalField(max_digits=14, decimal_places=2, help_text="Paid after the death.")
    months = serializers.ListField(
        child=serializers.IntegerField(), help_text="The months paid after it, YYYYMM."
    )
    recovered_from_claim = serializers.DecimalField(
        max_digits=14, decimal_places=2, help_text="Offset against the survivors' claim when it was paid."
    )
    recovered_by_repayment = serializers.DecimalField(
        max_digits=14, decimal_places=2, help_text="Repaid after the claim's offset."
    )
    recovered = serializers.DecimalField(
        max_digits=14, decimal_places=2, help_text="Recovered so far: from the claim and by repayment."
    )
    left = serializers.DecimalField(max_digits=14, decimal_places=2, help_text="What is left to recover.")
    status = serializers.CharField(help_text="open, recovered or written_off.")

    class Meta:
        model = RecoveryCase
        fields = [
            "id",
            "award",
            "overpaid",
            "months",
            "recovered_from_claim",
            "recovered_by_repayment",
            "recovered",
            "left",
            "status",
        ]


def _money(help_text: str, **options) -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=14, decimal_places=2, help_text=help_text, **options)


class SurvivorSerializer(serializers.Serializer):
    name = serializers.CharField(source="survivor_name", help_text="The survivor's name; empty until given.")
    relationship = serializers.CharField(
        source="survivor_relationship", help_text="spouse, child, parent or other; empty until given."
    )
    id_number = serializers.CharField(
        source="id_number_masked", help_text="The survivor's ID number, masked; empty until given."
    )
    bank_name = serializers.CharField(source="survivor_bank_name", help_text="The survivor's bank.")
    bank_account = serializers.CharField(
        source="survivor_bank_account_masked", help_text="The account the claim is paid into, masked."
    )


class SurvivorClaimSerializer(serializers.ModelSerializer):
    """A survivors' claim as listed: what is due by the province's rule, to whom, and where it stands."""

    id = serializers.IntegerField(help_text="The claim.")
    award = serializers.IntegerField(source="award_id", help_text="The award stopped by the death.")
    person = serializers.IntegerField(source="person_id", help_text="The deceased pensioner's record.")
    date_of_death = serializers.DateField(help_text="The pensioner's date of death.")
    status = serializers.CharField(help_text="opened, submitted, checked, paid or rejected.")
    monthly_amount = _money("The last monthly pension: the amount in force in the month of death.")
    funeral_grant_months = serializers.IntegerField(help_text="The province's rule: months of it.")
    funeral_grant = _money("The funeral grant.")
    survivor_pension_months = serializers.IntegerField(help_text="The province's rule: months of it.")
    survivor_pension = _money("The survivor pension, a lump sum.")
    estate_amount = _money(
        "Pension withheld in a suspension up to and including the month of death: the estate's, paid with "
        "the claim; 0.00 without such months."
    )
    total = _money("Funeral grant, survivor pension and the estate's amount together.")
    survivor = SurvivorSerializer(source="*", help_text="Who is paid, masked.")
    recovery_offset = _money("Pension overpaid, offset against the claim; null until paid.", allow_null=True)
    paid_to_survivor = _money("Paid to the survivor's account; null until paid.", allow_null=True)
    paid_at = serializers.DateTimeField(allow_null=True, help_text="When it was paid.")
    rejection_reason = serializers.CharField(help_text="Why it was rejected; empty otherwise.")
    created_at = serializers.DateTimeField(help_text="When the death opened it.")

    class Meta:
        model = SurvivorClaim
        fields = [
            "id",
            "award",
            "person",
            "date_of_death",
            "status",
            "monthly_amount",
            "funeral_grant_months",
            "funeral_grant",
            "survivor_pension_months",
            "survivor_pension",
            "estate_amount",
            "total",
            "survivor",
            "recovery_offset",
            "paid_to_survivor",
            "paid_at",
            "rejection_reason",
            "created_at",
        ]


class ClaimMoveSerializer(serializers.Serializer):
    from_state = serializers.CharField(help_text="The status it left; empty for the opening.")
    to_state = serializers.CharField(help_text="The status it reached.")
    at = serializers.DateTimeField(help_text="When.")
    actor = serializers.IntegerField(source="actor_id", allow_null=True, help_text="The user who acted.")
    channel = serializers.CharField(help_text="api, admin, import or periodic.")
    reason = serializers.CharField(help_text="Why: the death, the step, or the rejection's reason.")


class ClaimEntrySerializer(serializers.ModelSerializer):
    kind = serializers.CharField(help_text="recovery_offset, estate_payment or survivor_payment.")
    amount = _money("The amount.")
    bank_account = serializers.CharField(
        source="bank_account_masked", help_text="The account paid into, masked; empty for an offset."
    )
    at = serializers.DateTimeField(help_text="When.")

    class Meta:
        model = SurvivorClaimEntry
        fields = ["kind", "amount", "bank_account", "at"]


class SurvivorClaimDetailSerializer(SurvivorClaimSerializer):
    history = ClaimMoveSerializer(many=True, help_text="Every move, oldest first: who, when, why.")
    payments = ClaimEntrySerializer(many=True, help_text="The claim's ledger: the offset and the payments.")

    class Meta(SurvivorClaimSerializer.Meta):
        fields = [*SurvivorClaimSerializer.Meta.fields, "history", "payments"]


class SurvivorClaimFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(
        SurvivorClaimStatus.choices, required=False, help_text="Only claims of this status."
    )


class SurvivorDetailsSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=64, help_text="The survivor's name, as on their ID card.")
    relationship = serializers.ChoiceField(
        SurvivorRelationship.choices, help_text="spouse, child, parent or other (a dependant)."
    )
    id_number = IdentityNumberField(help_text="The survivor's ID number; kept encrypted, shown masked.")
    bank_name = serializers.CharField(max_length=64, help_text="The survivor's bank.")
    bank_account = serializers.CharField(
        max_length=40, help_text="The survivor's account number, 12 to 30 digits; shown masked."
    )


class ClaimRejectSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000, help_text="Why the claim is rejected, in writing.")
