from __future__ import annotations

from rest_framework import serializers

from certification.models import Certification, CertificationMethod, FaceJob, PensionAward, RecoveryCase
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
    recovered = serializers.DecimalField(max_digits=14, decimal_places=2, help_text="Recovered so far.")
    left = serializers.DecimalField(max_digits=14, decimal_places=2, help_text="What is left to recover.")
    status = serializers.CharField(help_text="open, recovered or written_off.")

    class Meta:
        model = RecoveryCase
        fields = ["id", "award", "overpaid", "months", "recovered", "left", "status"]
