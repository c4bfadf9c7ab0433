"""Hostile spreadsheets are refused from their archive's directory, after a bounded number of bytes read;
the processes that run jobs have a memory ceiling, and a job that reaches it fails with a clear code."""

import io
import multiprocessing
import os
import resource
import struct
import zipfile
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from imports.errors import ImportFileError
from imports.formats import file_inspect
from imports.models import ImportJob
from imports.services import import_job_run, import_upload
from imports.tuning import address_space_limit
from tests.factories import AgencyStaffFactory, AgencySystemFactory, authenticated_client

HEADER = ["id_number", "name", "hukou_province", "residence_province", "phone"]
GIB = 1 << 30
# The end record search (22 bytes and a comment of up to 64 KiB), a workbook's small directory, and what
# the buffered file reads ahead of each seek (two blocks of 8 KiB).
DIRECTORY_READ = 22 + 0xFFFF + 4096 + 2 * 8192


class CountingFile(io.RawIOBase):
    """A file object over bytes that counts every byte read from it."""

    def __init__(self, content: bytes, counter: list[int]) -> None:
        self._file = io.BytesIO(content)
        self._counter = counter

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        return self._file.seek(offset, whence)

    def tell(self) -> int:
        return self._file.tell()

    def readinto(self, buffer) -> int:
        data = self._file.read(len(buffer))
        buffer[: len(data)] = data
        self._counter[0] += len(data)
        return len(data)


def counted_opener(content: bytes):
    counter = [0]
    return (lambda: io.BufferedReader(CountingFile(content, counter))), counter


MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
DOCUMENT = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
SPREADSHEET = "application/vnd.openxmlformats-officedocument.spreadsheetml"


