"""Recording contributions (DOMAIN.md §2): one set-based service for the API and imports alike.

`ContributionRecorder` records months in one province, a chunk at a time: the API gives it one person's
months, an import a chunk of its file. What is refused, and why, is decided here once; amounts are
computed from the province's figures for each month's year, never taken from input. Accepted months go
straight into the contribution table by COPY, in batches as they are made; should one of them be recorded
already (by an earlier file, or by another writer meanwhile), the unique key fails the COPY, and the
chunk is written again through a staging table with `ON CONFLICT DO NOTHING`, the months met refused.
From then on the recorder looks each chunk's recorded months up first, so that a file that mostly repeats
earlier ones costs one look-up per chunk, not two writes.

Look-ups of people, employers and tariffs are memoised for the recorder's life (an import job), and can
be made ahead by another thread (`prefetch`) on its own connection.
"""

from __future__ import annotations

import datetime
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import islice
from operator import itemgetter
from typing import Generic, TypeVar

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext
from psycopg.errors import UniqueViolation

from accounts.scope import Scope
from core.batch import Refusal
from core.exceptions import ApplicationError, ConflictError
from core.states import Actor
from insurance.models import (
    CONTRIBUTION_COLUMNS,
    OPEN_RELATIONSHIP_STATUSES,
    TRANSFER_SCHEMES,
    PaymentType,
    RelationshipStatus,
    Scheme,
)
from insurance.periods import period_of, period_refusal
from insurance.selectors import visible_people_by_id_number
from insurance.services.tariffs import Tariff, tariff_get
from insurance.services.transfers import transfer_offers_make

# One month to record: (the caller's reference, person key, scheme, period, declared base, payment type,
# employer code or None, declared temporary account or None). The person key is the person's id, or, for
# a recorder made with a scope, their ID number, found among the people that scope sees. A plain tuple
# that the recorder only reads: an import's clean rows (row number first) are its lines as they are.
ContributionLine = tuple[object, int | str, str, int, Decimal, str, str | None, bool | None]

# Bounds of the memos, cleared when full and refilled from the next chunks: a million-row file of distinct
# people would otherwise keep them all. Amounts are mostly reused within a person's run of months, so
# their memo can stay small; it is also the heaviest per entry.
CACHE_LIMIT = 200_000
AMOUNTS_CACHE_LIMIT = 20_000
# Lines sent to the database at a time: it inserts them while the next ones are made.
COPY_BATCH_LINES = 2000
# The order in which `_lines` writes a line's columns: CONTRIBUTION_COLUMNS, held to it below.
_LINE_COLUMNS = (
    "person_id", "scheme", "province_id", "period", "declared_base", "base", "base_adjustment",
    "employer_rate", "individual_rate", "employer_amount", "individual_amount", "account_credit",
    "payment_type", "employer_id", "temporary_account", "created_at",
)  # fmt: skip
if _LINE_COLUMNS != CONTRIBUTION_COLUMNS:
    raise RuntimeError("The contribution COPY lines no longer follow the model's columns.")
_COLUMNS_SQL = ", ".join(CONTRIBUTION_COLUMNS)

K = TypeVar("K")
V = TypeVar("V")


# A person with every relationship of theirs, by person id or by ID number (the digest first).
_PEOPLE_BY_ID = """
    SELECT p.id, p.id, p.date_of_death, r.scheme, r.province_id, r.status, r.is_temporary_account
      FROM insurance_insuredperson p
      LEFT JOIN insurance_insurancerelationship r ON r.person_id = p.id
     WHERE p.id = ANY(%s)"""
_PEOPLE_BY_ID_NUMBER = """
    SELECT h.digest, person.id, person.date_of_death,
           r.scheme, r.province_id, r.status, r.is_temporary_account
      {people}
      LEFT JOIN insurance_insurancerelationship r ON r.person_id = person.id"""


