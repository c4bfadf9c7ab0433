import datetime
import io
import sys
import threading
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.utils import timezone
from openpyxl import Workbook

from certification.models import LifeEvidence
from imports.models import ImportJob, ImportState
from imports.services import import_cancel, import_job_run, import_upload
from imports.tuning import READ_AHEAD_SWITCH_INTERVAL
from insurance.models import (
    ContributionRecord,
    InsuredPerson,
    LedgerEntry,
    PersonStatus,
    Scheme,
)
from insurance.services.contributions import ContributionMonth, ContributionRecorder
from tests.factories import (
    EMPLOYER_CODE,
    TEST_ACTOR,
    AdministratorFactory,
    AgencyStaffFactory,
    AgencySystemFactory,
    authenticated_client,
    make_id_number,
    open_relationship,
    record_contributions,
    register_person,
)

pytestmark = pytest.mark.django_db

CONTRIBUTION_HEADER = "id_number,scheme,period,base,payment_type,employer_code,temporary_account\n"


def contributions_csv(person, periods, base="12000.00", extra=""):
    rows = "".join(f"{person.id_number},EP,{p},{base},normal,{EMPLOYER_CODE},false\n" for p in periods)
    return (CONTRIBUTION_HEADER + rows + extra).encode()


def upload(user, content: bytes, kind="contributions", name="file.csv", **options):
    return import_upload(
        user=user,
        kind=kind,
        province_id=user.province_id,
        uploaded=SimpleUploadedFile(name, content),
        enqueue=False,
        **options,
    )


@pytest.fixture
def system():
    return AgencySystemFactory(province="11")


def test_contributions_file_is_imported_with_amounts_and_ledger(system, paying_person):
    job, created = upload(system, contributions_csv(paying_person, [202404, 202405], base="3000.00"))

    job = import_job_run(job_id=job.pk)

    assert created
    assert (job.state, job.rows_total, job.rows_accepted, job.rows_rejected) == ("succeeded", 2, 2, 0)
    record = ContributionRecord.objects.get(person=paying_person, period=202404)
    assert (record.base, record.base_adjustment, record.individual_amount) == (
        Decimal("6000.00"),
        "raised_to_floor",
        Decimal("480.00"),
    )
    assert LedgerEntry.objects.get(contribution=record).amount == Decimal("480.00")


def test_bad_rows_are_reported_and_good_rows_still_imported(system, paying_person):
    bad = (
        "110105194912310021,EP,202406,9000,normal,,false\n"  # checksum
        f"{paying_person.id_number},XX,202406,9000,normal,,false\n"  # scheme
        f"{paying_person.id_number},EP,202413,9000,normal,,false\n"  # period
        f"{paying_person.id_number},EP,202404,9000,normal,,false\n"  # duplicate in file
        f"{make_id_number(province='44', sequence=9)},EP,202406,9000,normal,,false\n"  # unknown here
        f"{paying_person.id_number},EP,202201,9000,normal,,false\n"  # year not configured
    )
    job, _ = upload(system, contributions_csv(paying_person, [202404], extra=bad))

    job = import_job_run(job_id=job.pk)

    errors = list(job.row_errors.order_by("row").values_list("row", "column", "code"))
    assert (job.rows_accepted, job.rows_rejected) == (1, 6)
    assert errors == [
        (3, "id_number", "id_number_checksum"),
        (4, "scheme", "scheme_unknown"),
        (5, "period", "period_format"),
        (6, "", "duplicate_in_file"),
        (7, "id_number", "person_not_found"),
        (8, "base", "province_year_not_configured"),
    ]
    assert ContributionRecord.objects.filter(person=paying_person).count() == 4


def test_same_file_again_returns_the_first_job_and_doubles_nothing(system, paying_person):
    content = contributions_csv(paying_person, [202404, 202405])
    first, _ = upload(system, content)
    import_job_run(job_id=first.pk)

    again, created = upload(system, content)

    assert (again.pk, created) == (first.pk, False)
    assert ImportJob.objects.count() == 1
    assert ContributionRecord.objects.filter(person=paying_person).count() == 5


