from django.db import models
from django.utils.translation import gettext_lazy as _

from core.models import Region


class EvidenceKind(models.TextChoices):
    MEDICAL_SETTLEMENT = "medical_settlement", _("Medical settlement")
    HOSPITAL_STAY = "hospital_stay", _("Hospital stay")
    RAIL_TRAVEL = "rail_travel", _("Rail travel")
    OTHER_SERVICE = "other_service", _("Other public service")


class LifeEvidence(models.Model):
    """Recent evidence that a person is alive, from other data (DOMAIN.md §4, passive certification):
    fed by provincial batch files, used by eligibility certification."""

    person = models.ForeignKey(
        "insurance.InsuredPerson", on_delete=models.PROTECT, related_name="life_evidence"
    )
    evidence_date = models.DateField()
    kind = models.CharField(max_length=20, choices=EvidenceKind.choices)
    source = models.CharField(max_length=100)
    province = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = _("life evidence")
        constraints = [
            models.UniqueConstraint(
                fields=["person", "evidence_date", "kind", "source"], name="one_evidence_per_event"
            )
        ]
        indexes = [models.Index(fields=["person", "-evidence_date"])]

    def __str__(self) -> str:
        return f"{self.person_id} {self.kind} {self.evidence_date}"
