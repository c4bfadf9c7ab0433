"""One rule, one place: the same input through the API and through an import gives the same refusals,
the same rows and the same events. Each path runs in a savepoint that is rolled back, so both start from
the same records."""

import datetime
import threading
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction

from core.models import StateEvent
from core.states import Actor
from imports.services import import_job_run, import_upload
from insurance import hooks
from insurance.models import (
    ContributionRecord,
    InsuranceRelationship,
    InsuredPerson,
    RelationshipStatus,
    Scheme,
)
from insurance.services import persons as persons_services
from insurance.services.relationships import relationship_suspend
from insurance.states import RELATIONSHIP_STATES
from tests.factories import (
    DEFAULT_PASSWORD,
    EMPLOYER_CODE,
    AgencyStaffFactory,
    AgencySystemFactory,
    CitizenFactory,
    authenticated_client,
    make_id_number,
    open_relationship,
    register_death,
    register_person,
)

pytestmark = pytest.mark.django_db


RELATIONSHIP_SHOWN = ("person__name", "scheme", "province_id", "status", "opened_period", "closed_period")
RELATIONSHIP_SHOWN += ("is_temporary_account", "employer_id")
CONTRIBUTION_SHOWN = ("person__name", "scheme", "province_id", "period", "base", "employer_amount")
CONTRIBUTION_SHOWN += ("individual_amount", "account_credit", "temporary_account", "employer_id")


RELATIONSHIP_SHOWN = ("person__name", "scheme", "province_id", "status", "opened_period", "closed_period")
RELATIONSHIP_SHOWN += ("is_temporary_account", "employer_id")
CONTRIBUTION_SHOWN = ("person__name", "scheme", "province_id", "period", "base", "employer_amount")
CONTRIBUTION_SHOWN += ("individual_amount", "account_credit", "temporary_account", "employer_id")


class _Rollback(Exception):
    pass


def _outcome_of(run) -> tuple:
    """What `run` (returning its refusal codes) did, then undone: codes, rows and events."""
    events_before = StateEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    outcome = None
    try:
        with transaction.atomic():
            codes = run()
            names = dict(InsuredPerson.objects.values_list("pk", "name"))  # new people's ids differ
            outcome = (
                codes,
                sorted(
                    InsuredPerson.objects.values_list(
                        "name", "status", "date_of_death", "residence_province_id"
                    )
                ),
                sorted(InsuranceRelationship.objects.values_list(*RELATIONSHIP_SHOWN)),
                sorted(ContributionRecord.objects.values_list(*CONTRIBUTION_SHOWN)),
                # The registry's events; an import job's own moves are its own.
                sorted(
                    (event.entity, names.get(event.person_id), event.from_state, event.to_state, event.reason)
                    for event in StateEvent.objects.filter(
                        pk__gt=events_before, entity__startswith="insurance."
                    )
                ),
            )
            raise _Rollback
    except _Rollback:
        pass
    return outcome


def _import(user, kind: str, header: str, lines: list[str]) -> list[str]:
    job, _ = import_upload(
        user=user,
        kind=kind,
        province_id=user.province_id,
        uploaded=SimpleUploadedFile(f"{kind}.csv", (header + "\n" + "\n".join(lines) + "\n").encode()),
        enqueue=False,
    )
    job = import_job_run(job_id=job.pk)
    errors = dict(job.row_errors.values_list("row", "code"))
    return [errors.get(row, "accepted") for row in range(2, 2 + len(lines))]


def _api(client, calls: list[tuple[str, dict]]) -> list[str]:
    codes = []
    for path, body in calls:
        response = client.post(path, body, format="json")
        codes.append("accepted" if response.status_code in (200, 201) else response.json()["error"]["code"])
    return codes


@pytest.fixture
def beijing():
    return AgencySystemFactory(province="11")


@pytest.fixture
def world(configured_years, employer):
    """Four people insured in Beijing and one in Guangdong, one of them dead, one paid in Guangdong."""
    people = {}
    for n, name in enumerate(["甲", "乙", "丙", "丁"]):
        people[name] = register_person(id_number=make_id_number(sequence=n), name=name)
        open_relationship(
            person=people[name], scheme=Scheme.EMPLOYEE_PENSION, province_id="11", opened_period=202401
        )
    people["戊"] = register_person(id_number=make_id_number(province="44", sequence=5), name="戊")
    guangdong = open_relationship(
        person=people["戊"], scheme=Scheme.EMPLOYEE_PENSION, province_id="44", opened_period=202301
    )
    amounts = {"employer_rate": Decimal("0.16"), "individual_rate": Decimal("0.08")}
    amounts |= {"employer_amount": Decimal("1280"), "individual_amount": Decimal("640")}
    ContributionRecord.objects.create(
        person=people["戊"], scheme="EP", province_id="44", period=202402, declared_base=Decimal("8000"),
        base=Decimal("8000"), base_adjustment="none", account_credit=Decimal("640"), **amounts,
    )  # fmt: skip
    relationship_suspend(relationship=guangdong, period=202403, actor=Actor.periodic("test"))
    open_relationship(
        person=people["戊"], scheme=Scheme.EMPLOYEE_PENSION, province_id="11", opened_period=202402
    )
    register_death(person=people["丁"], date_of_death=datetime.date(2024, 3, 1))
    return people


