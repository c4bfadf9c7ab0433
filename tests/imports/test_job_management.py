"""Import jobs an integrator can run: a job list, re-runs on purpose, a final state that says when rows
were rejected, errors by code with counts, a CSV report Excel opens, and the admin's downloads."""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from imports.models import ImportJob, ImportState
from imports.services import import_job_run, import_upload
from insurance.models import ContributionRecord, IdentityReadLog
from tests.factories import (
    EMPLOYER_CODE,
    AdministratorFactory,
    AgencyStaffFactory,
    AgencySystemFactory,
    authenticated_client,
    make_id_number,
)

pytestmark = pytest.mark.django_db

HEADER = "id_number,scheme,period,base,payment_type,employer_code,temporary_account\n"
UNKNOWN = make_id_number(province="11", sequence=9)


def contributions(person, periods, extra="") -> bytes:
    rows = "".join(f"{person.id_number},EP,{p},9000,normal,{EMPLOYER_CODE},false\n" for p in periods)
    return (HEADER + rows + extra).encode()


@pytest.fixture
def system():
    return AgencySystemFactory(province="11")


def upload(user, content: bytes, kind="contributions", **options):
    return import_upload(
        user=user,
        kind=kind,
        province_id=user.province_id,
        uploaded=SimpleUploadedFile("c.csv", content),
        enqueue=False,
        **options,
    )


def bad_rows(person) -> str:
    return (
        f"{person.id_number},XX,202406,9000,normal,,false\n"  # scheme_unknown
        f"{person.id_number},EP,202413,9000,normal,,false\n"  # period_format
        f"{person.id_number},EP,202414,9000,normal,,false\n"  # period_format
        f"{UNKNOWN},EP,202406,9000,normal,,false\n"  # person_not_found
    )


@pytest.fixture
def job_with_errors(system, paying_person):
    job, _ = upload(system, contributions(paying_person, [202404], extra=bad_rows(paying_person)))
    return import_job_run(job_id=job.pk)


def test_final_state_says_whether_rows_were_rejected(system, paying_person):
    clean, _ = upload(system, contributions(paying_person, [202404]))
    all_bad, _ = upload(system, (HEADER + bad_rows(paying_person)).encode())
    some_bad, _ = upload(system, contributions(paying_person, [202405], extra=bad_rows(paying_person)))

    states = [
        (job.state, job.failure_code)
        for job in (import_job_run(job_id=pk) for pk in (clean.pk, all_bad.pk, some_bad.pk))
    ]

    assert states == [
        ("succeeded", ""),
        ("failed", "import_all_rows_rejected"),
        ("completed_with_errors", ""),
    ]


def test_job_list_is_my_provinces_newest_first_filtered_by_state_and_kind_and_paginated(
    system, paying_person
):
    done, _ = upload(system, contributions(paying_person, [202404]))
    import_job_run(job_id=done.pk)
    queued, _ = upload(system, contributions(paying_person, [202405]))
    deaths, _ = upload(
        system, f"id_number,date_of_death,source\n{UNKNOWN},2024-01-01,x\n".encode(), kind="deaths"
    )
    elsewhere, _ = upload(AgencySystemFactory(province="44"), contributions(paying_person, [202406]))
    client = authenticated_client(AgencyStaffFactory(province="11"))

    everything = client.get("/api/v1/imports").json()
    by_state = client.get("/api/v1/imports", {"state": "queued"}).json()
    by_kind = client.get("/api/v1/imports", {"kind": "contributions", "state": "succeeded"}).json()
    first_page = client.get("/api/v1/imports", {"page_size": 2}).json()
    second_page = client.get(first_page["next"]).json()
    refused = client.get("/api/v1/imports", {"state": "done"})

    assert [job["id"] for job in everything["results"]] == [deaths.pk, queued.pk, done.pk]
    assert [job["id"] for job in by_state["results"]] == [deaths.pk, queued.pk]
    assert [job["id"] for job in by_kind["results"]] == [done.pk]
    assert [job["id"] for job in first_page["results"]] == [deaths.pk, queued.pk]
    assert [job["id"] for job in second_page["results"]] == [done.pk]
    assert elsewhere.pk not in {job["id"] for job in everything["results"]}
    assert refused.status_code == 400


def test_a_finished_file_runs_again_on_purpose_and_an_identical_upload_still_returns_the_latest_job(
    system, paying_person
):
    content = contributions(paying_person, [202404])
    first, _ = upload(system, content)
    import_job_run(job_id=first.pk)
    client = authenticated_client(system)

    rerun = client.post(f"/api/v1/imports/{first.pk}/rerun")
    second = import_job_run(job_id=rerun.json()["id"])
    again, created = upload(system, content)

    assert rerun.status_code == 202
    assert (second.attempt, second.state, second.rows_rejected) == (2, "failed", 1)
    assert second.row_errors.get().code == "contribution_already_recorded"
    assert (again.pk, created) == (second.pk, False)
    assert ContributionRecord.objects.filter(person=paying_person, period=202404).count() == 1


def test_a_file_being_run_cannot_be_run_again_and_one_whose_file_is_deleted_neither(system, paying_person):
    queued, _ = upload(system, contributions(paying_person, [202404]))
    client = authenticated_client(system)

    while_queued = client.post(f"/api/v1/imports/{queued.pk}/rerun")
    import_job_run(job_id=queued.pk)
    ImportJob.objects.filter(pk=queued.pk).update(file="")
    after_deletion = client.post(f"/api/v1/imports/{queued.pk}/rerun")

    assert (while_queued.status_code, while_queued.json()["error"]["code"]) == (409, "import_not_finished")
    assert (after_deletion.status_code, after_deletion.json()["error"]["code"]) == (
        410,
        "import_file_deleted",
    )
    assert ImportJob.objects.count() == 1


