"""Every example request in the README works, in order, against the demo data (issue 12, R3).

The README's ```sh blocks that call curl are read from the README itself and run, in order, by one bash
against gunicorn (and a Celery worker, for the batch files) serving the demo data that `make run` seeds.
Each curl fails the run on an answer that is not 2xx, unless its command carries a `# expect NNN`
comment (an example that shows a refusal). The variables the examples rely on (TOKEN, PERSON ...) are set
by the README's own commands, as a reader pasting them gets them; only `localhost:8000` is pointed at
the test's server.

Which blocks run is stated below (COVERED, by their first line), and the test fails when the README's
blocks are not exactly the covered ones followed by the ones listed as not covered yet: none is skipped
silently, and a new block must be placed in one list or the other."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest
from django.utils import timezone

from accounts.models import User
from accounts.services import api_key_issue
from demo.seed import demo_seed
from tests.test_no_id_numbers_in_logs import _answers, _env, _free_port, _spawn, _stop, _wait_for

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

ROOT = Path(__file__).resolve().parent.parent.parent
README = ROOT / "README.md"

# The README's curl blocks, by the beginning of each one's first line, in the README's order.
COVERED = (
    "curl -s -X POST localhost:8000/api/v1/auth/login -H 'Content-Type: appli",  # signing in
    'curl -s localhost:8000/api/v1/imports/kinds -H "Authorization: Api-Key $',  # an agency system's key
    'curl -s localhost:8000/api/v1/me/profile -H "Authorization: Bearer $TOKE',  # a citizen
    'LATEST=$(curl -s localhost:8000/api/v1/me/certificates -H "Authorization',  # certificates, verifying
    "TOKEN=$(curl -s -X POST localhost:8000/api/v1/auth/login -H 'Content-Typ",  # agency staff, agency-11
    "# Sent twice (a retry after a timeout): one record, and the same 201 ans",  # retries, a refusal, a death
    "signin() {",  # a cross-province transfer
    "# Signed in as agency-11 (Beijing, $BJ above): the example files import ",  # batch files
    "H=localhost:8000; AGENCY=$BJ    # $CITIZEN and $BJ (agency-11) as signed",  # a card, its QR code
    "curl -s localhost:8000/api/health",  # operators
)
NOT_COVERED_YET: tuple[str, ...] = ()  # issue 12 R3: every curl block runs
FIRST_LINE = 72

# Each curl goes through this function: the README's host becomes the test's server, and an answer
# other than the one the command expects (2xx, or its `# expect NNN`) stops the run, naming the command.
CURL_CHECK = r"""
set -euo pipefail
curl() {
  local args=("${@//localhost:8000/$README_HOST}") status_file status
  status_file=$(mktemp)
  command curl --write-out '%{stderr}%{http_code}' "${args[@]}" 2>"$status_file"
  status=$(cat "$status_file"); rm -f "$status_file"
  local wanted="${EXPECT:-2..}"
  if [[ ! "$status" =~ ^${wanted}$ ]]; then
    echo "README example answered $status (wanted $wanted): curl $*" >&2
    return 1
  fi
}
"""
EXPECT = re.compile(r"#\s*expect (\d{3})")


def readme_curl_blocks() -> list[str]:
    fenced = re.compile(r"^```(?:sh|bash|shell)\n(.*?)^```", flags=re.MULTILINE | re.DOTALL)
    blocks = fenced.findall(README.read_text())
    return [block for block in blocks if "curl " in block]


def with_expectations(block: str) -> str:
    """`EXPECT=NNN` before each curl command (its lines continued by `\\`) that says `# expect NNN`."""
    commands: list[list[str]] = [[]]
    for line in block.splitlines():
        commands[-1].append(line)
        if not line.endswith("\\"):
            commands.append([])
    lines = []
    for command in commands:
        expected = next((found for line in command if (found := EXPECT.search(line))), None)
        if expected and command[0].lstrip().startswith("curl"):
            command = [f"EXPECT={expected.group(1)} {command[0]}", *command[1:]]
        lines.extend(command)
    return "\n".join(lines)


def test_the_readme_lists_each_curl_block_as_covered_or_not_yet():
    firsts = tuple(block.splitlines()[0][:FIRST_LINE] for block in readme_curl_blocks())
    assert firsts == COVERED + NOT_COVERED_YET
    # No curl example outside those blocks (in a block of another language, or in the text).
    in_blocks = sum(block.count("curl ") for block in readme_curl_blocks())
    assert README.read_text().count("curl ") == in_blocks


def test_the_readme_examples_work_in_order_on_the_demo_data(tmp_path):
    demo_seed(persons=30, seed=1, years=3, progress=lambda _: None, today=timezone.localdate())
    # An administrator issues an agency system's key in the admin, which shows it once; the same service.
    key = api_key_issue(user=User.objects.get(username="agency-system-11")).key

    # The card's photo, as the README's reader has it.
    shutil.copy(ROOT.parent / "shared/fixtures/faces/obama_small.jpg", tmp_path)
    blocks = readme_curl_blocks()[: len(COVERED)]
    script = CURL_CHECK + "\n".join(
        f"echo {shlex.quote(f'--- README block {number}: {first}')} >&2\n{with_expectations(block)}"
        for number, (block, first) in enumerate(zip(blocks, COVERED, strict=True), start=1)
    )
    port = _free_port()
    web = _spawn(
        ["gunicorn", "-c", "platform/gunicorn.conf.py", "--bind", f"127.0.0.1:{port}", "config.wsgi"],
        tmp_path / "gunicorn.log",
    )
    # The batch files' jobs run in Celery; the health check reports the worker's heartbeat.
    worker = _spawn(
        ["celery", "-A", "config", "worker", "-l", "warning", "-c", "1", "--without-gossip",
         "--without-mingle", "--without-heartbeat", "-n", f"readme-{port}@%h"],
        tmp_path / "worker.log",
    )  # fmt: skip
    # The operators' health check reports beat's last tick.
    beat = _spawn(["celery", "-A", "config", "beat", "-l", "warning"], tmp_path / "beat.log")
    try:
        _wait_for(lambda: _answers(f"http://127.0.0.1:{port}/api/ready"), what="gunicorn answering")
        run = subprocess.run(
            ["bash", "-c", script],
            cwd=tmp_path,
            env={**_env(), "README_HOST": f"127.0.0.1:{port}", "KEY": key, "LOG_LEVEL": "WARNING"},
            capture_output=True,
            text=True,
            timeout=300,
        )
    finally:
        _stop(web)
        _stop(worker)
        _stop(beat)
    assert run.returncode == 0, f"{run.stderr}\n--- output:\n{run.stdout[-1500:]}"