def test_rows_already_present_are_refused_as_the_api_refuses_them_never_doubled(system, paying_person):
    job, _ = upload(system, contributions_csv(paying_person, [202401, 202402, 202406]))

    job = import_job_run(job_id=job.pk)

    assert (job.rows_accepted, job.rows_rejected) == (1, 2)
    assert list(job.row_errors.order_by("row").values_list("row", "column", "code")) == [
        (2, "period", "contribution_already_recorded"),
        (3, "period", "contribution_already_recorded"),
    ]
    assert ContributionRecord.objects.filter(person=paying_person).count() == 4
    assert LedgerEntry.objects.filter(person=paying_person).count() == 4


def test_once_a_file_meets_recorded_months_each_chunk_looks_them_up_before_writing(
    system, paying_person, settings, monkeypatch
):
    settings.IMPORT_CHUNK_ROWS = 2
    # 202401-202403 are recorded. The first chunk meets 202401 in its COPY; the next ones look first.
    periods = [202404, 202401, 202402, 202405, 202403, 202406]
    job, _ = upload(system, contributions_csv(paying_person, periods))
    months_met = ContributionRecorder._months_met
    looked_up = []

    def spied(self, lines, people, *, here):
        found = months_met(self, lines, people, here=here)
        if here:
            looked_up.append(found)
        return found

    monkeypatch.setattr(ContributionRecorder, "_months_met", spied)

    job = import_job_run(job_id=job.pk)

    assert (job.state, job.rows_accepted, job.rows_rejected) == ("completed_with_errors", 3, 3)
    # Chunks 2 and 3 looked up first, and found the months of theirs recorded before the import.
    assert len(looked_up) == 2
    assert (paying_person.pk, 202402, "EP") in looked_up[0]
    assert (paying_person.pk, 202403, "EP") in looked_up[1]
    written = ContributionRecord.objects.filter(person=paying_person).values_list("period", flat=True)
    assert sorted(written) == sorted(periods)
    assert LedgerEntry.objects.filter(person=paying_person).count() == 6


def test_a_month_recorded_by_another_writer_after_the_look_up_is_refused_not_doubled(
    system, paying_person, settings, monkeypatch
):
    settings.IMPORT_CHUNK_ROWS = 2
    job, _ = upload(system, contributions_csv(paying_person, [202404, 202405, 202406]))
    record_contributions(
        person=paying_person,
        scheme=Scheme.EMPLOYEE_PENSION,
        province_id="11",
        months=[ContributionMonth(202405, Decimal("9000"), employer_code=EMPLOYER_CODE)],
    )
    # As if 202405 had been committed by another writer just after each chunk's look-up.
    months_met = ContributionRecorder._months_met
    monkeypatch.setattr(
        ContributionRecorder,
        "_months_met",
        lambda self, lines, people, *, here: {} if here else months_met(self, lines, people, here=here),
    )

    job = import_job_run(job_id=job.pk)

    assert (job.state, job.rows_accepted, job.rows_rejected) == ("completed_with_errors", 2, 1)
    assert job.row_errors.get().code == "contribution_already_recorded"
    recorded = ContributionRecord.objects.filter(person=paying_person, period__gte=202404)
    # The other writer's month stands (base 9000); the file's other months are written once.
    assert sorted(recorded.values_list("period", "declared_base")) == [
        (202404, Decimal("12000.00")),
        (202405, Decimal("9000.00")),
        (202406, Decimal("12000.00")),
    ]
    assert LedgerEntry.objects.filter(person=paying_person).count() == 6


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_read_ahead_thread_looks_up_people_and_employers_before_the_writer_needs_them(
    system, paying_person, settings, monkeypatch
):
    # Committed data (a transactional test): what the read-ahead thread's own connection sees.
    settings.IMPORT_CHUNK_ROWS = 1
    job, _ = upload(system, contributions_csv(paying_person, [202404, 202405]))
    threads = []
    for owner, lookup in (
        (ContributionRecorder, "_people_lookup"),
        (ContributionRecorder, "_employers_lookup"),
    ):
        original = getattr(owner, lookup)

        def spied(*args, original=original, lookup=lookup, **kwargs):
            threads.append((lookup, threading.current_thread().name))
            return original(*args, **kwargs)

        monkeypatch.setattr(ContributionRecorder, lookup, spied)

    job = import_job_run(job_id=job.pk)

    assert (job.state, job.rows_accepted) == ("succeeded", 2)
    # Once each, ahead of the first chunk: the second meets the same person and employer.
    assert sorted(threads) == [
        ("_employers_lookup", "import-read-ahead"),
        ("_people_lookup", "import-read-ahead"),
    ]
    assert ContributionRecord.objects.filter(person=paying_person, period__gte=202404).count() == 2