def test_deaths_through_the_api_and_an_import_are_one_rule(beijing, world):
    deaths = [("甲", "2024-05-20"), ("丁", "2024-05-20"), ("乙", "2023-12-31")]
    client = authenticated_client(AgencyStaffFactory(province="11"))

    by_api = _outcome_of(
        lambda: _api(
            client,
            [(f"/api/v1/agency/persons/{world[n].pk}/death", {"date_of_death": day}) for n, day in deaths],
        )
    )
    by_import = _outcome_of(
        lambda: _import(
            beijing, "deaths", "id_number,date_of_death,source",
            [f"{world[n].id_number},{day},civil_affairs" for n, day in deaths],
        )
    )  # fmt: skip

    assert by_api[0] == ["accepted", "person_already_deceased", "date_of_death_before_relationship"]
    assert by_api == by_import


def test_contributions_through_the_api_and_an_import_are_one_rule(beijing, world):
    months = [
        ("甲", "EP", 202404, EMPLOYER_CODE),  # accepted
        ("甲", "EM", 202404, EMPLOYER_CODE),  # no medical relationship
        ("乙", "EP", 202405, "91350100M000100Y9J"),  # unknown employer (a valid code)
        ("戊", "EP", 202402, EMPLOYER_CODE),  # paid in Guangdong already
        ("丁", "EP", 202402, EMPLOYER_CODE),  # a deceased person's relationships are closed
    ]
    client = authenticated_client(AgencyStaffFactory(province="11"))

    by_api = _outcome_of(
        lambda: _api(
            client,
            [
                (
                    f"/api/v1/agency/persons/{world[n].pk}/contributions",
                    {
                        "scheme": scheme,
                        "months": [{"period": str(period), "base": "9000.00", "employer_code": code}],
                    },
                )
                for n, scheme, period, code in months
            ],
        )
    )
    by_import = _outcome_of(
        lambda: _import(
            beijing, "contributions", "id_number,scheme,period,base,employer_code",
            [f"{world[n].id_number},{scheme},{period},9000.00,{code}" for n, scheme, period, code in months],
        )
    )  # fmt: skip

    assert by_api[0] == [
        "accepted",
        "relationship_not_open",
        "employer_not_found",
        "period_paid_elsewhere",
        "relationship_not_open",
    ]
    assert by_api == by_import


def test_enrolments_through_the_api_and_an_import_are_one_rule(beijing, world):
    newcomer = register_person(id_number=make_id_number(province="31", sequence=9), name="己")
    enrolments = [
        (newcomer, "EP", 202404),  # accepted
        (world["甲"], "EM", 202404),  # accepted: another scheme
        (world["戊"], "EP", 202404),  # pays in Beijing already
        (world["丁"], "EM", 202401),  # deceased
    ]
    client = authenticated_client(AgencyStaffFactory(province="11"))

    by_api = _outcome_of(
        lambda: _api(
            client,
            [
                ("/api/v1/agency/enrolments", {"id_number": p.id_number, "scheme": s, "start_period": str(m)})
                for p, s, m in enrolments
            ],
        )
    )
    by_import = _outcome_of(
        lambda: _import(
            beijing, "enrolments", "id_number,scheme,start_period",
            [f"{p.id_number},{s},{m}" for p, s, m in enrolments],
        )
    )  # fmt: skip

    assert by_api[0] == ["accepted", "accepted", "relationship_already_paying", "person_deceased"]
    assert by_api == by_import


