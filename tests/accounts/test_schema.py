import pytest

pytestmark = pytest.mark.django_db


def test_schema_documents_the_auth_endpoints_and_the_bearer_scheme(api_client):
    schema = api_client.get("/api/schema/", HTTP_ACCEPT="application/json").json()

    assert schema["components"]["securitySchemes"]["BearerToken"]["scheme"] == "bearer"
    login = schema["paths"]["/api/v1/auth/login"]["post"]
    assert login["security"] == [{}]  # anyone, without credentials
    assert login["responses"]["401"]["description"] == (
        "- `invalid_credentials`: The username or password is wrong."
    )
    assert login["responses"]["429"]["content"]["application/json"]["schema"]["$ref"] == (
        "#/components/schemas/Error"
    )
    assert login["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/LoginInputRequest"
    )
    me = schema["paths"]["/api/v1/auth/me"]["get"]
    # An agency system may send its API key instead (faults): a second scheme, either one suffices.
    assert me["security"] == [{"BearerToken": []}, {"ApiKey": []}]
    assert schema["components"]["securitySchemes"]["ApiKey"] == {
        "type": "apiKey",
        "in": "header",
        "name": "Authorization",
        "description": schema["components"]["securitySchemes"]["ApiKey"]["description"],
    }
    assert me["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith("/CurrentUser")
    assert {"204", "401"} <= set(schema["paths"]["/api/v1/auth/logout"]["post"]["responses"])
