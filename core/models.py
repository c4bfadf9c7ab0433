from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from core.crypto import decrypt_text, encrypt_text, keyed_hash
from core.identity import IdentityNumber, mask_id_number


def max_length_of(model: type[models.Model], name: str) -> int:
    """The `max_length` of a text column of `model`: input is held to it before it reaches the database."""
    length = getattr(model._meta.get_field(name), "max_length", None)
    if length is None:
        raise TypeError(f"{model._meta.label}.{name} has no max_length.")
    return int(length)


class Region(models.Model):
    """A province-level division: the unit of agency jurisdiction and of insurance relationships."""

    code = models.CharField(primary_key=True, max_length=2)
    name = models.CharField(max_length=64)
    name_zh = models.CharField(_("Chinese name"), max_length=32)
    # The issuer printed on the province's documents, and the name round its electronic seal.
    agency_name_zh = models.CharField(
        _("social insurance agency (Chinese)"),
        max_length=64,
        help_text=_("E.g. 北京市社会保险事业管理中心: printed as the issuer and round the seal."),
    )
    agency_name = models.CharField(
        _("social insurance agency (English)"),
        max_length=128,
        help_text=_("The issuer printed on documents in English."),
    )

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        # In the reader's language: 44 广东省, or 44 Guangdong on request.
        chinese = (translation.get_language() or "zh-hans").startswith("zh")
        return f"{self.code} {self.name_zh if chinese else self.name}"


class ProtectedIdentityNumber(models.Model):
    """Keeps an ID number encrypted at rest, with a keyed hash (`id_number_hash`) for exact look-up.

    Subclasses declare `id_number_hash` themselves, because whether it may be empty differs.
    """

    id_number_ciphertext = models.TextField(editable=False, blank=True, default="")

    class Meta:
        abstract = True

    @property
    def id_number(self) -> str | None:
        return decrypt_text(self.id_number_ciphertext) if self.id_number_ciphertext else None

    @id_number.setter
    def id_number(self, value: IdentityNumber | str | None) -> None:
        if value is None:
            self.id_number_ciphertext, self.id_number_hash = "", None
            return
        number = value if isinstance(value, IdentityNumber) else IdentityNumber.parse(value)
        self.id_number_ciphertext = encrypt_text(number.value)
        self.id_number_hash = keyed_hash(number.value)

    @property
    def id_number_masked(self) -> str:
        number = self.id_number
        return mask_id_number(number) if number else ""


class CalendarYear(models.Model):
    """One year of the mainland working-day calendar.

    Until the State Council's holiday schedule for the year is entered (`entered`), its `days` are a draft
    and are ignored: counting in that year falls back to plain Monday-Friday and is marked provisional.
    """

    year = models.PositiveSmallIntegerField(primary_key=True)
    entered = models.BooleanField(
        default=False, editable=False, help_text=_("The official schedule is complete and in force.")
    )
    source = models.CharField(
        max_length=200,
        blank=True,
        help_text=_("Where the schedule comes from, e.g. the State Council notice."),
    )
    entered_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-year"]

    def __str__(self) -> str:
        return str(self.year)