def test_a_second_run_of_a_finished_job_changes_nothing(system, paying_person):
    job, _ = upload(system, contributions_csv(paying_person, [202404]))
    import_job_run(job_id=job.pk)

    again = import_job_run(job_id=job.pk)

    assert (again.state, again.rows_processed) == ("succeeded", 1)
    assert ContributionRecord.objects.filter(person=paying_person).count() == 4


def test_dry_run_validates_and_writes_nothing(system, paying_person):
    job, _ = upload(system, contributions_csv(paying_person, [202404, 202413]), dry_run=True)

    job = import_job_run(job_id=job.pk)

    assert (job.state, job.rows_accepted, job.rows_rejected) == ("completed_with_errors", 1, 1)
    assert ContributionRecord.objects.filter(person=paying_person).count() == 3


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (b"", "file_empty"),
        (b"%PDF-1.7 not a table", "file_not_csv_or_xlsx"),
        (b"id_number,name\n11010519491231002X,x\n", "file_header"),
        (
            "id_number,scheme,period,base\n11010519491231002X,养老,202401,1\n".encode("utf-16"),
            "file_encoding",
        ),
    ],
)
def test_bad_files_are_refused_before_anything_is_written(system, content, code):
    with pytest.raises(Exception) as refused:
        upload(system, content)

    assert refused.value.code == code
    assert not ImportJob.objects.exists()


def test_declared_row_count_is_checked_by_the_first_pass_before_any_row_is_written(system, paying_person):
    # Counting rows reads the whole file: the job's work, not the upload request's.
    job, _ = upload(system, contributions_csv(paying_person, [202404]), expected_rows=2)

    job = import_job_run(job_id=job.pk)

    assert (job.state, job.failure_code, job.rows_processed) == ("failed", "file_row_count_mismatch", 0)
    assert not job.chunks.exists()
    assert ContributionRecord.objects.filter(person=paying_person).count() == 3


def test_upload_for_another_province_is_refused(system, paying_person):
    with pytest.raises(Exception) as refused:
        import_upload(
            user=system,
            kind="contributions",
            province_id="44",
            uploaded=SimpleUploadedFile("f.csv", contributions_csv(paying_person, [202404])),
            enqueue=False,
        )

    assert refused.value.code == "province_out_of_scope"
    assert not ImportJob.objects.exists()


def test_gb18030_and_xlsx_files_are_read(system, paying_person):
    gb = CONTRIBUTION_HEADER + f"{paying_person.id_number},EP,202404,9000,normal,,否\n"
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(CONTRIBUTION_HEADER.strip().split(","))
    sheet.append([paying_person.id_number, "EP", "202405", "9000", "normal", EMPLOYER_CODE, "false"])
    buffer = io.BytesIO()
    workbook.save(buffer)

    csv_job, _ = upload(system, gb.encode("gb18030"))
    xlsx_job, _ = upload(system, buffer.getvalue(), name="file.xlsx")
    import_job_run(job_id=csv_job.pk)
    import_job_run(job_id=xlsx_job.pk)

    assert set(ContributionRecord.objects.filter(person=paying_person).values_list("period", flat=True)) == {
        202401,
        202402,
        202403,
        202404,
        202405,
    }


def test_persons_deaths_and_life_evidence_files(system, paying_person):
    newcomer = make_id_number(province="11", birth_date=datetime.date(1990, 2, 2), sequence=5)
    persons = f"id_number,name,hukou_province,residence_province,phone\n{newcomer},李雷,,11,13800138000\n"
    evidence = (
        f"id_number,evidence_date,kind,source\n{paying_person.id_number},2024-05-01,rail_travel,12306\n"
    )
    deaths = f"id_number,date_of_death,source\n{paying_person.id_number},2024-06-30,civil_affairs\n"

    for kind, content in (("persons", persons), ("life_evidence", evidence), ("deaths", deaths)):
        job, _ = upload(system, content.encode(), kind=kind)
        assert import_job_run(job_id=job.pk).rows_accepted == 1

    registered = InsuredPerson.objects.get(name="李雷")
    assert (registered.id_number, registered.birth_date, registered.residence_province_id) == (
        newcomer,
        datetime.date(1990, 2, 2),
        "11",
    )
    assert LifeEvidence.objects.get().kind == "rail_travel"
    paying_person.refresh_from_db()
    assert (paying_person.status, paying_person.date_of_death) == (
        PersonStatus.DECEASED,
        datetime.date(2024, 6, 30),
    )


