"""Bad-input guard: schemathesis fuzzes every operation of the OpenAPI schema, as every role.

The schema is read from the app itself (WSGI, in-process) and each operation gets a bounded, derandomized
set of generated requests, valid and invalid, sent as an anonymous caller and as each role with a real
token. The test fails on any 5xx, on a status the operation does not document, on an error code it does
not list for that status, and on a body or content type that does not match the documentation. New
endpoints are covered as soon as they are in the schema.

Each request runs in a savepoint that is rolled back, and the cache (throttles, lockouts) is emptied
first, so every request sees the same seeded world and Hypothesis can replay a failing case exactly. The
world: a Beijing person with contributions, an account and a certificate, a Guangdong person outside the
Beijing agency's scope, and a finished import job with a row error. Path parameters and query strings
sometimes name those records (`World.path_values`, `World.query_values`) and some operations sometimes get
a request that passes the business rules (`World.valid_requests`), so success responses are validated
too, not only refusals. When a new endpoint takes an id or needs a valid body, add it there.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

import pytest
import schemathesis
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from accounts.models import User
from accounts.services import auth_token_issue
from core.health import heartbeat_record
from imports.services import import_job_run, import_upload
from insurance.models import InboxMessage, Scheme
from insurance.services.certificates import certificate_issue
from insurance.services.inbox import OutgoingMessage, inbox_send_many
from tests.factories import (
    EMPLOYER_CODE,
    TEST_ACTOR,
    AdministratorFactory,
    AgencyStaffFactory,
    AgencySystemFactory,
    CitizenFactory,
    ServicePointFactory,
    make_id_number,
    register_person,
)

EXAMPLES_PER_OPERATION = 15


def error_code_conformance(ctx, response, case):
    """An error answer's code is one its operation documents for that status (`x-error-codes`)."""
    # A request with another method than the operation's (which answers 405) is schemathesis's own check.
    if not 400 <= response.status_code < 500 or case.method.lower() != case.operation.method.lower():
        return None
    # A page for browsers refuses with an HTML page (documented, and checked by content_type_conformance).
    if "text/html" in (response.headers.get("content-type") or [""])[0]:
        return None
    operation = schema.raw_schema["paths"][case.operation.path][case.operation.method.lower()]
    documented = operation["responses"].get(str(response.status_code), {})
    code = response.json()["error"]["code"]
    allowed = documented.get("x-error-codes", [])
    if code not in allowed:
        raise AssertionError(
            f"{case.operation.label} answered {response.status_code} {code!r}, which it does not document"
            f" (it documents {allowed}): add it to the operation's error_codes(...)"
        )
    return None


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    error_code_conformance,
]
ROLES = ["anonymous", "citizen", "agency_staff", "agency_system", "service_point", "administrator"]
LOGOUT = "/api/v1/auth/logout"
CONTRIBUTION_HEADER = "id_number,scheme,period,base,payment_type,employer_code,temporary_account\n"

APP = get_wsgi_application()
schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", APP)
# Operations that take no credentials (health, login, certificate verification) ignore any token sent:
# fuzzing them once, anonymously, is enough.
PUBLIC = {
    f"{method.upper()} {path}"
    for path, item in schema.raw_schema["paths"].items()
    for method, operation in item.items()
    if not any(operation.get("security") or [])
}


@dataclass
class World:
    users: dict[str, User]
    tokens: dict[str, str]
    # Seeded values, by parameter name, that generated path parameters and query strings sometimes take.
    path_values: dict[str, list]
    query_values: dict[str, list]
    # Valid requests by operation (path parameters and JSON body): random bodies almost never get past
    # the business rules, so without these the success responses would go unchecked.
    valid_requests: dict[str, list[dict]]

    def authorization(self, role: str, path: str) -> dict[str, str]:
        if role == "anonymous":
            return {}
        # Logout revokes the token it is called with: it gets a fresh one each time (rolled back after).
        token = auth_token_issue(user=self.users[role]).token if path == LOGOUT else self.tokens[role]
        return {"Authorization": f"Bearer {token}"}


# Read by the generation hooks below while a test runs: the records the current test seeded.
CURRENT: list[World] = []


OMIT = object()  # as a known value: leave the parameter out


def _with(values: dict, name: str, value) -> dict:
    return {key: v for key, v in values.items() if key != name} if value is OMIT else {**values, name: value}


def _sometimes_known(generated: dict | None, known: dict[str, list]) -> st.SearchStrategy:
    """The generated values, or with each parameter that names a seeded record sometimes set to it."""
    strategy = st.just(generated)
    for name, values in known.items():
        if isinstance(generated, dict) and name in generated:
            strategy = strategy.flatmap(
                lambda current, name=name, values=values: st.one_of(
                    st.just(current), st.sampled_from(values).map(lambda value: _with(current, name, value))
                )
            )
    return strategy


@schema.hook
def flatmap_path_parameters(context, path_parameters):
    return _sometimes_known(path_parameters, CURRENT[0].path_values if CURRENT else {})


