"""The README's agency walk-through and the example import files work, in order, on the demo data."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts.models import User
from demo.seed import demo_seed
from imports.kinds import EXAMPLES_DIR
from imports.services import import_job_run, import_upload
from tests.factories import authenticated_client

pytestmark = pytest.mark.django_db

README_ID_NUMBER = "110105199003071239"


@pytest.fixture
def demo(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    demo_seed(persons=30, seed=1, years=3, progress=lambda _: None, today=timezone.localdate())


def _months_ago(months: int) -> str:
    today = timezone.localdate()
    index = today.year * 12 + today.month - 1 - months
    return f"{index // 12}{index % 12 + 1:02d}"


def test_an_agency_enrols_records_and_sees_contributions_on_the_demo_data(demo):
    client = authenticated_client(User.objects.get(username="agency-11"))
    start, second = _months_ago(3), _months_ago(2)

    registered = client.post(
        "/api/v1/agency/registrations",
        {
            "id_number": README_ID_NUMBER,
            "name": "王小明",
            "enrolment": {"scheme": "EP", "start_period": start},
        },
        format="json",
    )
    person = registered.json()["person"]["id"]
    medical = client.post(
        "/api/v1/agency/enrolments",
        {"id_number": README_ID_NUMBER, "scheme": "EM", "start_period": start},
        format="json",
    )
    recorded = client.post(
        f"/api/v1/agency/persons/{person}/contributions",
        {
            "scheme": "EP",
            "months": [{"period": start, "base": "9000.00"}, {"period": second, "base": "9000.00"}],
        },
        format="json",
    )
    seen = client.get(f"/api/v1/agency/persons/{person}/contributions").json()["results"]
    relationships = client.get(f"/api/v1/agency/persons/{person}/relationships").json()
    pension = next(r for r in relationships if r["scheme"] == "EP")
    base = f"/api/v1/agency/persons/{person}/relationships/{pension['id']}"
    suspended = client.post(f"{base}/suspend", {"period": _months_ago(1), "reason": "Left"}, format="json")
    resumed = client.post(f"{base}/resume", {"period": _months_ago(0)}, format="json")
    found = client.post("/api/v1/agency/persons/lookup", {"id_number": README_ID_NUMBER}, format="json")
    by_part = client.get("/api/v1/agency/persons", {"name": "小明", "match": "contains"}).json()["results"]
    in_range = client.get(
        f"/api/v1/agency/persons/{person}/contributions",
        {"period_from": start, "period_to": second, "page_size": 100},
    ).json()["results"]
    years = client.get(f"/api/v1/agency/persons/{person}/contribution-years").json()
    accounts = client.get(f"/api/v1/agency/persons/{person}/accounts").json()["accounts"]
    employer = client.get("/api/v1/agency/employers/91110000600037341L")
    died = client.post(
        f"/api/v1/agency/persons/{person}/death",
        {"date_of_death": timezone.localdate().isoformat()},
        format="json",
    )

    assert (registered.status_code, medical.status_code, recorded.status_code) == (201, 201, 201)
    assert [row["period"] for row in seen] == [int(second), int(start)]
    assert (suspended.status_code, resumed.status_code, died.status_code) == (200, 200, 200)
    assert found.json()["id"] == person
    assert person in [row["id"] for row in by_part]
    assert [row["period"] for row in in_range] == [int(second), int(start)]
    assert years["total"]["total_months"] == 2
    assert [account["scheme"] for account in accounts] == ["EP", "EM"]
    assert employer.json()["name"] == "示例科技有限公司"
    assert died.json()["status"] == "deceased"


def test_the_example_files_import_in_sequence_on_the_demo_data(demo):
    system = User.objects.get(username="agency-system-11")
    states = []
    for kind in ("persons", "enrolments", "contributions", "life_evidence", "status_evidence", "deaths"):
        job, _ = import_upload(
            user=system,
            kind=kind,
            province_id="11",
            uploaded=SimpleUploadedFile(f"{kind}.csv", (EXAMPLES_DIR / f"{kind}.csv").read_bytes()),
            enqueue=False,
        )
        job = import_job_run(job_id=job.pk)
        states.append((kind, job.state, job.rows_rejected, list(job.row_errors.values_list("row", "code"))))

    assert states == [
        ("persons", "succeeded", 0, []),
        ("enrolments", "succeeded", 0, []),
        ("contributions", "succeeded", 0, []),
        ("life_evidence", "succeeded", 0, []),
        ("status_evidence", "succeeded", 0, []),
        ("deaths", "succeeded", 0, []),
    ]


def test_the_readme_transfer_walk_through_works_on_the_demo_data(demo):
    citizen = authenticated_client(User.objects.get(username="citizen"))
    beijing = authenticated_client(User.objects.get(username="agency-11"))
    guangdong = authenticated_client(User.objects.get(username="agency-44"))

    offered = citizen.get("/api/v1/me/transfers").json()["results"]
    assert [(t["status"], t["from_province"], t["to_province"]) for t in offered] == [("offered", "44", "11")]
    transfer = offered[0]["id"]
    assert citizen.post(f"/api/v1/me/transfers/{transfer}/confirm").json()["status"] == "applied"
    queue = beijing.get("/api/v1/agency/transfers?side=transfer_in&step=applied").json()["results"]
    assert [row["id"] for row in queue] == [transfer]
    assert beijing.post(f"/api/v1/agency/transfers/{transfer}/accept").json()["status"] == "accepted"
    sent = guangdong.post(f"/api/v1/agency/transfers/{transfer}/send")
    assert sent.status_code == 200, sent.json()
    money = sent.json()["money"]
    assert money["months"] > 0 and money["pooled_amount"] != "0.00"
    done = beijing.post(f"/api/v1/agency/transfers/{transfer}/complete").json()
    assert done["status"] == "completed"
    detail = citizen.get(f"/api/v1/me/transfers/{transfer}").json()
    assert [step["step"] for step in detail["timeline"]] == [
        "offered",
        "applied",
        "accepted",
        "funds_sent",
        "completed",
    ]
    where = citizen.get("/api/v1/me/benefit-province").json()
    assert where["province"] == "11"
