"""`seed_demo`: province figures, employers, people with their histories, yearly interest, demo logins.

People, their enrolments, contributions, suspensions, retirements and deaths go through the registry's
services (demo.bulk). Everything is written in one transaction, so a failure leaves nothing
half-written. Re-running with the same seed adds nothing twice: figures, employers and people that
already exist (people are recognised by the keyed hash of their ID number) are skipped, and interest is
credited by the service, which credits a year once.
"""

from __future__ import annotations

import datetime
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Role, User
from accounts.services import (
    administrator_create,
    agency_staff_create,
    agency_system_create,
    citizen_create,
    service_point_create,
)
from core.crypto import keyed_hash
from core.models import StateEvent
from core.states import Actor
from demo.bulk import PeopleWriter, Written
from demo.figures import ACCOUNT_INTEREST_RATES, PROVINCE_CODES, average_monthly_wage
from demo.people import EmployerPlan, PersonPlan, employer_plans, person_plan
from insurance.employer_codes import UnifiedSocialCreditCode
from insurance.models import (
    AccountEntry,
    ContributionRecord,
    Employer,
    InsuranceRelationship,
    InsuredPerson,
    ProvinceYearConfig,
    Scheme,
)
from insurance.services.accounts import account_interest_credit
from insurance.services.tariffs import province_year_config_create

# One password for every demo login, printed by the command and documented in the README.
DEMO_PASSWORD = "shebao-demo-2026"
BATCH_PERSONS = 5_000
PERSONS_PER_EMPLOYER = 40
SHOWCASE_INDEX = 0  # the person the `citizen` login is bound to


@dataclass(frozen=True, slots=True)
class DemoLogin:
    username: str
    role: str
    note: str
    create: Callable[..., User]
    binding: dict


def demo_logins(citizen_id_number: str) -> tuple[DemoLogin, ...]:
    return (
        DemoLogin(
            "citizen",
            Role.CITIZEN,
            _("the showcase person: Guangdong since before 1998, Beijing since"),
            citizen_create,
            {"id_number": citizen_id_number},
        ),
        DemoLogin(
            "agency-11",
            Role.AGENCY_STAFF,
            _("Beijing clerk: API, and /admin/ for Beijing"),
            agency_staff_create,
            {"province_code": "11"},
        ),
        DemoLogin(
            "agency-44",
            Role.AGENCY_STAFF,
            _("Guangdong clerk: API, and /admin/ for Guangdong"),
            agency_staff_create,
            {"province_code": "44"},
        ),
        DemoLogin(
            "agency-system-11",
            Role.AGENCY_SYSTEM,
            _("Beijing agency system"),
            agency_system_create,
            {"province_code": "11"},
        ),
        DemoLogin("service-point", Role.SERVICE_POINT, _("card service point"), service_point_create, {}),
        DemoLogin(
            "admin", Role.ADMINISTRATOR, _("national administrator at /admin/"), administrator_create, {}
        ),
    )


Progress = Callable[[str], None]


@dataclass
class SeedReport:
    configs: int
    employers: int
    skipped_persons: int
    written: Written
    interest_entries: int
    logins: tuple[DemoLogin, ...]
    created_logins: int


# The employers that the example import files (imports/examples) name, so that the examples import in
# sequence against the demo data.
EXAMPLE_EMPLOYERS = (
    EmployerPlan("91110000600037341L", "示例科技有限公司", "11"),
    EmployerPlan("91440300708461136T", "示例贸易有限公司", "44"),
)


