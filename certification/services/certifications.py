"""Eligibility certification (DOMAIN.md §4): a certification in any province, by any method, starts the
award's next cycle in its paying province; an award past its due date is suspended, and a later
certification resumes it with every withheld month back-paid."""

from __future__ import annotations

import calendar
import datetime
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from certification.models import (
    AwardStatus,
    Certification,
    CertificationMethod,
    CertificationProvinceConfig,
    PensionAward,
    SuspensionReason,
)
from certification.services.awards import awards_back_pay
from certification.states import AWARD_STATES
from core.exceptions import ApplicationError, ConflictError, ForbiddenError
from core.sql import AnyOf
from core.states import Actor
from insurance.models import InsuredPerson
from insurance.services.inbox import OutgoingMessage, Subject, inbox_send_many

DEFAULT_CYCLE_MONTHS = CertificationProvinceConfig._meta.get_field("cycle_months").default


def certification_rules_of(*, province_id: str) -> CertificationProvinceConfig:
    """The province's certification rules: its row, or an unsaved one holding the defaults."""
    return CertificationProvinceConfig.objects.filter(province_id=province_id).first() or (
        CertificationProvinceConfig(province_id=province_id)
    )


def months_after(day: datetime.date, months: int) -> datetime.date:
    """The same day `months` later, or the month's last day where it is shorter (31 Jan + 1 = 28/29 Feb)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return day.replace(year=year, month=month + 1, day=min(day.day, calendar.monthrange(year, month + 1)[1]))


def award_due_date(*, award: PensionAward) -> datetime.date:
    """The day by which the pensioner certifies again: the last certification plus the paying province's
    cycle."""
    return months_after(
        award.last_certified_on, certification_rules_of(province_id=award.province_id).cycle_months
    )


# The due date of award `a` in SQL, with the province's cycle or the default: the same clamp to the month's
# end as `months_after` (PostgreSQL's date + interval does it).
DUE_DATE_SQL = f"""(a.last_certified_on + make_interval(months => COALESCE(
                      (SELECT c.cycle_months FROM certification_certificationprovinceconfig c
                        WHERE c.province_id = a.province_id), {int(DEFAULT_CYCLE_MONTHS)})))::date"""  # noqa: S608


@dataclass(frozen=True, slots=True)
class CertificationInput:
    method: str
    certified_on: datetime.date
    place_province_id: str
    place: str
    evidence: str


_METHODS_BY_PERSON = {
    CertificationMethod.FACE_SELF,
    CertificationMethod.FACE_FAMILY,
    CertificationMethod.ON_SITE,
    CertificationMethod.HOME_VISIT,
    CertificationMethod.CONSULAR,
}


@transaction.atomic
def award_certify(*, award: PensionAward, certification: CertificationInput, actor: Actor) -> Certification:
    """Record that the pensioner was certified alive, wherever it was done: the next cycle counts from
    this day in the paying province (which does not change). An award suspended for being overdue resumes,
    and every withheld month is back-paid at that month's amount, as does one suspended for a
    disappearance; an award suspended for imprisonment resumes only on release. The same certification
    recorded again is the one recorded. Refused for a stopped award, a day in the future, or a method
    that is not one of a person's (passive certification is the nightly comparison's)."""
    award = PensionAward.objects.select_for_update().get(pk=award.pk)
    if certification.method not in _METHODS_BY_PERSON:
        raise ApplicationError(
            "certification_method_invalid",
            _("Certify by face, on site, by a home visit or through a consulate."),
            fields={"method": [_("Not a certification method.")]},
        )
    if certification.certified_on > timezone.localdate():
        raise ApplicationError(
            "certification_date_future",
            _("A certification cannot be dated in the future."),
            fields={"certified_on": [_("In the future.")]},
        )
    if award.status == AwardStatus.STOPPED:
        raise ConflictError(
            "certification_award_stopped", _("The pension has stopped: there is nothing to certify.")
        )
    recorded, _created = Certification.objects.get_or_create(
        person_id=award.person_id,
        award=award,
        method=certification.method,
        certified_on=certification.certified_on,
        evidence=certification.evidence,
        defaults={
            "place_province_id": certification.place_province_id,
            "place": certification.place,
            "actor_id": actor.user_id,
            "channel": actor.channel,
        },
    )
    awards_certified([award.pk], [certification.certified_on], actor=actor)
    return recorded


def awards_certified(award_ids: Sequence[int], days: Sequence[datetime.date], *, actor: Actor) -> list[int]:
    """After certifications are recorded: each award's cycle counts from its day (never moving back), and
    those suspended for being overdue resume with their withheld months back-paid. Returns the awards that
    resumed. Set-based, for a person's certification and a night's passive ones alike."""
    with connection.cursor() as cursor:
        cursor.execute(
            """UPDATE certification_pensionaward a SET last_certified_on = c.day
                 FROM UNNEST(%s::bigint[], %s::date[]) AS c(award_id, day)
                WHERE a.id = c.award_id AND a.last_certified_on < c.day""",
            [list(award_ids), list(days)],
        )
    # Certified alive: overdue and missing pensioners resume (an imprisonment ends only by release).
    overdue = list(
        PensionAward.objects.filter(
            AnyOf(F("pk"), award_ids),
            status=AwardStatus.SUSPENDED,
            suspension_reason__in=[SuspensionReason.OVERDUE, SuspensionReason.DISAPPEARANCE],
        ).values_list("pk", flat=True)
    )
    resumed = [
        moved.pk
        for moved in AWARD_STATES.move_many(
            overdue,
            to=AwardStatus.PAYING,
            actor=actor,
            reason="Certified",
            sources=[AwardStatus.SUSPENDED],
            values={"suspension_reason": [""] * len(overdue)},
        )
    ]
    awards_back_pay(award_ids=resumed)
    return resumed


@transaction.atomic
def awards_suspend_overdue(*, today: datetime.date | None = None) -> int:
    """The periodic suspension: every paying award whose due date has passed is suspended, so that the
    next payment run withholds its month, and the pensioner is told how to certify. Set-based: one query
    finds them, one statement moves them. Running it again suspends nothing more."""
    today = today or timezone.localdate()
    with connection.cursor() as cursor:
        cursor.execute(
            f"""SELECT a.id, a.person_id FROM certification_pensionaward a
                 WHERE a.status = %s AND {DUE_DATE_SQL} < %s ORDER BY a.id""",  # noqa: S608 - our SQL
            [AwardStatus.PAYING, today],
        )
        overdue = cursor.fetchall()
    pks = [pk for pk, _person in overdue]
    person_of = dict(overdue)
    moved = AWARD_STATES.move_many(
        pks,
        to=AwardStatus.SUSPENDED,
        actor=Actor.periodic("awards_suspend_overdue"),
        reason="Certification overdue",
        sources=[AwardStatus.PAYING],
        values={"suspension_reason": [SuspensionReason.OVERDUE] * len(pks)},
    )
    inbox_send_many(
        [
            OutgoingMessage(
                person_id=person_of[row.pk],
                kind="certification_overdue",
                title=_("Your pension is suspended: please certify"),
                body=_(
                    "Your eligibility certification is overdue, so your pension is suspended from the next "
                    "payment month. Certify by face recognition in the app (a family member may scan your "
                    "face), at any community point or agency hall where you live, or ask for a home visit; "
                    "from abroad, through a consulate. Every withheld month is paid back once you certify."
                ),
                subject=Subject(type=PensionAward._meta.label_lower, id=row.pk),
            )
            for row in moved
        ]
    )
    return len(moved)


STAFF_METHODS = (CertificationMethod.ON_SITE, CertificationMethod.HOME_VISIT, CertificationMethod.CONSULAR)


def award_certify_by_staff(
    *, award: PensionAward, certification: CertificationInput, staff_province_id: str, actor: Actor
) -> Certification:
    """A certification recorded by agency staff: on site for any pensioner who comes to them, whichever
    province pays; a home visit only for a pensioner residing in the staff's province; a consular
    certification only by the paying province, which reviews the consulate's document."""
    if certification.method not in STAFF_METHODS:
        raise ApplicationError(
            "certification_method_invalid",
            _("Staff record on-site, home-visit and consular certifications."),
            fields={"method": [_("Not a certification method.")]},
        )
    if certification.method == CertificationMethod.HOME_VISIT:
        residence = InsuredPerson.objects.filter(pk=award.person_id).values_list(
            "residence_province_id", flat=True
        )
        if residence.first() != staff_province_id:
            raise ForbiddenError(
                "certification_home_visit_not_resident",
                _("Home visits are recorded by the province where the pensioner resides."),
            )
    if certification.method == CertificationMethod.CONSULAR and award.province_id != staff_province_id:
        raise ForbiddenError(
            "certification_consular_not_paying_province",
            _("A consular certification is reviewed by the paying province."),
        )
    return award_certify(
        award=award,
        certification=CertificationInput(
            method=certification.method,
            certified_on=certification.certified_on,
            place_province_id=staff_province_id,
            place=certification.place,
            evidence=certification.evidence,
        ),
        actor=actor,
    )