def test_a_name_too_long_for_the_registry_is_a_row_error_and_the_good_rows_are_imported(system):
    good = make_id_number(province="11", birth_date=datetime.date(1990, 2, 2), sequence=5)
    long_name = make_id_number(province="11", birth_date=datetime.date(1990, 2, 2), sequence=6)
    persons = (
        "id_number,name,hukou_province,residence_province,phone\n"
        f"{good},李雷,,,\n"
        f"{long_name},{'名' * 65},,,\n"
    )
    job, _ = upload(system, persons.encode(), kind="persons")

    job = import_job_run(job_id=job.pk)

    assert (job.state, job.rows_accepted, job.rows_rejected) == ("completed_with_errors", 1, 1)
    assert list(job.row_errors.values_list("row", "column", "code")) == [(3, "name", "text_too_long")]
    assert list(InsuredPerson.objects.values_list("name", flat=True)) == ["李雷"]


def test_a_persons_file_updates_people_insured_here_but_not_those_insured_only_elsewhere(system, person):
    open_relationship(person=person, scheme=Scheme.EMPLOYEE_PENSION, province_id="44", opened_period=202401)
    local = register_person(
        id_number=make_id_number(province="11", birth_date=datetime.date(1990, 2, 2), sequence=7), name="王五"
    )
    open_relationship(person=local, scheme=Scheme.EMPLOYEE_PENSION, province_id="11", opened_period=202401)
    persons = (
        "id_number,name,hukou_province,residence_province,phone\n"
        f"{person.id_number},冒名,,11,13900139000\n"
        f"{local.id_number},王五一,,11,13900139001\n"
    )
    job, _ = upload(system, persons.encode(), kind="persons")

    import_job_run(job_id=job.pk)

    person.refresh_from_db()
    local.refresh_from_db()
    assert (person.name, person.residence_province_id, person.phone) == ("张三", None, "")
    assert (local.name, local.residence_province_id, local.phone) == ("王五一", "11", "13900139001")


def test_cancelling_a_queued_job_stops_it_before_any_write(system, paying_person):
    job, _ = upload(system, contributions_csv(paying_person, [202404]))

    import_cancel(job=job, actor=TEST_ACTOR)
    job = import_job_run(job_id=job.pk)

    assert (job.state, job.started_at) == (ImportState.CANCELLED, None)
    assert ContributionRecord.objects.filter(person=paying_person).count() == 3


@pytest.mark.usefixtures("english")
def test_api_upload_status_errors_and_csv_report(paying_person):
    client = authenticated_client(AgencyStaffFactory(province="11"))
    content = contributions_csv(
        paying_person, [202404], extra="=cmd|' /C calc'!A0,EP,202406,9000,normal,,false\n"
    )

    created = client.post(
        "/api/v1/imports",
        {"file": SimpleUploadedFile("f.csv", content), "kind": "contributions"},
        format="multipart",
    )
    job_id = created.json()["id"]
    import_job_run(job_id=job_id)
    status = client.get(f"/api/v1/imports/{job_id}").json()
    errors = client.get(f"/api/v1/imports/{job_id}/errors").json()
    report = b"".join(client.get(f"/api/v1/imports/{job_id}/errors.csv").streaming_content).decode()

    assert created.status_code == 202
    assert (status["state"], status["progress_percent"], status["rows_accepted"]) == (
        "completed_with_errors",
        100.0,
        1,
    )
    assert errors["results"] == [
        {
            "row": 3,
            "column": "id_number",
            "code": "id_number_format",
            "message": "The ID number must be 17 digits followed by a digit or X.",
            # The ID number cell masked, as it is everywhere but through the logged full-ID reader.
            "values": ["=cmd|'********'!A0", "EP", "202406", "9000", "normal", "", "false"],
        }
    ]
    assert report.splitlines() == [
        "\ufeffrow,column,code,message,id_number,scheme,period,base,payment_type,employer_code,"
        "temporary_account",
        "3,id_number,id_number_format,The ID number must be 17 digits followed by a digit or X.,"
        "'=cmd|'********'!A0,EP,202406,9000,normal,,false",
    ]


