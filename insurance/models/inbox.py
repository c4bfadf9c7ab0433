"""A citizen's inbox: messages to one person, written by the services of any app (insurance, cards,
certification) in the transaction of the change they tell about, and read by the person through the API."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from insurance.models.registry import InsuredPerson

# A kind is a short stable code that clients switch on (transfer_step, certification_due ...).
INBOX_KIND_PATTERN = r"^[a-z][a-z0-9_]*$"


class InboxMessage(models.Model):
    """One message to one person. Every read and every write names the person, and the indexes lead with
    it: at scale the messages are spread over the database nodes by person, beside the person's other rows
    (STYLE.md, "Built to outgrow one machine"). What a message is about is named, not linked by a foreign
    key, so that any app's rows can be the subject."""

    # Indexed by the indexes below, which lead with it.
    person = models.ForeignKey(InsuredPerson, on_delete=models.PROTECT, related_name="+", db_index=False)
    kind = models.CharField(max_length=48, help_text=_("A short stable code, such as transfer_step."))
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    subject_type = models.CharField(
        max_length=100, blank=True, help_text=_("What it is about, as app_label.model (or empty).")
    )
    subject_id = models.BigIntegerField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True, help_text=_("Empty while unread."))
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(name="inbox_kind_shape", condition=Q(kind__regex=INBOX_KIND_PATTERN)),
            models.CheckConstraint(
                name="inbox_subject_type_and_id_together",
                condition=Q(subject_type="", subject_id__isnull=True)
                | (~Q(subject_type="") & Q(subject_id__isnull=False)),
            ),
        ]
        indexes = [
            # The inbox, newest first, and its unread part (the filter and the count).
            models.Index(fields=["person", "-created_at", "-id"], name="inbox_by_person_newest"),
            models.Index(
                fields=["person", "-created_at", "-id"],
                condition=Q(read_at__isnull=True),
                name="inbox_unread_by_person",
            ),
        ]

    def __str__(self) -> str:
        return _("%(kind)s to %(person_id)s: %(title)s") % {
            "kind": self.kind,
            "person_id": self.person_id,
            "title": self.title,
        }