def test_registrations_through_the_api_and_an_import_are_one_rule(beijing, world):
    people = [
        (make_id_number(province="32", sequence=1), "庚", "EP", 202404),  # new, enrolled
        (world["甲"].id_number, "甲二", None, None),  # known here: name brought up to date
        (
            make_id_number(province="32", sequence=2),
            "辛",
            "EP",
            198001,
        ),  # enrolment refused: registers nobody
    ]
    client = authenticated_client(AgencyStaffFactory(province="11"))

    def body(number, name, scheme, start):
        enrolment = {"scheme": scheme, "start_period": str(start)} if scheme else None
        return {"id_number": number, "name": name, "enrolment": enrolment}

    by_api = _outcome_of(lambda: _api(client, [("/api/v1/agency/registrations", body(*p)) for p in people]))
    by_import = _outcome_of(
        lambda: _import(
            beijing, "persons", "id_number,name,scheme,start_period",
            [f"{number},{name},{scheme or ''},{start or ''}" for number, name, scheme, start in people],
        )
    )  # fmt: skip

    assert by_api[0] == ["accepted", "accepted", "period_too_early"]
    assert by_api == by_import


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_an_imported_death_and_a_concurrent_suspension_each_leave_exactly_one_event(configured_years):
    system = AgencySystemFactory(province="11")
    person = register_person(id_number=make_id_number(), name="张三")
    relationship = open_relationship(
        person=person, scheme=Scheme.EMPLOYEE_PENSION, province_id="11", opened_period=202401
    )
    job, _ = import_upload(
        user=system,
        kind="deaths",
        province_id="11",
        uploaded=SimpleUploadedFile(
            "deaths.csv", f"id_number,date_of_death,source\n{person.id_number},2024-06-10,x\n".encode()
        ),
        enqueue=False,
    )
    barrier = threading.Barrier(2)
    suspension: list[str] = []

    def suspend() -> None:
        try:
            barrier.wait()
            relationship_suspend(relationship=relationship, period=202406, actor=Actor.periodic("race"))
            suspension.append("suspended")
        except Exception as refusal:  # the death closed it first
            suspension.append(getattr(refusal, "code", repr(refusal)))
        finally:
            connection.close()

    def die() -> None:
        try:
            barrier.wait()
            import_job_run(job_id=job.pk)
        finally:
            connection.close()

    threads = [threading.Thread(target=suspend), threading.Thread(target=die)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    moves = StateEvent.objects.exclude(from_state="")
    person_moves = list(moves.filter(entity="insurance.insuredperson").values_list("from_state", "to_state"))
    relationship_moves = list(
        moves.filter(entity="insurance.insurancerelationship")
        .order_by("pk")
        .values_list("from_state", "to_state")
    )
    relationship.refresh_from_db()
    assert person_moves == [("active", "deceased")]
    assert relationship.status == RelationshipStatus.CLOSED
    if suspension == ["suspended"]:
        assert relationship_moves == [("paying", "suspended"), ("suspended", "closed")]
    else:
        assert suspension == ["relationship_not_paying"]
        assert relationship_moves == [("paying", "closed")]
    assert RELATIONSHIP_STATES.sources_of(RelationshipStatus.CLOSED) == {"paying", "suspended"}


def _record_death(system, person, day: str, *, through: str) -> None:
    """Record a death through the agency API, or through a deaths import of `system`'s province."""
    if through == "api":
        client = authenticated_client(AgencyStaffFactory(province="11"))
        client.post(f"/api/v1/agency/persons/{person.pk}/death", {"date_of_death": day}, format="json")
    else:
        _import(system, "deaths", "id_number,date_of_death,source", [f"{person.id_number},{day},x"])


@pytest.mark.parametrize("through", ["api", "import"])
def test_a_recorded_death_revokes_the_citizens_tokens_and_refuses_sign_in(beijing, world, through):
    citizen = CitizenFactory(id_number=world["甲"].id_number)
    signed_in = authenticated_client(citizen)
    assert signed_in.get("/api/v1/me/profile").status_code == 200

    _record_death(beijing, world["甲"], "2024-05-20", through=through)

    login = signed_in.post(
        "/api/v1/auth/login", {"username": citizen.username, "password": DEFAULT_PASSWORD}, format="json"
    )
    assert signed_in.get("/api/v1/me/profile").status_code == 401
    assert (login.status_code, login.json()["error"]["code"]) == (403, "account_holder_deceased")


@pytest.mark.parametrize("through", ["api", "import"])
def test_the_apps_above_hear_of_a_death_once_through_the_one_hook_whatever_the_path(
    beijing, world, through, monkeypatch
):
    heard: list[tuple] = []
    monkeypatch.setattr(
        hooks, "DEATH_HOOKS", [lambda deaths, actor: heard.append((list(deaths), actor.channel))]
    )
    monkeypatch.setattr(persons_services, "DEATH_HOOKS", hooks.DEATH_HOOKS)

    _record_death(beijing, world["甲"], "2024-05-20", through=through)

    assert heard == [
        (
            [hooks.DeathRecorded(world["甲"].pk, datetime.date(2024, 5, 20))],
            "api" if through == "api" else "import",
        )
    ]