@pytest.mark.parametrize(
    ("method", "suffix"), [("get", ""), ("get", "/errors"), ("get", "/errors.csv"), ("post", "/cancel")]
)
def test_other_provinces_get_404_for_a_job_as_for_a_missing_one(system, paying_person, method, suffix):
    job, _ = upload(system, contributions_csv(paying_person, [202404]))
    client = authenticated_client(AgencyStaffFactory(province="44"))

    out_of_scope = getattr(client, method)(f"/api/v1/imports/{job.pk}{suffix}")
    missing = getattr(client, method)(f"/api/v1/imports/{job.pk + 1000}{suffix}")

    job.refresh_from_db()
    assert out_of_scope.status_code == missing.status_code == 404
    assert out_of_scope.json() == missing.json()
    assert (job.state, job.cancel_requested) == (ImportState.QUEUED, False)


def test_example_files_can_be_downloaded_and_imported(system, paying_person):
    client = authenticated_client(system)

    kinds = client.get("/api/v1/imports/kinds").json()
    example = client.get("/api/v1/imports/kinds/contributions/example")

    assert {kind["kind"] for kind in kinds} == {
        "persons",
        "contributions",
        "enrolments",
        "deaths",
        "life_evidence",
        "awards",
        "status_evidence",
    }
    assert example.status_code == 200
    assert example.content.startswith(b"\xef\xbb\xbfid_number,")


def test_kinds_are_documented_in_chinese_by_default_and_in_english_on_request(system):
    client = authenticated_client(system)

    chinese = client.get("/api/v1/imports/kinds").json()
    english = client.get("/api/v1/imports/kinds", HTTP_ACCEPT_LANGUAGE="en").json()

    persons = next(kind for kind in chinese if kind["kind"] == "persons")
    assert persons["description"] == "参保人员信息：每人一行；人员已存在的，更新其信息。"
    assert persons["columns"][0] == {
        "name": "id_number",
        "required": True,
        "description": "18 位公民身份号码（GB 11643-1999），即社会保障号码。",
    }
    persons = next(kind for kind in english if kind["kind"] == "persons")
    assert persons["description"] == "Insured persons: one row per person, updated if the person exists."
    assert persons["columns"][0]["description"] == (
        "18-character citizen identity number (GB 11643-1999), also the social security number."
    )
    # Every description is translated; the column names are file headers and stay as they are.
    for zh, en in zip(chinese, english, strict=True):
        assert zh["kind"] == en["kind"]
        assert zh["description"] != en["description"]
        assert [column["name"] for column in zh["columns"]] == [column["name"] for column in en["columns"]]
        for zh_column, en_column in zip(zh["columns"], en["columns"], strict=True):
            assert zh_column["description"] != en_column["description"], en_column["name"]


@pytest.mark.usefixtures("english")
def test_management_command_imports_with_progress_in_a_tuned_interpreter(
    system, paying_person, tmp_path, capsys, switch_interval_restored
):
    path = tmp_path / "contributions.csv"
    path.write_bytes(contributions_csv(paying_person, [202404, 202405]))

    call_command("import_file", str(path), kind="contributions", province="11")

    assert "succeeded: 2 rows accepted, 0 rejected" in capsys.readouterr().out
    assert ContributionRecord.objects.filter(person=paying_person).count() == 5
    assert sys.getswitchinterval() == pytest.approx(READ_AHEAD_SWITCH_INTERVAL)


def test_relationship_must_be_open_for_imported_contributions(system, person, configured_years, employer):
    open_relationship(person=person, scheme=Scheme.EMPLOYEE_MEDICAL, province_id="11", opened_period=202401)
    job, _ = upload(system, contributions_csv(person, [202404]))

    job = import_job_run(job_id=job.pk)

    assert job.row_errors.get().code == "relationship_not_open"