class CalendarDay(models.Model):
    """A day that breaks the Monday-Friday rule: a weekday holiday or a make-up working weekend day."""

    year = models.ForeignKey(CalendarYear, on_delete=models.CASCADE, related_name="days")
    date = models.DateField(unique=True)
    is_working_day = models.BooleanField(help_text=_("Ticked for a make-up working day on a weekend."))
    name = models.CharField(max_length=64, help_text=_("The holiday the day belongs to, e.g. National Day."))

    class Meta:
        ordering = ["date"]
        constraints = [
            models.CheckConstraint(
                # week_day: 1 = Sunday ... 7 = Saturday. A row that agrees with Mon-Fri would be noise.
                condition=models.Q(is_working_day=True, date__week_day__in=(1, 7))
                | models.Q(is_working_day=False, date__week_day__in=(2, 3, 4, 5, 6)),
                name="calendar_day_differs_from_weekday_rule",
                violation_error_message=_(
                    "Only weekday holidays and working weekend days are entered; other days follow Mon-Fri."
                ),
            ),
            models.CheckConstraint(
                condition=models.Q(date__year=models.F("year")),
                name="calendar_day_in_its_year",
                violation_error_message=_("The day must lie in its calendar year."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.date} {_('working day') if self.is_working_day else _('holiday')} ({self.name})"


class Channel(models.TextChoices):
    """Through which door a change came in."""

    API = "api", _("API")
    IMPORT = "import", _("Import job")
    PERIODIC = "periodic", _("Periodic job")
    ADMIN = "admin", _("Admin")


class StateEvent(models.Model):
    """One state move of one row (core.states): what moved, from, to, who, when, why and through which
    channel. Append-only (a database trigger refuses UPDATE and DELETE). Written in the transaction of the
    move itself, by the one statement that makes the move, so that no move goes without its event.

    `person_id` names the person the moved row belongs to, when it belongs to one: at scale the events are
    spread over the database nodes by person, with the rows they record. No foreign keys: the kernel sits
    below every app whose rows it moves, and the actor may be any user."""

    entity = models.CharField(max_length=64, help_text=_("The moved row's model, as app_label.model."))
    object_id = models.BigIntegerField()
    person_id = models.BigIntegerField(null=True, blank=True)
    from_state = models.CharField(max_length=32)
    to_state = models.CharField(max_length=32)
    actor_id = models.BigIntegerField(null=True, blank=True, help_text=_("The user who acted, if any."))
    channel = models.CharField(max_length=16, choices=Channel.choices)
    reference = models.CharField(max_length=64, blank=True, help_text=_("E.g. the import job that acted."))
    reason = models.TextField(blank=True)
    at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["entity", "object_id", "at"], name="state_event_by_object"),
            models.Index(
                fields=["person_id", "at"], name="state_event_by_person", condition=Q(person_id__isnull=False)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.entity} {self.object_id}: {self.from_state} -> {self.to_state}"


class DocumentCode(models.Model):
    """The look-up of a document's verification code: nation-unique, so it has its own table keyed by
    the code (STYLE.md, "Built to outgrow one machine"), written in the transaction of the document's row.
    `kind` names the document kind (core.documents.DOCUMENT_KINDS), `person_id` and `record_id` the
    person and the kind's row. No foreign keys: the rows it points to live in the apps above, spread by
    person."""

    code = models.CharField(primary_key=True, max_length=32)
    kind = models.CharField(max_length=64)
    person_id = models.BigIntegerField()
    record_id = models.BigIntegerField(
        null=True, help_text=_("Empty only inside the transaction that issues.")
    )

    def __str__(self) -> str:
        return f"{self.kind} {self.code}"


class IdempotencyKey(models.Model):
    """A caller's `Idempotency-Key` and the first answer given to it (core.idempotency).

    Keyed per caller: two callers may use the same key. `user_id` carries no foreign key, so the row belongs
    to no app above core and costs no look-up on the write path. Rows expire (`expires_at`) and a periodic
    task deletes them."""

    user_id = models.BigIntegerField()
    key = models.CharField(max_length=255)
    # Method, path and body, hashed: the same key with another request is refused.
    fingerprint = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(
        null=True, help_text=_("Empty while the first request runs.")
    )
    headers = models.JSONField(default=dict)
    body = models.BinaryField(default=b"")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user_id", "key"], name="one_idempotency_key_per_caller")
        ]

    def __str__(self) -> str:
        return f"{self.key} of user {self.user_id}"


class KeyCheck(models.Model):
    """A check value of a key the stored data was written with: HMAC-SHA256 of a constant under the key,
    never the key itself. The service refuses to start, and to migrate, with keys whose check values do not
    match (core.keys): ID numbers would neither decrypt nor be found by their hash."""

    class Kind(models.TextChoices):
        ENCRYPTION = "encryption", _("IDENTITY_ENCRYPTION_KEYS")
        HMAC = "hmac", _("IDENTITY_HMAC_KEY")

    kind = models.CharField(max_length=16, choices=Kind.choices)
    check_value = models.CharField(max_length=64)
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "check_value"], name="one_check_per_key")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} key {self.check_value[:12]}"
