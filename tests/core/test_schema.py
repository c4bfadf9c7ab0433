import pytest

pytestmark = pytest.mark.django_db

ENVELOPE = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
ERROR_PAGE = {
    "schema": {"type": "string", "description": "The refusal's message as an HTML page, for a browser."}
}


@pytest.fixture
def schema(api_client):
    return api_client.get("/api/schema/", HTTP_ACCEPT="application/json").json()


def operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            yield f"{method.upper()} {path}", operation


def _error_content(operation, status: str) -> dict:
    """The envelope; and where the operation answers a browser with a page, the refusal as a page too
    (but for 406, answered in JSON whatever the Accept)."""
    pages = any("text/html" in r.get("content", {}) for s, r in operation["responses"].items() if s < "400")
    if pages and status != "406":
        return {**ENVELOPE, "text/html": ERROR_PAGE}
    return ENVELOPE


def test_every_error_response_is_the_envelope_and_lists_its_codes(schema):
    wrong = {
        (label, status)
        for label, operation in operations(schema)
        for status, response in operation["responses"].items()
        if status >= "400"
        and status != "503"  # health's own answer, its Health body
        and (
            response.get("content") != _error_content(operation, status) or not response.get("x-error-codes")
        )
    }

    assert wrong == set()
    assert schema["components"]["schemas"]["Error"]["required"] == ["error"]
    assert schema["components"]["schemas"]["ErrorBody"]["required"] == ["code", "message", "fields"]


def test_each_error_status_lists_only_codes_of_that_status(schema):
    from core.errors import declared_error_codes

    declared = declared_error_codes()
    wrong = [
        (label, status, code)
        for label, operation in operations(schema)
        for status, response in operation["responses"].items()
        for code in response.get("x-error-codes", ())
        if code not in declared
        or status not in {str(s) for s in (declared[code].status, *declared[code].also_statuses)}
    ]

    assert wrong == []


def test_health_documents_only_what_it_returns(schema):
    health = schema["paths"]["/api/health"]["get"]

    assert sorted(health["responses"]) == ["200", "406", "503"]
    assert health["responses"]["406"]["x-error-codes"] == ["not_acceptable"]
    assert health["security"] == [{}]


def test_an_operation_documents_the_statuses_of_what_it_is(schema):
    paths = schema["paths"]
    me = paths["/api/v1/auth/me"]["get"]["responses"]
    profile = paths["/api/v1/me/profile"]["get"]["responses"]
    search = paths["/api/v1/agency/persons"]["get"]["responses"]
    detail = paths["/api/v1/agency/persons/{person_id}"]["get"]["responses"]

    assert sorted(me) == ["200", "401", "406"]  # no input, no role, no record named
    assert sorted(profile) == ["200", "401", "403", "404", "406"]  # the citizen's own record may be missing
    assert sorted(search) == ["200", "400", "401", "403", "404", "406"]  # 404: a cursor never issued
    assert sorted(detail) == ["200", "401", "403", "404", "406"]


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
        "temporary_account_sealed",
        "contribution_already_recorded",
        "idempotency_in_progress",
    ]
    assert contributions["responses"]["409"]["description"] == (
        "- `period_paid_elsewhere`: The employee pension of this month is already paid in another province "
        "(named in `fields`).\n"
        "- `temporary_account_sealed`: The person's temporary account in the province is sealed (gathered "
        "elsewhere): it takes no more.\n"
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
        "temporary_account_short",
        "idempotency_in_progress",
    ]
    assert codes(enrolment, "404") == ["person_not_found"]  # the person is named in the body
    assert {"employer_not_found", "period_before_birth", "period_before_suspension"} <= set(
        codes(enrolment, "400")
    )
    assert {"period_paid_elsewhere", "contribution_already_recorded"} <= set(codes(contributions, "409"))
    assert {"relationship_not_open", "period_after_death", "duplicate_period"} <= set(
        codes(contributions, "400")
    )
    assert codes(death, "409") == ["person_already_deceased", "idempotency_in_progress"]
    assert codes(death, "400")[:2] == ["date_of_death_invalid", "date_of_death_before_relationship"]
    # The declared row count is checked by the job's first pass, not at upload: its failure, not a 400.
    assert codes(upload, "400")[:5] == [
        "file_not_csv_or_xlsx",
        "file_encoding",
        "file_empty",
        "file_header",
        "file_archive_limit",
    ]
    assert codes(upload, "413") == ["file_too_large"]
    assert codes(upload, "403") == ["province_out_of_scope", "permission_denied"]