def test_death_before_an_open_relationship_opened_is_a_row_error(system, paying_person):
    deaths = f"id_number,date_of_death,source\n{paying_person.id_number},2023-05-01,civil_affairs\n"
    job, _ = upload(system, deaths.encode(), kind="deaths")

    job = import_job_run(job_id=job.pk)

    paying_person.refresh_from_db()
    # Every row rejected: the job says so.
    assert (job.state, job.rows_rejected, job.failure_code) == ("failed", 1, "import_all_rows_rejected")
    assert job.row_errors.get().code == "date_of_death_before_relationship"
    assert paying_person.status == PersonStatus.ACTIVE


def test_admin_shows_jobs_with_their_row_errors_and_evidence_read_only(client, system, paying_person):
    evidence = (
        f"id_number,evidence_date,kind,source\n{paying_person.id_number},2024-05-01,rail_travel,12306\n"
    )
    job, _ = upload(system, contributions_csv(paying_person, [202404, 202413]))
    import_job_run(job_id=job.pk)
    evidence_job, _ = upload(system, evidence.encode(), kind="life_evidence")
    import_job_run(job_id=evidence_job.pk)
    client.force_login(AdministratorFactory())

    job_page = client.get(f"/admin/imports/importjob/{job.pk}/change/")
    pages = [
        client.get("/admin/imports/importjob/"),
        client.get("/admin/certification/lifeevidence/"),
        client.get(f"/admin/certification/lifeevidence/{LifeEvidence.objects.get().pk}/change/"),
    ]
    adds = [
        client.get("/admin/imports/importjob/add/"),
        client.get("/admin/certification/lifeevidence/add/"),
    ]

    assert job_page.status_code == 200
    assert "period_format" in job_page.content.decode()
    assert [page.status_code for page in pages] == [200, 200, 200]
    assert [add.status_code for add in adds] == [403, 403]


def test_a_temporary_account_flag_that_contradicts_the_relationship_is_a_row_error(system, paying_person):
    content = (
        CONTRIBUTION_HEADER
        + f"{paying_person.id_number},EP,202404,9000,normal,{EMPLOYER_CODE},true\n"
        + f"{paying_person.id_number},EP,202405,9000,normal,{EMPLOYER_CODE},\n"
    )
    job, _ = upload(system, content.encode())

    job = import_job_run(job_id=job.pk)

    assert (job.rows_accepted, job.rows_rejected) == (1, 1)
    assert list(job.row_errors.values_list("row", "column", "code")) == [
        (2, "temporary_account", "temporary_account_mismatch")
    ]
    assert ContributionRecord.objects.get(person=paying_person, period=202405).temporary_account is False


def test_stalled_job_recovery_is_scheduled_every_minute_and_requeues_only_stalled_jobs(
    system, paying_person, broker_messages
):
    from django_celery_beat.models import PeriodicTask

    from imports.dispatch import imports_resume_stalled
    from imports.models import ImportJobLease

    upload(system, contributions_csv(paying_person, [202404]))  # queued just now: not stalled
    stalled, _ = upload(system, contributions_csv(paying_person, [202405]))
    ImportJob.objects.filter(pk=stalled.pk).update(state=ImportState.RUNNING)
    ImportJobLease.objects.create(
        job=stalled, owner="elsewhere:1:run", heartbeat_at=timezone.now() - datetime.timedelta(minutes=5)
    )

    task = PeriodicTask.objects.get(task="imports.resume_stalled_jobs")

    assert (task.enabled, task.interval.every, task.interval.period) == (True, 1, "minutes")
    assert imports_resume_stalled() == [stalled.pk]
    assert broker_messages == [stalled.pk]


def test_uploading_a_cancelled_file_again_resumes_its_job_without_doubling(system, paying_person):
    content = contributions_csv(paying_person, [202404, 202405])
    job, _ = upload(system, content)
    import_cancel(job=job, actor=TEST_ACTOR)

    again, created = upload(system, content)
    again = import_job_run(job_id=again.pk)

    assert (again.pk, created) == (job.pk, False)
    assert (again.state, again.rows_accepted, again.cancel_requested) == ("succeeded", 2, False)
    assert ContributionRecord.objects.filter(person=paying_person).count() == 5
    assert ImportJob.objects.count() == 1


def test_uploading_a_finished_file_again_changes_nothing(system, paying_person):
    content = contributions_csv(paying_person, [202404])
    job, _ = upload(system, content)
    finished_at = import_job_run(job_id=job.pk).finished_at

    again, _ = upload(system, content)

    assert (again.state, again.finished_at) == ("succeeded", finished_at)