@schema.hook
def flatmap_query(context, query):
    return _sometimes_known(query, CURRENT[0].query_values if CURRENT else {})


def _made_valid(case, request: dict):
    case.path_parameters = {**case.path_parameters, **request["path_parameters"]}
    case.body = request["body"]
    case.media_type = "application/json"
    return case


@schema.hook
def flatmap_case(context, case):
    known = CURRENT[0].valid_requests.get(context.operation.label, []) if CURRENT else []
    if not known:
        return st.just(case)
    return st.one_of(st.just(case), st.sampled_from(known).map(lambda request: _made_valid(case, request)))


@pytest.fixture
def caller(request, role):
    if role != "anonymous" and request.node.operation_label in PUBLIC:
        pytest.skip("the operation takes no credentials: fuzzed anonymously only")
    return role


@pytest.fixture
def world(request, settings, tmp_path, paying_person):
    settings.MEDIA_ROOT = tmp_path
    # The costly records (a signed PDF, an import run) are seeded only for the operations that read them.
    operation = request.node.operation_label
    beijing = paying_person
    guangdong = register_person(
        id_number=make_id_number(province="44", birth_date=datetime.date(1970, 3, 2), sex="F"), name="李四"
    )
    users = {
        "citizen": CitizenFactory(id_number=beijing.id_number),
        "agency_staff": AgencyStaffFactory(province="11"),
        "agency_system": AgencySystemFactory(province="11"),
        "service_point": ServicePointFactory(),
        "administrator": AdministratorFactory(),
    }
    seeded_paths: dict[str, list] = {"code": [EMPLOYER_CODE]}
    if "/certificates" in operation:
        certificate, _ = certificate_issue(
            person=beijing, verify_base_url="https://si.example.cn/", actor=TEST_ACTOR
        )
        seeded_paths = {
            "code": [certificate.verification_code, EMPLOYER_CODE],
            "certificate_id": [certificate.pk],
        }
    if "/imports" in operation:
        # One good row and one refused row, so the job has both progress and row errors to show.
        rows = "".join(
            f"{beijing.id_number},EP,{period},12000.00,normal,{EMPLOYER_CODE},false\n"
            for period in (202406, 202406)
        )
        job, _ = import_upload(
            user=users["agency_system"],
            kind="contributions",
            province_id="11",
            uploaded=SimpleUploadedFile("contributions.csv", (CONTRIBUTION_HEADER + rows).encode()),
            enqueue=False,
        )
        import_job_run(job_id=job.pk)
        seeded_paths["job_id"] = [job.pk]
    inbox_send_many(
        [OutgoingMessage(person_id=p.pk, kind="welcome", title="Welcome") for p in (beijing, guangdong)]
    )
    messages = {message.person_id: message.pk for message in InboxMessage.objects.all()}
    seeded = World(
        users=users,
        tokens={role: auth_token_issue(user=user).token for role, user in users.items()},
        path_values={
            **seeded_paths,
            "person_id": [beijing.pk, guangdong.pk],
            "message_id": [messages[beijing.pk], messages[guangdong.pk]],
        },
        query_values={
            "id_number": [beijing.id_number, guangdong.id_number],
            "name": [beijing.name, guangdong.name],
            # A generated cursor is never one the server issued: without it the first page is shown.
            "cursor": [OMIT],
        },
        valid_requests={
            "POST /api/v1/agency/persons/lookup": [
                {"path_parameters": {}, "body": {"id_number": beijing.id_number}}
            ],
            "POST /api/v1/agency/persons/{person_id}/contributions": [
                {
                    "path_parameters": {"person_id": beijing.pk},
                    "body": {
                        "scheme": Scheme.EMPLOYEE_PENSION,
                        "months": [
                            {"period": "202404", "base": "12000.00", "employer_code": EMPLOYER_CODE},
                            {"period": "202405", "base": "3000.00", "payment_type": "back_payment"},
                        ],
                    },
                }
            ],
            "POST /api/v1/agency/persons/{person_id}/death": [
                {"path_parameters": {"person_id": beijing.pk}, "body": {"date_of_death": "2024-05-20"}}
            ],
        },
    )
    CURRENT.append(seeded)
    yield seeded
    CURRENT.clear()


@pytest.fixture
def in_process_requests(world):
    """Requests go through the real WSGI handler inside the test's transaction. Like Django's test
    client, keep the handler from closing the connection (and with it the transaction) per request."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)
    cache.clear()


@pytest.mark.parametrize("role", ROLES)
@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_answers_as_documented(case, caller, world, in_process_requests):
    # Throttle counters and login lockouts live in Redis, outside the rolled-back transaction.
    cache.clear()
    # The service runs with its worker and beat, as deployed: health answers 200, not its documented 503.
    heartbeat_record("worker")
    heartbeat_record("beat")
    with transaction.atomic():
        case.call_and_validate(headers=world.authorization(caller, case.path), checks=CHECKS)
        transaction.set_rollback(True)