class LookupMemo(Generic[K, V]):
    """Database look-ups kept for a whole job: a file repeats each person on many rows and chunks, and
    each chunk then asks only about what is new. Thread-safe, so that a read-ahead thread can fill it
    (`prefetch`) on its own connection while the writer's connection is busy with the previous chunk."""

    def __init__(self, lookup: Callable[[set[K]], dict[K, V]]) -> None:
        self._lookup = lookup  # keys -> values of the keys found; the others are unknown
        self._known: dict[K, V | None] = {}  # None: unknown to the database
        self._lock = threading.Lock()

    def get(self, keys: set[K]) -> dict[K, V | None]:
        """The value of each key, None for the keys the database does not know."""
        with self._lock:
            found = {key: self._known[key] for key in keys if key in self._known}
        unseen = keys.difference(found)
        if unseen:
            looked_up = self._lookup(unseen)
            answers = {key: looked_up.get(key) for key in unseen}
            self._remember(answers)
            found.update(answers)
        return found

    def prefetch(self, keys: set[K]) -> None:
        """Look up ahead, keeping only what was found: what this connection does not see may still be
        visible to the writer's (rows of its own open transaction), which `get` then asks about."""
        with self._lock:
            unseen = keys.difference(self._known)
        if unseen:
            self._remember(self._lookup(unseen))

    def _remember(self, answers: Mapping[K, V | None]) -> None:
        with self._lock:
            if len(self._known) + len(answers) > CACHE_LIMIT:
                self._known.clear()
            self._known.update(answers)


@dataclass(slots=True)
class _PersonHere:
    """What recording a person's months in the province needs to know of them."""

    person_id: int
    open_schemes: dict[str, bool] = field(default_factory=dict)  # open here: scheme -> temporary account
    death_period: int | None = None
    pension_elsewhere: bool = False  # an employee-pension relationship in another province
    suspended: set[str] = field(default_factory=set)  # schemes whose relationship here is suspended
    sealed: set[str] = field(default_factory=set)  # schemes with a temporary account here sealed
    # Transferable schemes with a suspended relationship in another province: a first month here may
    # make the person an offer of the transfer.
    suspended_elsewhere: set[str] = field(default_factory=set)


