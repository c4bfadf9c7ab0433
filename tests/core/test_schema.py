import pytest

pytestmark = pytest.mark.django_db

ERROR_STATUSES = {"400", "401", "403", "404", "409", "423", "429"}
ENVELOPE = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}


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
    login = schema["paths"]["/api/v1/auth/login"]["post"]["responses"]

    assert login["401"]["description"] == "`invalid_credentials`."


def test_a_write_answering_with_several_records_is_a_plain_array_not_a_page(schema):
    contributions = schema["paths"]["/api/v1/agency/persons/{person_id}/contributions"]

    created = contributions["post"]["responses"]["201"]["content"]["application/json"]["schema"]
    listed = contributions["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert created == {"type": "array", "items": {"$ref": "#/components/schemas/Contribution"}}
    assert listed == {"$ref": "#/components/schemas/PaginatedContributionList"}
    assert [parameter["name"] for parameter in contributions["post"]["parameters"]] == ["person_id"]