REMINDER_DAYS_SQL = f"""COALESCE((SELECT c.reminder_days FROM certification_certificationprovinceconfig c
                                    WHERE c.province_id = a.province_id),
                                 {int(CertificationProvinceConfig._meta.get_field("reminder_days").default)})"""  # noqa: S608


@transaction.atomic
def awards_remind_due(*, today: datetime.date | None = None) -> int:
    """Remind every pensioner whose due date is within the province's reminder days, once per due date,
    with the ways to certify from where they live. One statement marks the reminded awards; running it
    again the same cycle reminds no one."""
    today = today or timezone.localdate()
    with connection.cursor() as cursor:
        cursor.execute(
            f"""UPDATE certification_pensionaward a SET reminded_for_due_date = {DUE_DATE_SQL}
                 WHERE a.status = %s AND {DUE_DATE_SQL} >= %s
                   AND {DUE_DATE_SQL} - {REMINDER_DAYS_SQL} <= %s
                   AND a.reminded_for_due_date IS DISTINCT FROM {DUE_DATE_SQL}
             RETURNING a.id, a.person_id, a.reminded_for_due_date""",  # noqa: S608 - our SQL
            [AwardStatus.PAYING, today, today],
        )
        reminded = cursor.fetchall()
    inbox_send_many(
        [
            OutgoingMessage(
                person_id=person_id,
                kind="certification_due",
                title=_("Please certify your pension eligibility by %(day)s") % {"day": due.isoformat()},
                body=_(
                    "Certify by face recognition in the app (a family member may scan your face), at any "
                    "community point or agency hall where you live, or ask for a home visit; from abroad, "
                    "through a consulate. If records show you used public services recently, you may be "
                    "certified without doing anything."
                ),
                subject=Subject(type=PensionAward._meta.label_lower, id=award_id),
            )
            for award_id, person_id, due in reminded
        ]
    )
    return len(reminded)
