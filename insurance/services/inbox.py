"""A citizen's inbox: the services of every app (insurance, cards, certification) tell a person about a
change by sending a message in the transaction that makes the change, so that the message is written if and
only if the change is. The person reads the messages through the API and marks them read."""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from django.apps import apps
from django.db.models import Model
from django.utils import timezone
from django.utils.translation import gettext as _

from core.exceptions import ApplicationError
from core.models import max_length_of
from insurance.models import INBOX_KIND_PATTERN, InboxMessage, InsuredPerson

_KIND = re.compile(INBOX_KIND_PATTERN)
_KIND_LENGTH = max_length_of(InboxMessage, "kind")
_TITLE_LENGTH = max_length_of(InboxMessage, "title")


@dataclass(frozen=True, slots=True)
class Subject:
    """What a message is about: a row, named by its model (app_label.model) and primary key."""

    type: str
    id: int

    @classmethod
    def of(cls, instance: Model) -> Subject:
        return cls(type=instance._meta.label_lower, id=instance.pk)


@dataclass(frozen=True, slots=True)
class OutgoingMessage:
    """A message to be sent to one person. `kind` is a short stable code that clients switch on.
    `person_id` names a registered person: the foreign key holds the caller to it when the transaction
    commits."""

    person_id: int
    kind: str
    title: str
    body: str = ""
    subject: Subject | Model | None = None


def inbox_send(
    *, person_id: int, kind: str, title: str, body: str = "", subject: Subject | Model | None = None
) -> None:
    """Send one message; see `inbox_send_many`."""
    inbox_send_many(
        [OutgoingMessage(person_id=person_id, kind=kind, title=title, body=body, subject=subject)]
    )


def inbox_send_many(messages: Sequence[OutgoingMessage]) -> int:
    """Send messages, to one person or many (a job over a chunk of people), by one insert in the caller's
    transaction. Every message is checked first: one refused message refuses them all, and nothing is
    written. Returns how many were sent.

    One statement is atomic by itself, so there is no atomic block here: a refusal, raised before it,
    leaves the caller's transaction as it was (an atomic block without a savepoint would mark it failed)."""
    rows = [_row(number, message) for number, message in enumerate(messages, start=1)]
    # One moment for the whole batch: its messages were sent together.
    now = timezone.now()
    for row in rows:
        row.created_at = now
    InboxMessage.objects.bulk_create(rows)
    return len(rows)


def _row(number: int, message: OutgoingMessage) -> InboxMessage:
    if len(message.kind) > _KIND_LENGTH or not _KIND.fullmatch(message.kind):
        raise ApplicationError(
            "inbox_kind_invalid",
            _(
                "Message %(number)s: the kind %(kind)r is not a short code of lower-case letters, digits "
                "and underscores (at most %(max_length)s)."
            )
            % {"number": number, "kind": message.kind, "max_length": _KIND_LENGTH},
            fields={"kind": [_("Not a message kind.")]},
        )
    title = message.title.strip()
    if not title or len(title) > _TITLE_LENGTH:
        raise ApplicationError(
            "inbox_title_invalid",
            _("Message %(number)s: a title is required, of at most %(max_length)s characters.")
            % {"number": number, "max_length": _TITLE_LENGTH},
            fields={"title": [_("Required, and short.")]},
        )
    subject = _subject(number, message.subject)
    return InboxMessage(
        person_id=message.person_id,
        kind=message.kind,
        title=title,
        body=message.body.strip(),
        subject_type=subject.type if subject else "",
        subject_id=subject.id if subject else None,
    )


def _subject(number: int, subject: Subject | Model | None) -> Subject | None:
    named = Subject.of(subject) if isinstance(subject, Model) else subject
    if named is None:
        return None
    try:
        apps.get_model(named.type)
    except (LookupError, ValueError):
        raise ApplicationError(
            "inbox_subject_invalid",
            _("Message %(number)s: %(type)r does not name a model as app_label.model.")
            % {"number": number, "type": named.type},
            fields={"subject": [_("Unknown kind of record.")]},
        ) from None
    return named


def inbox_mark_read(*, person: InsuredPerson, message_ids: Collection[int] | None) -> int:
    """Mark the person's messages `message_ids` read, or (None) every unread message of theirs. Another
    person's message is left alone, and one already read keeps the time it was first read, so marking
    again changes nothing. Returns how many became read.

    One statement, in the caller's transaction if there is one. `read_at` is a fact about the message,
    not a status with moves: it is written by this one update, with no state event (a read is never
    undone)."""
    unread = InboxMessage.objects.filter(person_id=person.pk, read_at__isnull=True)
    if message_ids is not None:
        unread = unread.filter(pk__in=list(message_ids))
    return unread.update(read_at=timezone.now())
