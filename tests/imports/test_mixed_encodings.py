"""A CSV mixing UTF-8 and GBK lines is refused whole with file_encoding naming the first bad line, before
any row is written: at upload when the mix shows in the first bytes, otherwise in the job's first pass."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from imports.encodings import EncodingScan
from imports.errors import ImportFileError
from imports.models import ImportJob
from imports.services import import_job_run, import_upload
from insurance.models import InsuredPerson
from tests.factories import AgencySystemFactory, make_id_number

HEADER = b"id_number,name,hukou_province,residence_province,phone\n"


def line(sequence: int, name: str, encoding: str) -> bytes:
    return f"{make_id_number(province='11', sequence=sequence)},{name},11,,\n".encode(encoding)


def scanned(content: bytes, block: int = 7) -> EncodingScan:
    """Fed in small blocks, so that lines and characters straddle them."""
    scan = EncodingScan()
    for start in range(0, len(content), block):
        scan.feed(content[start : start + block])
    scan.feed(b"", final=True)
    return scan


@pytest.mark.parametrize(
    ("first", "second", "line_encoding"),
    [("utf-8", "gbk", "GB18030"), ("gbk", "utf-8", "UTF-8")],
    ids=["utf8_then_gbk", "gbk_then_utf8"],
)
def test_a_line_in_another_encoding_than_the_first_is_named(first, second, line_encoding):
    content = (
        HEADER + line(1, "张三", first) + line(2, "李四", first) + b"ascii,only\n" + line(3, "王五", second)
    )

    with pytest.raises(ImportFileError) as refused:
        scanned(content)

    assert refused.value.code == "file_encoding"
    assert refused.value.fields["line"] == 5
    assert refused.value.fields["line_encoding"] == line_encoding


@pytest.mark.parametrize(("encoding", "detected"), [("utf-8", "utf-8-sig"), ("gb18030", "gb18030")])
def test_a_file_in_one_encoding_passes_and_says_which(encoding, detected):
    content = HEADER + b"".join(line(n, "张三丰", encoding) for n in range(1, 50))

    scan = scanned(content)

    assert (scan.encoding, scan.lines) == (detected, 50)


def test_a_bom_then_gbk_lines_is_a_mix():
    with pytest.raises(ImportFileError) as refused:
        scanned(b"\xef\xbb\xbf" + HEADER + line(1, "张三", "gbk"))

    assert (refused.value.code, refused.value.fields["line"]) == ("file_encoding", 2)


def test_a_line_in_neither_encoding_is_named():
    with pytest.raises(ImportFileError) as refused:
        scanned(HEADER + line(1, "张三", "utf-8") + b"\xff\xff\xff\n")

    assert (refused.value.code, refused.value.fields) == ("file_encoding", {"line": 3})


@pytest.fixture
def system():
    return AgencySystemFactory(province="11")


def upload(system, content: bytes):
    return import_upload(
        user=system,
        kind="persons",
        province_id="11",
        uploaded=SimpleUploadedFile("persons.csv", content),
        enqueue=False,
    )


@pytest.mark.django_db
def test_a_mix_within_the_first_bytes_is_refused_at_upload(system):
    content = HEADER + line(1, "张三", "utf-8") + line(2, "李四", "gbk")

    with pytest.raises(ImportFileError) as refused:
        upload(system, content)

    assert (refused.value.code, refused.value.fields["line"]) == ("file_encoding", 3)
    assert not ImportJob.objects.exists()


@pytest.mark.django_db
def test_a_mix_beyond_the_first_bytes_fails_the_job_before_any_row_is_written(system, settings, english):
    settings.IMPORT_UPLOAD_HEAD_BYTES = 1024
    settings.IMPORT_CHUNK_ROWS = 10  # the good chunks before the bad line would be written first
    good = b"".join(line(n, "张三", "utf-8") for n in range(1, 100))
    job, created = upload(system, HEADER + good + line(100, "李四", "gbk") + line(101, "王五", "utf-8"))

    job = import_job_run(job_id=job.pk)

    assert created
    assert (job.state, job.failure_code, job.rows_processed, job.rows_accepted) == (
        "failed",
        "file_encoding",
        0,
        0,
    )
    assert "Line 101" in job.failure_message
    assert not job.chunks.exists()
    assert not InsuredPerson.objects.exists()