def workbook_bytes(rows=(HEADER, ["11010519491231002X", "王秀英", "11", "31", "13800138000"])) -> bytes:
    """A workbook as Excel writes one: every text cell a shared string (openpyxl writes none)."""
    strings: dict[str, int] = {}
    sheet_rows = []
    for number, row in enumerate(rows, 1):
        cells = "".join(
            f'<c r="{chr(65 + column)}{number}" t="s"><v>{strings.setdefault(value, len(strings))}</v></c>'
            for column, value in enumerate(row)
        )
        sheet_rows.append(f'<row r="{number}">{cells}</row>')
    shared = "".join(f"<si><t>{value}</t></si>" for value in strings)
    parts = {
        "[Content_Types].xml": (
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" '
            'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{SPREADSHEET}.sheet.main+xml"/>'
            f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{SPREADSHEET}.worksheet+xml"/>'
            f'<Override PartName="/xl/sharedStrings.xml" ContentType="{SPREADSHEET}.sharedStrings+xml"/>'
            "</Types>"
        ),
        "_rels/.rels": (
            f'<Relationships xmlns="{RELS}"><Relationship Id="rId1" Type="{DOCUMENT}/officeDocument" '
            'Target="xl/workbook.xml"/></Relationships>'
        ),
        "xl/workbook.xml": (
            f'<workbook xmlns="{MAIN}" xmlns:r="{DOCUMENT}"><sheets>'
            '<sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
        ),
        "xl/_rels/workbook.xml.rels": (
            f'<Relationships xmlns="{RELS}">'
            f'<Relationship Id="rId1" Type="{DOCUMENT}/worksheet" Target="worksheets/sheet1.xml"/>'
            f'<Relationship Id="rId2" Type="{DOCUMENT}/sharedStrings" Target="sharedStrings.xml"/>'
            "</Relationships>"
        ),
        "xl/sharedStrings.xml": f'<sst xmlns="{MAIN}" count="{len(strings)}">{shared}</sst>',
        "xl/worksheets/sheet1.xml": (
            f'<worksheet xmlns="{MAIN}"><sheetData>{"".join(sheet_rows)}</sheetData></worksheet>'
        ),
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in parts.items():
            archive.writestr(name, text.encode())
    return buffer.getvalue()


def rebuilt(content: bytes, replace: dict[str, bytes], *, level: int = 6) -> bytes:
    """The workbook with some members' content replaced."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(content)) as source, zipfile.ZipFile(out, "w") as archive:
        for name in source.namelist():
            archive.writestr(
                name, replace.get(name, source.read(name)), zipfile.ZIP_DEFLATED, compresslevel=level
            )
    return out.getvalue()


def declaring(content: bytes, member: str, size: int) -> bytes:
    """The archive with `member` declaring `size` uncompressed bytes in its local header and in the
    central directory, as a zip bomb does, without writing them anywhere."""
    data = bytearray(content)
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        info = archive.getinfo(member)
    struct.pack_into("<L", data, info.header_offset + 22, size)
    name = member.encode()
    at = data.find(b"PK\x01\x02")
    while at >= 0:
        name_length = struct.unpack_from("<H", data, at + 28)[0]
        if bytes(data[at + 46 : at + 46 + name_length]) == name:
            struct.pack_into("<L", data, at + 24, size)
            return bytes(data)
        at = data.find(b"PK\x01\x02", at + 46)
    raise AssertionError(f"{member} is not in the central directory")


def incompressible(size: int) -> bytes:
    """XML-safe text that deflate shrinks little: random hexadecimal, about half its size compressed."""
    return os.urandom(size // 2).hex().encode()


def sheet_with_padding(padding: bytes) -> bytes:
    original = zipfile.ZipFile(io.BytesIO(workbook_bytes())).read("xl/worksheets/sheet1.xml")
    return original.replace(b"</worksheet>", b"<!--" + padding + b"--></worksheet>")


def refused(content: bytes) -> tuple[ImportFileError, int]:
    opener, counter = counted_opener(content)
    with pytest.raises(ImportFileError) as caught:
        file_inspect(source=opener)
    return caught.value, counter[0]


def test_a_zip_bomb_declaring_a_one_gigabyte_sheet_is_refused_from_the_directory_alone():
    # A 1 MiB sheet that cannot be compressed, declared as 1 GiB: reading it would show in the count.
    bomb = declaring(
        rebuilt(workbook_bytes(), {"xl/worksheets/sheet1.xml": sheet_with_padding(incompressible(3 << 20))}),
        "xl/worksheets/sheet1.xml",
        GIB,
    )

    error, read = refused(bomb)

    assert len(bomb) > 1 << 20
    assert read <= DIRECTORY_READ
    assert error.code == "file_archive_limit"
    assert error.fields == {
        "member": "xl/worksheets/sheet1.xml",
        "uncompressed_bytes": GIB,
        "limit": 512 * 1024 * 1024,
    }


def test_a_sheet_that_really_expands_a_thousand_times_is_refused_by_its_ratio():
    # 16 MiB of one repeated row deflate to about 16 KiB: a true bomb, within the member size limit.
    rows = b'<row><c t="inlineStr"><is><t>x</t></is></c></row>' * (16 * 1024 * 1024 // 48)
    bomb = rebuilt(workbook_bytes(), {"xl/worksheets/sheet1.xml": sheet_with_padding(rows)}, level=9)

    error, read = refused(bomb)

    assert read <= DIRECTORY_READ
    assert error.code == "file_archive_limit"
    assert error.fields["member"] == "xl/worksheets/sheet1.xml"
    assert error.fields["uncompressed_bytes"] > 100 * error.fields["compressed_bytes"]


def test_a_huge_shared_strings_part_is_refused_before_a_byte_of_it_is_inflated():
    content = workbook_bytes()
    strings = zipfile.ZipFile(io.BytesIO(content)).read("xl/sharedStrings.xml")
    # Incompressible, so that reading the part would show; declared at 120 MiB: within the limits of any
    # member (size and ratio), above that of a part read whole into memory.
    padded = strings.replace(b"</sst>", b"<!--" + incompressible(3 << 20) + b"--></sst>")
    hostile = declaring(rebuilt(content, {"xl/sharedStrings.xml": padded}), "xl/sharedStrings.xml", 120 << 20)

    error, read = refused(hostile)

    assert len(hostile) > 1 << 20
    # The directory, then [Content_Types].xml (read before the strings), and no more.
    assert read <= DIRECTORY_READ + 4096
    assert error.code == "file_archive_limit"
    assert (error.fields["member"], error.fields["limit"]) == ("xl/sharedStrings.xml", 64 * 1024 * 1024)


def test_shared_strings_over_a_lowered_limit_are_refused_on_the_bytes_actually_declared(settings):
    settings.IMPORT_XLSX_MAX_SHARED_STRINGS_BYTES = 256 * 1024
    # 20,000 distinct names: a shared-strings part of about 800 KB, which deflate shrinks a few times only.
    names = [[f"11010519491231{n:04d}", f"name{n:06d}" * 2, "11", "", ""] for n in range(20_000)]

    error, _ = refused(workbook_bytes([HEADER, *names]))

    assert (error.code, error.fields["member"]) == ("file_archive_limit", "xl/sharedStrings.xml")


def test_a_member_whose_stream_holds_more_than_it_declares_is_cut_at_the_declared_size_and_refused():
    content = workbook_bytes()
    sheet = zipfile.ZipFile(io.BytesIO(content)).read("xl/worksheets/sheet1.xml")
    lying = declaring(
        rebuilt(content, {"xl/worksheets/sheet1.xml": sheet_with_padding(b"y" * (4 << 20))}),
        "xl/worksheets/sheet1.xml",
        len(sheet),
    )

    error, _ = refused(lying)

    assert error.code == "file_not_csv_or_xlsx"
    assert "BadZipFile" in error.message


def test_an_archive_with_a_directory_of_too_many_members_is_refused_from_its_end_record(settings):
    settings.IMPORT_XLSX_MAX_MEMBERS = 50
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for n in range(60):
            archive.writestr(f"part{n}.xml", b"<x/>")

    error, read = refused(out.getvalue())

    assert (error.code, error.fields["members"]) == ("file_archive_limit", 60)
    assert read <= 22 + 0xFFFF + 4


def test_xml_entities_in_a_part_are_refused_not_expanded():
    content = workbook_bytes()
    laughs = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
        b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>&lol2;</t></si></sst>'
    )

    error, _ = refused(rebuilt(content, {"xl/sharedStrings.xml": laughs}))

    assert error.code == "file_not_csv_or_xlsx"


def hostile_uploads() -> dict[str, tuple[str, bytes, str]]:
    """Each hostile file of the audit: (file name, content, the code it is refused with)."""
    workbook = workbook_bytes()
    strings = zipfile.ZipFile(io.BytesIO(workbook)).read("xl/sharedStrings.xml")
    padded = strings.replace(b"</sst>", b"<!--" + incompressible(3 << 20) + b"--></sst>")
    rows = b'<row><c t="inlineStr"><is><t>x</t></is></c></row>' * (16 * 1024 * 1024 // 48)
    mixed = "\n".join(
        ["id_number,name,hukou_province,residence_province,phone", "11010519491231002X,张三,11,,"]
    )
    return {
        "zip_bomb": ("p.xlsx", declaring(workbook, "xl/worksheets/sheet1.xml", GIB), "file_archive_limit"),
        "true_bomb": (
            "p.xlsx",
            rebuilt(workbook, {"xl/worksheets/sheet1.xml": sheet_with_padding(rows)}, level=9),
            "file_archive_limit",
        ),
        "huge_shared_strings": (
            "p.xlsx",
            declaring(rebuilt(workbook, {"xl/sharedStrings.xml": padded}), "xl/sharedStrings.xml", 120 << 20),
            "file_archive_limit",
        ),
        "mixed_encodings": (
            "p.csv",
            mixed.encode() + "\n440106198507152313,李四,44,,\n".encode("gbk"),
            "file_encoding",
        ),
    }


@pytest.mark.django_db
@pytest.mark.parametrize("hostile", ["zip_bomb", "true_bomb", "huge_shared_strings", "mixed_encodings"])
def test_the_upload_api_refuses_each_hostile_file_with_a_400_and_its_code_and_keeps_nothing(
    media_root, hostile
):
    name, content, code = hostile_uploads()[hostile]
    client = authenticated_client(AgencyStaffFactory(province="11"))

    answer = client.post(
        "/api/v1/imports",
        {"file": SimpleUploadedFile(name, content), "kind": "persons"},
        format="multipart",
    )

    assert (answer.status_code, answer.json()["error"]["code"]) == (400, code)
    assert not ImportJob.objects.exists()
    assert list((media_root / "imports").iterdir()) == []


def _allocate_beyond(headroom: int, answer) -> None:
    # The ceiling sits `headroom` above what this process already maps: a child forked from a test runner
    # that has run the whole suite maps more than any fixed ceiling, and could not even start the
    # queue's thread to answer.
    with open("/proc/self/statm") as statm:
        in_use = int(statm.read().split()[0]) * resource.getpagesize()
    address_space_limit(in_use + headroom)
    try:
        bytearray(2 * headroom)
    except MemoryError:
        answer.put("MemoryError")
    else:
        answer.put("allocated")


def test_the_memory_ceiling_makes_a_process_fail_an_allocation_beyond_it():
    # In a child process: the ceiling is the process's own, and would stay on the test runner.
    answer = multiprocessing.get_context("fork").Queue()
    child = multiprocessing.get_context("fork").Process(target=_allocate_beyond, args=(GIB // 4, answer))
    child.start()
    child.join(timeout=60)

    assert answer.get(timeout=5) == "MemoryError"


def test_the_worker_pool_processes_and_the_import_command_apply_the_ceiling():
    from celery.signals import worker_process_init

    from imports.tuning import memory_limit_apply

    assert memory_limit_apply in worker_process_init._live_receivers(None)
    with open("imports/management/commands/import_file.py", encoding="utf-8") as command:
        assert "memory_limit_apply()" in command.read()


@pytest.mark.django_db
def test_a_job_that_reaches_the_memory_ceiling_fails_with_its_code_and_writes_nothing(monkeypatch):
    system = AgencySystemFactory(province="11")
    job, _ = import_upload(
        user=system,
        kind="persons",
        province_id="11",
        uploaded=SimpleUploadedFile("p.xlsx", workbook_bytes()),
        enqueue=False,
    )
    from imports import services

    def exhausted(**kwargs):
        raise MemoryError  # what an allocation past RLIMIT_AS raises

    monkeypatch.setattr(services, "file_validate", exhausted)

    job = import_job_run(job_id=job.pk)

    assert (job.state, job.failure_code, job.rows_processed) == ("failed", "import_memory_limit", 0)
    assert not job.chunks.exists()


def test_a_damaged_deflate_stream_is_refused_not_crashed_on():
    content = workbook_bytes()
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        info = archive.getinfo("xl/worksheets/sheet1.xml")
    data = bytearray(content)
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    data[start : start + 8] = zlib.compress(b"x")[:8]  # not the stream the CRC describes

    error, _ = refused(bytes(data))

    assert error.code == "file_not_csv_or_xlsx"


def test_a_workbook_with_shared_strings_as_excel_writes_it_is_read_whole_through_the_guarded_archive():
    from imports.formats import FileFormat
    from imports.validation import file_count, file_prepare, file_validate
    from tests.factories import make_id_number

    rows = [[make_id_number(province="11", sequence=n), f"姓名{n}", "11", "", ""] for n in range(300)]
    opener, _ = counted_opener(workbook_bytes([HEADER, *rows]))

    prepared = file_count(prepared=file_prepare(source=opener, kind="persons"))
    chunks = list(file_validate(prepared=prepared))

    assert (prepared.source.format, prepared.row_count) == (FileFormat.XLSX, 300)
    assert [error for chunk in chunks for error in chunk.errors] == []
    assert [row[2] for chunk in chunks for row in chunk.rows] == [f"姓名{n}" for n in range(300)]


def test_the_upload_reads_the_first_row_and_its_shared_strings_only_not_the_whole_workbook():
    from tests.factories import make_id_number

    rows = [
        [make_id_number(province="11", sequence=n % 499), f"姓名{n:06d}", "11", "", ""] for n in range(40_000)
    ]
    content = workbook_bytes([HEADER, *rows])
    opener, counter = counted_opener(content)

    source = file_inspect(source=opener)

    assert source.header == tuple(HEADER)
    assert len(content) > 400_000
    assert counter[0] < DIRECTORY_READ + 64 * 1024  # the small parts, and a first block of two others