class ContributionRecorder:
    """Records contribution months in `province_id` (see the module's docstring). With a `scope`, the
    lines name people by ID number, found among those the scope sees in the same look-up that reads their
    relationships (an import's rows); without, by person id (the API, which found the person already)."""

    def __init__(
        self,
        province_id: str,
        *,
        scope: Scope | None = None,
        today: datetime.date | None = None,
        actor: Actor | None = None,
    ) -> None:
        self.province = province_id
        self.scope = scope
        # Who records: the actor of the transfer offers a first month here makes (the platform's own
        # when the caller names nobody).
        self.actor = actor or Actor.periodic("insurance.contributions_record")
        self.current_period = period_of(today or timezone.localdate())
        self._people: LookupMemo[int | str, _PersonHere] = LookupMemo(self._people_lookup)
        self._employers = LookupMemo(self._employers_lookup)
        self._tariffs: dict[tuple[str, int], Tariff | ApplicationError] = {}
        # (scheme, year, declared base, has employer) -> the amounts' COPY text, or the refusal. A person's
        # base rarely changes from one month to the next, so most lines repeat a computation already made.
        self._amounts: dict[tuple, str | ApplicationError] = {}
        # Whether this recorder has met months already recorded: see the module's docstring.
        self._meets_recorded = False

    # --- look-ups -------------------------------------------------------------------------------------

    def prefetch(self, lines: Sequence[ContributionLine]) -> None:
        """The look-ups `record` would make for these lines, made ahead (from another thread)."""
        self._people.prefetch({line[1] for line in lines})
        self._employers.prefetch({line[6] for line in lines if line[6]})

    def _people_lookup(self, keys: set[int | str]) -> dict[int | str, _PersonHere]:
        """The people of these keys, with their relationships: one statement for a chunk's new people."""
        with connection.cursor() as cursor:
            if self.scope is None:
                cursor.execute(_PEOPLE_BY_ID, [list(keys)])
            else:
                people, params, by_hash = visible_people_by_id_number(
                    scope=self.scope, id_numbers={str(number) for number in keys}
                )
                cursor.execute(_PEOPLE_BY_ID_NUMBER.format(people=people), params)
            rows = cursor.fetchall()
        found: dict[int | str, _PersonHere] = {}
        for key, person_id, died, scheme, province, status, temporary in rows:
            key = by_hash[key] if self.scope is not None else key
            person = found.get(key)
            if person is None:
                person = found[key] = _PersonHere(person_id, death_period=period_of(died) if died else None)
            if scheme is None:
                continue
            if province == self.province:
                if status in OPEN_RELATIONSHIP_STATUSES:
                    person.open_schemes[scheme] = temporary
                if status == RelationshipStatus.SUSPENDED:
                    person.suspended.add(scheme)
                if status == RelationshipStatus.SEALED:
                    person.sealed.add(scheme)
            else:
                if scheme == Scheme.EMPLOYEE_PENSION:
                    person.pension_elsewhere = True
                if status == RelationshipStatus.SUSPENDED and scheme in TRANSFER_SCHEMES:
                    person.suspended_elsewhere.add(scheme)
        return found

    def _employers_lookup(self, codes: set[str]) -> dict[str, int]:
        with connection.cursor() as cursor:
            cursor.execute("SELECT code, id FROM insurance_employer WHERE code = ANY(%s)", [list(codes)])
            return dict(cursor.fetchall())

    def _tariffs_load(self, lines: Sequence[ContributionLine]) -> None:
        """Load the tariffs (or their refusals) of the lines' schemes and years not met before."""
        months = set(map(itemgetter(2, 3), lines))  # (scheme, period): a few distinct pairs per chunk
        for scheme, year in {(scheme, period // 100) for scheme, period in months}.difference(self._tariffs):
            try:
                self._tariffs[scheme, year] = tariff_get(province_id=self.province, scheme=scheme, year=year)
            except ApplicationError as refusal:
                self._tariffs[scheme, year] = refusal

    def _amounts_text(
        self, scheme: str, period: int, base: Decimal, has_employer: bool
    ) -> str | ApplicationError:
        """The month's amounts as COPY text (declared base to account credit), or the refusal: returned
        rather than raised, since a memoised exception raised again on every line would grow its
        traceback each time."""
        year = period // 100  # YYYYMM
        key = (scheme, year, base, has_employer)
        found = self._amounts.get(key)
        if found is None:
            if len(self._amounts) > AMOUNTS_CACHE_LIMIT:
                self._amounts.clear()
            tariff = self._tariffs[scheme, year]
            try:
                if isinstance(tariff, ApplicationError):
                    raise tariff
                amounts = tariff.compute(base, has_employer=has_employer)
            except ApplicationError as refusal:
                found = refusal
            else:
                found = (
                    f"{base}\t{amounts.base}\t{amounts.base_adjustment}\t{amounts.employer_rate}\t"
                    f"{amounts.individual_rate}\t{amounts.employer_amount}\t{amounts.individual_amount}\t"
                    f"{amounts.account_credit}"
                )
            self._amounts[key] = found
        return found

    def _months_met(
        self, lines: Sequence[ContributionLine], people: Mapping[int | str, _PersonHere | None], *, here: bool
    ) -> dict[tuple[int, int, str], str]:
        """(person, period, scheme) -> province of the lines' months recorded already: in this province
        (`here`), or for the employee pension in another province (duplicate participation, 重复缴费), for
        the people who have a pension relationship elsewhere."""
        found = [person for person in people.values() if person is not None]
        # Few people have a pension relationship elsewhere: most chunks ask nothing.
        person_ids = [p.person_id for p in found if here or p.pension_elsewhere]
        if not person_ids:
            return {}
        periods = [line[3] for line in lines]
        with connection.cursor() as cursor:
            cursor.execute(
                f"""SELECT person_id, period, scheme, province_id FROM insurance_contributionrecord
                     WHERE person_id = ANY(%s) AND period BETWEEN %s AND %s
                       AND province_id {"=" if here else "<>"} %s
                       AND (%s OR scheme = %s)""",  # noqa: S608 - the operator is one of two constants
                [person_ids, min(periods), max(periods), self.province, here, Scheme.EMPLOYEE_PENSION],
            )
            return {
                (person, period, scheme): province for person, period, scheme, province in cursor.fetchall()
            }

    # --- recording ------------------------------------------------------------------------------------

    def record(
        self, lines: Sequence[ContributionLine], *, dry_run: bool = False
    ) -> tuple[int, list[Refusal]]:
        """Check each line, and record (unless a dry run) those that pass. Returns how many were recorded
        (or would be) and the refusals, each naming its line's index."""
        people = self._people.get({line[1] for line in lines})
        employers = self._employers.get({line[6] for line in lines if line[6]})
        self._tariffs_load(lines)
        elsewhere = self._months_met(lines, people, here=False)
        recorded = self._months_met(lines, people, here=True) if self._meets_recorded or dry_run else {}
        first_here: set[tuple[int, str]] = set()
        if not dry_run:
            self._movable_hold(lines, people)
            first_here = self._first_months_here(lines, people)
        refusals: list[Refusal] = []
        made = self._lines(lines, people, employers, elsewhere, recorded, refusals)
        if dry_run:
            for _ in made:
                pass
        else:
            self._insert(lines, made, refusals)
            self._transfers_offer(lines, people, first_here, refusals)
        refusals.sort(key=lambda refusal: refusal.index)
        return len(lines) - len(refusals), refusals

    def _movable_hold(
        self, lines: Sequence[ContributionLine], people: Mapping[int | str, _PersonHere | None]
    ) -> None:
        """Hold (FOR SHARE, until this transaction ends) the relationships that the lines pay into and that
        another transaction may move away meanwhile, and forget those no longer open: suspended ones, such
        as a back payment of a month before the suspension, and temporary accounts. A transfer whose funds
        are being sent moves a suspended relationship out, and a gathering seals a temporary account,
        under its row lock before reading the months: the month recorded here is then either committed
        first and in its figures, or met here as no longer open and refused. Never lost between the two
        provinces."""
        held = {
            (person.person_id, line[2]): person
            for line in lines
            if (person := people[line[1]]) is not None
            and (line[2] in person.suspended or person.open_schemes.get(line[2]))
        }
        if not held:
            return
        with connection.cursor() as cursor:
            cursor.execute(
                """SELECT r.person_id, r.scheme, r.status FROM insurance_insurancerelationship r
                     JOIN UNNEST(%s::bigint[], %s::varchar[]) AS held(person_id, scheme)
                       ON r.person_id = held.person_id AND r.scheme = held.scheme
                    WHERE r.province_id = %s AND r.status = ANY(%s)
                      FOR SHARE OF r""",
                [
                    [person_id for person_id, _ in held],
                    [scheme for _, scheme in held],
                    self.province,
                    [*OPEN_RELATIONSHIP_STATUSES, RelationshipStatus.SEALED],
                ],
            )
            found = cursor.fetchall()
        still_open = set()
        for person_id, scheme, status in found:
            if status == RelationshipStatus.SEALED:
                held[person_id, scheme].sealed.add(scheme)
            else:
                still_open.add((person_id, scheme))
        for (person_id, scheme), person in held.items():
            if (person_id, scheme) not in still_open:
                person.open_schemes.pop(scheme, None)
                person.suspended.discard(scheme)

    def _first_months_here(
        self, lines: Sequence[ContributionLine], people: Mapping[int | str, _PersonHere | None]
    ) -> set[tuple[int, str]]:
        """(person, scheme) of the lines whose person has no month of the scheme recorded here yet and a
        suspended relationship of it elsewhere: whose first contribution here these lines may be. Few
        people are in that state, so most chunks ask nothing."""
        candidates = {
            (person.person_id, line[2])
            for line in lines
            if (person := people[line[1]]) is not None and line[2] in person.suspended_elsewhere
        }
        if not candidates:
            return set()
        with connection.cursor() as cursor:
            cursor.execute(
                """SELECT DISTINCT c.person_id, c.scheme FROM insurance_contributionrecord c
                     JOIN UNNEST(%s::bigint[], %s::varchar[]) AS paid(person_id, scheme)
                       ON c.person_id = paid.person_id AND c.scheme = paid.scheme
                    WHERE c.province_id = %s""",
                [
                    [person_id for person_id, _ in candidates],
                    [scheme for _, scheme in candidates],
                    self.province,
                ],
            )
            return candidates.difference(cursor.fetchall())

    def _transfers_offer(
        self,
        lines: Sequence[ContributionLine],
        people: Mapping[int | str, _PersonHere | None],
        first_here: set[tuple[int, str]],
        refusals: list[Refusal],
    ) -> None:
        """A first contribution here that meets a suspended relationship elsewhere: the person is offered
        the transfer, by the one rule the enrolment applies too (`transfer_offers_make`), for the whole
        chunk at once."""
        if not first_here:
            return
        refused = {refusal.index for refusal in refusals}
        paid = {
            person_id
            for index, line in enumerate(lines)
            if index not in refused
            and (person := people[line[1]]) is not None
            and ((person_id := person.person_id), line[2]) in first_here
        }
        if paid:
            transfer_offers_make(actor=self.actor, person_ids=sorted(paid))

    def _lines(
        self,
        lines: Sequence[ContributionLine],
        people: Mapping[int | str, _PersonHere | None],
        employers: Mapping[str, int | None],
        elsewhere: dict[tuple[int, int, str], str],
        recorded: dict[tuple[int, int, str], str],
        refusals: list[Refusal],
    ) -> Iterator[str]:
        """The COPY line of each line that passes every check; the others' refusals go to `refusals`. A
        generator, so that the database inserts the first lines while the rest are made; it must not
        query the database, which is busy with the COPY meanwhile."""
        amounts_text = self._amounts_text
        current, province = self.current_period, self.province
        earliest = settings.EARLIEST_CONTRIBUTION_PERIOD
        tail = f"\t{timezone.now().isoformat()}\n"
        for index, (
            _,
            key,
            scheme,
            period,
            base,
            payment_type,
            employer_code,
            declared_temporary,
        ) in enumerate(lines):
            person = people[key]
            if person is None:
                refusals.append(Refusal(index, _person_not_found(), "id_number"))
                continue
            person_id = person.person_id
            temporary = person.open_schemes.get(scheme)
            refused: tuple[ApplicationError, str]
            if temporary is None and scheme in person.sealed:
                refused = (
                    ConflictError(
                        "temporary_account_sealed",
                        gettext(
                            "The person's %(scheme)s temporary account in %(province)s is sealed: its "
                            "contributions were gathered elsewhere, and it takes no more."
                        )
                        % {"scheme": scheme, "province": province},
                    ),
                    "scheme",
                )
            elif temporary is None:
                refused = (
                    ApplicationError(
                        "relationship_not_open",
                        gettext("This person has no open %(scheme)s relationship in %(province)s.")
                        % {"scheme": scheme, "province": province},
                    ),
                    "scheme",
                )
            elif declared_temporary is not None and declared_temporary != temporary:
                mismatch = (
                    gettext("The person's %(scheme)s relationship here is a temporary account.")
                    if temporary
                    else gettext("The person's %(scheme)s relationship here is not a temporary account.")
                )
                refused = (
                    ApplicationError("temporary_account_mismatch", mismatch % {"scheme": scheme}),
                    "temporary_account",
                )
            elif (
                period > current
                or period < earliest
                or (person.death_period is not None and period > person.death_period)
            ):
                refused = _period_refusal(period, person.death_period), "period"
            elif employer_code and employers[employer_code] is None:
                refused = (
                    ApplicationError(
                        "employer_not_found",
                        gettext("Unknown employer %(employer_code)s.") % {"employer_code": employer_code},
                    ),
                    "employer_code",
                )
            elif not isinstance(amounts := amounts_text(scheme, period, base, bool(employer_code)), str):
                refused = amounts, "base"
            elif elsewhere and scheme == Scheme.EMPLOYEE_PENSION and (person_id, period, scheme) in elsewhere:
                paid_in = elsewhere[person_id, period, scheme]
                refused = (
                    ConflictError(
                        "period_paid_elsewhere",
                        gettext(
                            "The employee pension for %(period)s is already paid in province %(paid_in)s."
                        )
                        % {"period": period, "paid_in": paid_in},
                        fields={"province": [paid_in]},
                    ),
                    "period",
                )
            elif recorded and (person_id, period, scheme) in recorded:
                refused = _already_recorded(period), "period"
            else:
                employer_id = employers[employer_code] if employer_code else "\\N"
                yield (
                    f"{person_id}\t{scheme}\t{province}\t{period}\t{amounts}\t{payment_type}\t{employer_id}\t"
                    f"{'t' if temporary else 'f'}{tail}"
                )
                continue
            refusals.append(Refusal(index, *refused))

    def _insert(
        self, lines: Sequence[ContributionLine], made: Iterator[str], refusals: list[Refusal]
    ) -> None:
        """COPY the made lines straight into the contribution table, in batches as they are made. Should
        one of the months be recorded already, the COPY fails on the unique key, and the lines go through
        a staging table and `ON CONFLICT DO NOTHING` instead: the months it leaves out are refused."""
        texts: list[str] = []
        with connection.cursor() as cursor:
            try:
                with transaction.atomic(), cursor.copy(_copy_into("insurance_contributionrecord")) as copy:
                    for batch in iter(lambda: list(islice(made, COPY_BATCH_LINES)), []):
                        texts += batch
                        copy.write("".join(batch))
                return
            except UniqueViolation:  # raised by psycopg's COPY as is, not wrapped by Django
                self._meets_recorded = True
            texts += made  # the lines the failed COPY had not reached
            cursor.execute(
                "CREATE TEMP TABLE IF NOT EXISTS contribution_staging ON COMMIT DELETE ROWS AS "  # noqa: S608
                f"SELECT {_COLUMNS_SQL} FROM insurance_contributionrecord WITH NO DATA"  # the model's columns
            )
            with cursor.copy(_copy_into("contribution_staging")) as copy:
                copy.write("".join(texts))
            cursor.execute(
                f"""INSERT INTO insurance_contributionrecord ({_COLUMNS_SQL})
                    SELECT {_COLUMNS_SQL} FROM contribution_staging
                    ON CONFLICT (person_id, period, scheme, province_id) DO NOTHING
                    RETURNING person_id, period, scheme"""  # noqa: S608 - the model's columns
            )
            inserted = set(cursor.fetchall())
            cursor.execute("TRUNCATE contribution_staging")
        refused = {refusal.index for refusal in refusals}  # every line is made or refused by now
        made_from = (index for index in range(len(lines)) if index not in refused)
        for index, text in zip(made_from, texts, strict=True):
            person_id, scheme, _, period = text.split("\t", 4)[:4]
            key = (int(person_id), int(period), scheme)
            if key in inserted:
                inserted.discard(key)  # a second line of the same month is refused below
            else:
                refusals.append(Refusal(index, _already_recorded(int(period)), "period"))


def _person_not_found() -> ApplicationError:
    return ApplicationError(
        "person_not_found", gettext("No insured person with this ID number here."), status_code=404
    )


def _period_refusal(period: int, death_period: int | None) -> ApplicationError:
    if death_period is not None and period > death_period:
        return ApplicationError(
            "period_after_death", gettext("Contributions cannot be recorded after the month of death.")
        )
    return period_refusal(period) or ApplicationError(
        "period_in_future", gettext("The period %(period)s has not begun.") % {"period": period}
    )


def _already_recorded(period: int) -> ConflictError:
    return ConflictError(
        "contribution_already_recorded",
        gettext("The month %(period)s is already recorded.") % {"period": period},
    )


def _copy_into(table: str) -> str:
    return f"COPY {table} ({_COLUMNS_SQL}) FROM STDIN"


# --- the API's form: one person's months, all or none ----------------------------------------------------


@dataclass(frozen=True, slots=True)
class ContributionMonth:
    """One month as declared by an agency: only the base is taken from input, never an amount."""

    period: int
    declared_base: Decimal
    employer_code: str | None = None
    payment_type: str = PaymentType.NORMAL


@transaction.atomic
def contributions_record(
    *,
    person_id: int,
    scheme: str,
    province_id: str,
    months: Sequence[ContributionMonth],
    actor: Actor | None = None,
) -> list[int]:
    """Record one person's months of one scheme in one province, all or none (see ContributionRecorder).
    Refused with the first refusal's code, naming every month refused for it. Returns the periods
    recorded."""
    if not months:
        raise ApplicationError("contributions_empty", gettext("At least one month is required."))
    periods = [month.period for month in months]
    for period in periods:
        refused = period_refusal(period)
        if refused is not None:
            raise _naming_periods(refused, [period])
    repeated = sorted({p for p in periods if periods.count(p) > 1})
    if repeated:
        raise _naming_periods(
            ApplicationError("duplicate_period", gettext("A period appears more than once in the request.")),
            repeated,
        )
    lines: list[ContributionLine] = [
        (None, person_id, scheme, m.period, m.declared_base, m.payment_type, m.employer_code, None)
        for m in sorted(months, key=lambda m: m.period)
    ]
    _, refusals = ContributionRecorder(province_id, actor=actor).record(lines)
    if refusals:
        first = refusals[0].error
        raise _naming_periods(first, [lines[r.index][3] for r in refusals if r.code == first.code])
    return sorted(periods)


def _naming_periods(error: ApplicationError, periods: list[int]) -> ApplicationError:
    error.fields = {**error.fields, "periods": [str(period) for period in periods]}
    return error
