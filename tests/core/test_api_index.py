import pytest
from django.urls import resolve

pytestmark = pytest.mark.django_db


def test_the_api_root_lists_its_entry_points_and_each_one_answers(api_client):
    response = api_client.get("/api/v1/")

    assert response.status_code == 200
    index = response.json()
    assert index["version"] == "0.1.0"
    assert index["auth"]["login"] == "http://testserver/api/v1/auth/login"
    assert index["agency"]["imports"] == "http://testserver/api/v1/imports"
    assert index["documentation"]["swagger_ui"] == "http://testserver/api/docs/"
    urls = [url for group, names in index.items() if group != "version" for url in names.values()]
    assert len(urls) == 25
    for url in urls:
        path = url.removeprefix("http://testserver")
        resolve(path)
        # Anonymous: the public ones answer (health 503 without a worker), the others ask for credentials.
        assert api_client.get(path).status_code in (200, 401, 405, 503), path