def demo_employers(*, persons: int, seed: int) -> list[EmployerPlan]:
    return employer_plans(seed=seed, count=max(2 * len(PROVINCE_CODES), persons // PERSONS_PER_EMPLOYER))


def plan_people(*, persons: int, seed: int, years: int, today: datetime.date) -> list[PersonPlan]:
    """The demo's people, the same for the same arguments."""
    employers = demo_employers(persons=persons, seed=seed)
    by_province: dict[str, list[str]] = {}
    for employer in employers:
        by_province.setdefault(employer.province, []).append(employer.code)
    return [
        person_plan(seed=seed, index=index, years=years, today=today, employers=by_province)
        for index in range(persons)
    ]


class _Clock:
    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.started = time.monotonic()

    def say(self, message: str) -> None:
        self.progress(f"[{time.monotonic() - self.started:7.1f}s] {message}")


def _configs_ensure(needed: set[tuple[str, int]]) -> int:
    existing = set(ProvinceYearConfig.objects.values_list("province_id", "year"))
    for province, year in sorted(needed - existing):
        province_year_config_create(
            province_id=province,
            year=year,
            average_monthly_wage=average_monthly_wage(province, year),
            account_interest_rate=ACCOUNT_INTEREST_RATES.get(year),
        )
    return len(needed - existing)


def _configs_needed(plans: list[PersonPlan], *, years: int, today: datetime.date) -> set[tuple[str, int]]:
    """Every province for the recent years (agencies record contributions there), and every year since
    someone first paid in a province (their account there earns each year's interest)."""
    needed = {(p, y) for p in PROVINCE_CODES for y in range(today.year - years, today.year + 1)}
    for plan in plans:
        for stint in plan.stints:
            needed.update((stint.province, y) for y in range(stint.first // 100, today.year + 1))
    return needed


def _employers_ensure(*, seed: int, persons: int) -> tuple[int, dict[str, int]]:
    plans = demo_employers(persons=persons, seed=seed)
    plans += [plan for plan in EXAMPLE_EMPLOYERS if plan.code not in {p.code for p in plans}]
    codes = [plan.code for plan in plans]
    existing = set(Employer.objects.filter(code__in=codes).values_list("code", flat=True))
    new = [
        Employer(
            code=UnifiedSocialCreditCode.parse(plan.code).value, name=plan.name, province_id=plan.province
        )
        for plan in plans
        if plan.code not in existing
    ]
    Employer.objects.bulk_create(new, batch_size=2_000)
    return len(new), dict(Employer.objects.filter(code__in=codes).values_list("code", "id"))


def _existing_hashes(hashes: list[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(hashes), 10_000):
        chunk = hashes[start : start + 10_000]
        found.update(
            InsuredPerson.objects.filter(id_number_hash__in=chunk).values_list("id_number_hash", flat=True)
        )
    return found


def _interest_credit(plans: list[PersonPlan], today: datetime.date, clock: _Clock) -> int:
    """Yearly interest through the service, year by year (each year's interest earns the next year's),
    from the first year the people written paid into the employee pension."""
    first_year = min(
        (
            stint.first // 100
            for plan in plans
            for stint in plan.stints
            if Scheme.EMPLOYEE_PENSION in stint.schemes
        ),
        default=today.year,
    )
    written = 0
    actor = Actor.periodic("seed_demo")
    for year in range(first_year, today.year):
        if year not in ACCOUNT_INTEREST_RATES:
            continue
        run = account_interest_credit(
            province_id=None, scheme=Scheme.EMPLOYEE_PENSION, up_to_period=year * 100 + 12, actor=actor
        )
        written += run.entries
        clock.say(f"interest {year}: {written:,} entries so far")
    return written


def _logins_ensure(citizen_id_number: str) -> tuple[tuple[DemoLogin, ...], int]:
    logins = demo_logins(citizen_id_number)
    existing = set(
        User.objects.filter(username__in=[login.username for login in logins]).values_list(
            "username", flat=True
        )
    )
    created = 0
    for login in logins:
        if login.username not in existing:
            login.create(username=login.username, password=DEMO_PASSWORD, **login.binding)
            created += 1
    return logins, created


@transaction.atomic
def demo_seed(
    *,
    persons: int,
    seed: int,
    years: int,
    progress: Progress,
    today: datetime.date | None = None,
) -> SeedReport:
    today = today or timezone.localdate()
    clock = _Clock(progress)
    plans = plan_people(persons=persons, seed=seed, years=years, today=today)
    clock.say(f"planned {len(plans):,} persons, {sum(p.months() for p in plans):,} contribution months")

    with connection.cursor() as cursor:
        # Serialises two seed_demo runs (the lock mode conflicts with itself): the second finds the
        # people of the first registered, and skips them.
        cursor.execute(f"LOCK TABLE {InsuredPerson._meta.db_table} IN SHARE ROW EXCLUSIVE MODE")

    configs = _configs_ensure(_configs_needed(plans, years=years, today=today))
    clock.say(f"province figures: {configs:,} province-years created")
    employers, employer_ids = _employers_ensure(seed=seed, persons=persons)
    clock.say(f"employers: {employers:,} created, {len(employer_ids):,} in the demo")

    existing = _existing_hashes([keyed_hash(plan.id_number) for plan in plans])
    new = [plan for plan in plans if keyed_hash(plan.id_number) not in existing]
    clock.say(f"persons: {len(existing):,} already seeded, {len(new):,} to write")
    writer = PeopleWriter(employer_ids=employer_ids, today=today)
    written = writer.written
    for start in range(0, len(new), BATCH_PERSONS):
        writer.write(new[start : start + BATCH_PERSONS])
        clock.say(
            f"persons {written.persons:,}/{len(new):,}: {written.relationships:,} relationships, "
            f"{written.contributions:,} contributions"
        )
    if written.persons:
        # Fresh statistics, so that the interest queries (and the API afterwards) plan for the real sizes.
        with connection.cursor() as cursor:
            for model in (InsuredPerson, InsuranceRelationship, ContributionRecord, AccountEntry, StateEvent):
                cursor.execute(f"ANALYZE {model._meta.db_table}")
    interest = _interest_credit(new, today, clock)
    logins, created_logins = _logins_ensure(plans[SHOWCASE_INDEX].id_number)
    clock.say(f"demo logins: {created_logins} created")
    return SeedReport(
        configs=configs,
        employers=employers,
        skipped_persons=len(existing),
        written=written,
        interest_entries=interest,
        logins=logins,
        created_logins=created_logins,
    )
