import pytest

pytestmark = pytest.mark.django_db

ERROR_STATUSES = {"400", "401", "403", "404", "409", "423", "429"}
ENVELOPE = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
# The operators' endpoints document only what they return (tests/core/test_health.py).
OPERATORS = {"GET /api/health", "GET /api/ready"}


@pytest.fixture
def schema(api_client):
    return api_client.get("/api/schema/", HTTP_ACCEPT="application/json").json()


def operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            yield f"{method.upper()} {path}", operation


def test_every_operation_documents_the_error_envelope_for_every_error_status(schema):
    missing = {
        (label, status)
        for label, operation in operations(schema)
        if label not in OPERATORS
        for status in ERROR_STATUSES | ({"415"} if "requestBody" in operation else set())
        if operation["responses"].get(status, {}).get("content") != ENVELOPE
    }

    assert missing == set()
    assert schema["components"]["schemas"]["Error"]["required"] == ["error"]
    assert schema["components"]["schemas"]["ErrorBody"]["required"] == ["code", "message", "fields"]


def test_only_operations_with_a_body_document_415(schema):
    documented = {label for label, operation in operations(schema) if "415" in operation["responses"]}

    assert documented == {label for label, operation in operations(schema) if "requestBody" in operation}
    assert "GET /api/v1/auth/me" not in documented


def test_an_error_response_an_operation_documents_itself_is_kept(schema):
    health = schema["paths"]["/api/health"]["get"]["responses"]

    assert health["503"]["content"]["application/json"]["schema"]["$ref"] == "#/components/schemas/Health"


def codes(operation, status):
    """The codes an error response's description names, in order."""
    return [line.split("`")[1] for line in operation["responses"][status]["description"].splitlines()]


def test_each_error_response_names_the_codes_of_its_status_with_their_meaning(schema):
    contributions = schema["paths"]["/api/v1/agency/persons/{person_id}/contributions"]["post"]

    assert codes(contributions, "409") == [
        "period_paid_elsewhere",
        "contribution_already_recorded",
        "idempotency_in_progress",
    ]
    assert contributions["responses"]["409"]["description"] == (
        "- `period_paid_elsewhere`: The employee pension of this month is already paid in another province "
        "(named in `fields`).\n"
        "- `contribution_already_recorded`: The month is already recorded.\n"
        "- `idempotency_in_progress`: A request with this Idempotency-Key is still running: retry later to "
        "get its answer."
    )
    # The operation's own codes first, then those any operation that reads a body may answer with.
    assert codes(contributions, "400")[-2:] == ["invalid", "malformed_request"]
    assert "x-error-codes" not in contributions


def test_the_codes_of_enrolment_contributions_death_and_upload_are_listed(schema):
    paths = schema["paths"]
    enrolment = paths["/api/v1/agency/enrolments"]["post"]
    contributions = paths["/api/v1/agency/persons/{person_id}/contributions"]["post"]
    death = paths["/api/v1/agency/persons/{person_id}/death"]["post"]
    upload = paths["/api/v1/imports"]["post"]

    assert codes(enrolment, "409") == [
        "person_deceased",
        "relationship_already_paying",
        "relationship_paying_elsewhere",
        "idempotency_in_progress",
    ]
    assert codes(enrolment, "404") == ["person_not_found", "not_found"]
    assert {"employer_not_found", "period_before_birth", "period_before_suspension"} <= set(
        codes(enrolment, "400")
    )
    assert {"period_paid_elsewhere", "contribution_already_recorded"} <= set(codes(contributions, "409"))
    assert {"relationship_not_open", "period_after_death", "duplicate_period"} <= set(
        codes(contributions, "400")
    )
    assert codes(death, "409") == ["person_already_deceased", "idempotency_in_progress"]
    assert codes(death, "400")[:2] == ["date_of_death_invalid", "date_of_death_before_relationship"]
    assert codes(upload, "400")[:5] == [
        "file_not_csv_or_xlsx",
        "file_encoding",
        "file_empty",
        "file_header",
        "file_row_count_mismatch",
    ]
    assert codes(upload, "413") == ["file_too_large"]
    assert codes(upload, "403") == ["province_out_of_scope", "permission_denied"]


def test_only_operations_that_authenticate_name_the_token_codes(schema):
    login = schema["paths"]["/api/v1/auth/login"]["post"]
    me = schema["paths"]["/api/v1/auth/me"]["get"]

    assert codes(login, "401") == ["invalid_credentials"]
    assert codes(login, "429") == ["login_locked", "throttled"]
    assert codes(me, "401") == [
        "not_authenticated",
        "authentication_failed",
        "token_expired",
        "account_disabled",
    ]
    verify = schema["paths"]["/api/v1/certificates/verify/{code}"]["get"]
    assert verify["responses"]["401"]["description"] == "The caller is not signed in."
    assert "`" not in schema["paths"]["/api/v1/imports/{job_id}"]["get"]["responses"]["409"]["description"]


def test_every_creating_post_documents_the_idempotency_key_header_and_its_codes(schema):
    creating = [
        "/api/v1/agency/persons/{person_id}/contributions",
        "/api/v1/agency/persons/{person_id}/death",
        "/api/v1/agency/enrolments",
        "/api/v1/agency/enrolments/batch",
        "/api/v1/agency/registrations",
        "/api/v1/me/certificates",
        "/api/v1/imports",
    ]
    for path in creating:
        operation = schema["paths"][path]["post"]
        (header,) = [p for p in operation["parameters"] if p["name"] == "Idempotency-Key"]
        assert (header["in"], header.get("required", False), header["schema"]) == (
            "header",
            False,
            {"type": "string"},
        )
        assert "idempotency_key_reused" in codes(operation, "422"), path
        assert "idempotency_key_invalid" in codes(operation, "400"), path
    login = schema["paths"]["/api/v1/auth/login"]["post"]
    assert not [p for p in login.get("parameters", ()) if p["name"] == "Idempotency-Key"]


def test_an_operation_names_only_declared_codes_that_a_response_carries():
    from django.core.exceptions import ImproperlyConfigured

    from core.schema import error_codes

    assert error_codes("not_found") == {"x-error-codes": ["not_found"]}
    with pytest.raises(ImproperlyConfigured, match="declared in no app"):
        error_codes("no_such_code")
    with pytest.raises(ImproperlyConfigured, match="an import's"):
        error_codes("duplicate_in_file")


def test_a_write_answering_with_several_records_is_a_plain_array_not_a_page(schema):
    contributions = schema["paths"]["/api/v1/agency/persons/{person_id}/contributions"]

    created = contributions["post"]["responses"]["201"]["content"]["application/json"]["schema"]
    listed = contributions["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert created == {"type": "array", "items": {"$ref": "#/components/schemas/Contribution"}}
    assert listed == {"$ref": "#/components/schemas/PaginatedContributionList"}
    assert [parameter["name"] for parameter in contributions["post"]["parameters"]] == [
        "Idempotency-Key",
        "person_id",
    ]