def test_errors_are_filtered_by_code_counted_per_code_and_paged_by_the_clients_size(job_with_errors, system):
    client = authenticated_client(system)
    base = f"/api/v1/imports/{job_with_errors.pk}"

    counts = client.get(f"{base}/errors/counts").json()
    by_code = client.get(f"{base}/errors", {"code": "period_format"}).json()
    page = client.get(f"{base}/errors", {"page_size": 3}).json()
    too_large = client.get(f"{base}/errors", {"page_size": 5000})

    assert counts == [
        {"code": "period_format", "count": 2},
        {"code": "person_not_found", "count": 1},
        {"code": "scheme_unknown", "count": 1},
    ]
    assert [(error["row"], error["code"]) for error in by_code["results"]] == [
        (4, "period_format"),
        (5, "period_format"),
    ]
    assert [error["row"] for error in page["results"]] == [3, 4, 5]
    assert page["next"] is not None
    assert too_large.status_code == 400  # beyond the largest page, refused rather than cut


def report(response) -> list[list[str]]:
    content = b"".join(response.streaming_content).decode("utf-8")
    assert content.startswith("\ufeff")
    return list(csv.reader(io.StringIO(content[1:])))


def test_errors_csv_has_a_bom_the_rows_cells_and_the_id_number_masked(
    english, job_with_errors, system, paying_person
):
    client = authenticated_client(system)

    rows = report(
        client.get(f"/api/v1/imports/{job_with_errors.pk}/errors.csv", {"code": "person_not_found"})
    )

    assert rows == [
        ["row", "column", "code", "message", *HEADER.strip().split(",")],
        [
            "6",
            "id_number",
            "person_not_found",
            "No insured person with this ID number here.",
            f"{UNKNOWN[:6]}********{UNKNOWN[14:]}",
            "EP",
            "202406",
            "9000",
            "normal",
            "",
            "false",
        ],
    ]
    assert not IdentityReadLog.objects.exists()


def test_errors_csv_with_full_id_numbers_logs_a_read_of_each_registered_person(
    job_with_errors, system, paying_person
):
    client = authenticated_client(system)
    url = f"/api/v1/imports/{job_with_errors.pk}/errors-full-id.csv"

    rows = report(client.get(url))

    assert [row[4] for row in rows[1:]] == [paying_person.id_number] * 3 + [UNKNOWN]
    # One read per person shown; the unknown number names no one whose record could be read.
    assert list(IdentityReadLog.objects.values_list("reader", "person", "endpoint")) == [
        (system.pk, paying_person.pk, url)
    ]


def test_a_formula_in_a_cell_stays_escaped_in_the_report(system, paying_person):
    job, _ = upload(
        system, contributions(paying_person, [202404], extra=f"{paying_person.id_number},EP,=1+1,9000,,,\n")
    )
    job = import_job_run(job_id=job.pk)
    client = authenticated_client(system)

    rows = report(client.get(f"/api/v1/imports/{job.pk}/errors.csv"))

    assert (rows[1][2], rows[1][4:7]) == ("period_format", [paying_person.id_number_masked, "EP", "'=1+1"])


def test_admin_downloads_the_full_report_and_the_stored_file_with_each_read_logged(
    client, job_with_errors, paying_person
):
    admin = AdministratorFactory()
    client.force_login(admin)
    base = f"/admin/imports/importjob/{job_with_errors.pk}"

    page = client.get(f"{base}/change/").content.decode()
    masked = report(client.get(f"{base}/errors.csv"))
    assert not IdentityReadLog.objects.exists()
    stored = client.get(f"{base}/file/")
    content = b"".join(stored.streaming_content)

    assert f"{base}/file/" in page and f"{base}/errors.csv" in page
    assert len(masked) == 5
    assert content == contributions(paying_person, [202404], extra=bad_rows(paying_person))
    assert list(IdentityReadLog.objects.values_list("reader", "person", "endpoint")) == [
        (admin.pk, paying_person.pk, f"{base}/file/")
    ]


def test_admin_file_download_is_refused_once_the_retention_rule_deleted_it(client, job_with_errors, english):
    client.force_login(AdministratorFactory())
    ImportJob.objects.filter(pk=job_with_errors.pk).update(file="")

    answer = client.get(f"/admin/imports/importjob/{job_with_errors.pk}/file/", follow=True)

    assert "deleted by the retention rule" in answer.content.decode()
    assert not IdentityReadLog.objects.exists()


def test_admin_cancels_a_queued_job_from_its_page_and_from_the_list(client, system, paying_person, english):
    first, _ = upload(system, contributions(paying_person, [202404]))
    second, _ = upload(system, contributions(paying_person, [202405]))
    client.force_login(AdministratorFactory())

    from_page = client.post(f"/admin/imports/importjob/{first.pk}/cancel/")
    from_list = client.post(
        "/admin/imports/importjob/", {"action": "cancel_jobs", "_selected_action": [second.pk]}
    )
    finished_again = client.post(f"/admin/imports/importjob/{first.pk}/cancel/", follow=True)

    assert (from_page.status_code, from_list.status_code) == (302, 302)
    assert set(ImportJob.objects.values_list("state", flat=True)) == {ImportState.CANCELLED}
    assert "already" in finished_again.content.decode()
    assert client.get(f"/admin/imports/importjob/{first.pk}/cancel/").status_code == 405