def test_only_operations_that_authenticate_name_the_token_codes(schema):
    login = schema["paths"]["/api/v1/auth/login"]["post"]
    me = schema["paths"]["/api/v1/auth/me"]["get"]

    assert codes(login, "401") == ["invalid_credentials"]
    assert codes(login, "429") == ["login_locked", "login_slowed", "throttled"]
    assert codes(login, "503") == ["service_unavailable"]
    assert codes(me, "401") == [
        "not_authenticated",
        "authentication_failed",
        "token_expired",
        "api_key_expired",
        "account_disabled",
    ]
    assert "401" not in schema["paths"]["/api/health"]["get"]["responses"]
    assert "409" not in me["responses"]
    # An upload conflicts with nothing but a retry of itself still running (its Idempotency-Key).
    assert codes(schema["paths"]["/api/v1/imports"]["post"], "409") == ["idempotency_in_progress"]


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
    # No page's cursor or size: only the path's person and the Idempotency-Key header of a creating POST.
    assert [(parameter["in"], parameter["name"]) for parameter in contributions["post"]["parameters"]] == [
        ("header", "Idempotency-Key"),
        ("path", "person_id"),
    ]


def _undescribed(node, where: str):
    """The properties under `node` (a schema) that have no description, as Schema.property paths."""
    if not isinstance(node, dict):
        return
    for name, prop in (node.get("properties") or {}).items():
        if not prop.get("description"):
            yield f"{where}.{name}"
        yield from _undescribed(prop, f"{where}.{name}")
    for key in ("items", "additionalProperties"):
        yield from _undescribed(node.get(key), f"{where}[]")
    for key in ("allOf", "oneOf", "anyOf"):
        for part in node.get(key, ()):
            yield from _undescribed(part, where)


def test_every_property_has_a_description(schema):
    missing = [
        missing
        for name, component in schema["components"]["schemas"].items()
        for missing in _undescribed(component, name)
    ]
    missing += [
        f"{label} {status} (inline)"
        for label, operation in operations(schema)
        for status, response in operation["responses"].items()
        for body in response.get("content", {}).values()
        for _ in _undescribed(body.get("schema"), "inline")
    ]

    assert missing == [], (
        "These properties have no description (give their fields a help_text):\n" + "\n".join(missing)
    )


def test_every_parameter_has_a_description(schema):
    missing = [
        f"{label} {parameter['in']} parameter {parameter['name']}"
        for label, operation in operations(schema)
        for parameter in operation.get("parameters", ())
        if not parameter.get("description")
    ]

    assert missing == [], (
        "These parameters have no description (path ones: config/openapi.py):\n" + "\n".join(missing)
    )


def test_every_request_body_has_an_example(schema):
    missing = [
        f"{label} ({media_type})"
        for label, operation in operations(schema)
        for media_type, body in operation.get("requestBody", {}).get("content", {}).items()
        if media_type != "application/x-www-form-urlencoded"
        and not (body.get("example") or body.get("examples"))
        and media_type in ("application/json", "multipart/form-data")
        and not (
            # drf-spectacular gives the example to the first media type only; JSON has it where both are.
            media_type == "multipart/form-data" and "application/json" in operation["requestBody"]["content"]
        )
    ]

    assert missing == [], "These request bodies have no example (extend_schema(examples=...)):\n" + "\n".join(
        missing
    )


def test_every_operation_has_a_tag_of_its_role_and_area(schema):
    from config.openapi import TAGS

    declared = {tag["name"]: tag.get("description") for tag in schema["tags"]}
    untagged = [
        label
        for label, operation in operations(schema)
        if len(operation.get("tags", ())) != 1 or operation["tags"][0] not in declared
    ]

    assert untagged == [], "These operations' paths match no tag of config/openapi.py TAGS:\n" + "\n".join(
        untagged
    )
    assert all(declared.values())
    assert [group["name"] for group in schema["x-tagGroups"]] == [
        "Everyone",
        "Citizens",
        "Agencies",
        "Service points",
        "Public",
        "Operators",
    ]
    used = {operation["tags"][0] for _, operation in operations(schema)}
    assert used == {tag.name for tag in TAGS}  # no tag left without an operation


def test_the_schema_names_its_servers_and_a_security_for_every_operation(schema):
    assert schema["servers"] == [{"url": "/", "description": "This deployment"}]
    assert [label for label, operation in operations(schema) if "security" not in operation] == []
