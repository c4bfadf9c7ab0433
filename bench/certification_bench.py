"""The nightly comparison of pensions in payment, by the services against hand-written bare SQL.

    .venv/bin/python bench/certification_bench.py [--pensioners 1000000]

In its own database (BENCH_DATABASE_URL, default si_certification_bench, created and migrated here) it
seeds, once, `--pensioners` pensioners in six provinces, each with an open relationship, a card, an award
and its amounts (a yearly adjustment of 2 % for half of them) and the last twelve months paid, a fifth of
them with a citizen's account and a token; 8 % suspended as overdue (their last six months withheld) and
a few suspended as imprisoned. It also stages what the provinces' files brought in: death records for a
tenth of the pensioners (dated through this year, so that months were paid after most deaths, and a
fifth of those dead were suspended), life evidence for a twentieth of them, and imprisonment,
disappearance and release records.

Each run copies that database twice and times, on the first copy, the real nightly work:

1. the imported deaths through the one death service, `deaths_register`, chunk by chunk as the import
   writes them (`IMPORT_CHUNK_ROWS`): each person deceased, relationships closed, citizens' accounts
   closed, cards cancelled, awards stopped from the month after death, withheld months made payable to
   the estate or forfeited, overpayments and their recovery cases, survivors' claims, each move's event;
2. `nightly_comparison`: the status records' suspensions and resumptions, and the passive
   certifications from life evidence with their inbox messages;

and on the second copy, hand-written SQL statements that make the same changes to the same rows, all the
deaths at once. It checks that both copies end with the same rows (a count and a hash of every changed
table, ids and times aside) and prints both times and their ratio (bare SQL time / service time; target
>= 0.5). No overdue pensioner has life evidence here, so no back pay runs (the card ledger's work, covered
by tests): the run stops if the service resumed any award.
"""

from __future__ import annotations

import argparse
import datetime
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_DATABASE_URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/si_certification_bench"
)
os.environ["DATABASE_URL"] = BENCH_DATABASE_URL
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

import django  # noqa: E402

django.setup()

import psycopg  # noqa: E402
from bench_databases import database_copy, database_drop, database_prepare  # noqa: E402
from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402
from django.utils.translation import gettext as _  # noqa: E402

from certification.models import StatusEvidenceKind  # noqa: E402
from certification.services.comparison import nightly_comparison  # noqa: E402
from certification.services.survivors import (  # noqa: E402
    DEFAULT_FUNERAL_GRANT_MONTHS,
    DEFAULT_SURVIVOR_PENSION_MONTHS,
)
from core.models import Channel  # noqa: E402
from core.money import money_sql  # noqa: E402
from core.states import Actor  # noqa: E402
from insurance.services.persons import Death, deaths_register  # noqa: E402

TARGET_RATIO = 0.5
PROVINCES = ["11", "31", "44", "51", "32", "33"]
IMPORT_ACTOR = Actor(Channel.IMPORT, None, "import_job:certification-bench")
COMPARISON_ACTOR = Actor.periodic("nightly_comparison")

# The pensioners and what the provinces' files brought in, by the pensioner's number i (also the id of
# their person, relationship, award and card). Plain SQL: the seed is not what is measured.
SEED = """
CREATE TEMP TABLE bench_pensioner AS
SELECT i, (ARRAY['11', '31', '44', '51', '32', '33'])[1 + i %% 6] AS province,
       (2000 + (i * 37) %% 3000 + (i %% 100) / 100.0)::numeric(14, 2) AS base,
       CASE WHEN i %% 1000 = 45 THEN 'imprisoned' WHEN i %% 25 IN (13, 14) THEN 'overdue' ELSE 'paying' END
           AS standing
  FROM generate_series(1, %(pensioners)s) AS i;
ALTER TABLE bench_pensioner ADD COLUMN amount numeric(14, 2);
UPDATE bench_pensioner SET amount = CASE WHEN i %% 2 = 0 THEN ROUND(base * 1.02, 2) ELSE base END;

INSERT INTO insurance_insuredperson
       (id, id_number_ciphertext, id_number_hash, name, sex, birth_date, hukou_province_id,
        residence_province_id, phone, status, created_at, updated_at)
SELECT i, '', 'certification-bench-' || i, '退休人员' || i, CASE WHEN i %% 2 = 0 THEN 'M' ELSE 'F' END,
       DATE '1950-01-01' + (i %% 3650), province, province, '', 'retired', NOW(), NOW()
  FROM bench_pensioner;

INSERT INTO insurance_insurancerelationship
       (id, person_id, scheme, province_id, status, is_temporary_account, opened_period, closed_period,
        updated_at)
SELECT i, i, 'EP', province, 'suspended', FALSE, 199001, NULL, NOW() FROM bench_pensioner;

INSERT INTO cards_card
       (id, person_id, province_id, number, status, resume_status, bank_status, bank_name,
        bank_account_masked, bank_account_ciphertext, replaces_id, replacement_reason, issue_date,
        valid_until, pin_hash, pin_failures, ecard_pin_hash, ecard_pin_failures, applied_at, updated_at)
SELECT i, i, province, 'B' || LPAD(i::text, 8, '0'), 'enabled', '', 'active', '', '', '', NULL, '',
       DATE '2020-01-01', DATE '2030-01-01', '', 0, '', 0, NOW(), NOW()
  FROM bench_pensioner;

INSERT INTO accounts_user
       (id, password, is_superuser, username, first_name, last_name, email, is_staff, is_active,
        date_joined, id_number_ciphertext, role, id_number_hash, province_id)
SELECT i, '!', FALSE, 'certification-bench-' || i, '', '', '', FALSE, TRUE, NOW(), '', 'citizen',
       'certification-bench-' || i, NULL
  FROM bench_pensioner WHERE i %% 5 = 0;

INSERT INTO accounts_authtoken (digest, created_at, expires_at, user_id)
SELECT MD5(i::text) || MD5('token' || i), NOW(), NOW() + INTERVAL '30 days', i
  FROM bench_pensioner WHERE i %% 5 = 0;

INSERT INTO certification_pensionaward
       (id, person_id, province_id, scheme, monthly_amount, first_month, status, suspension_reason,
        last_certified_on, stopped_from_month, stop_reason, inputs, created_at)
SELECT i, i, province, 'EP', amount, 202001,
       CASE WHEN standing = 'paying' THEN 'paying' ELSE 'suspended' END,
       CASE standing WHEN 'paying' THEN '' WHEN 'overdue' THEN 'overdue' ELSE 'imprisonment' END,
       CASE WHEN standing = 'overdue' THEN DATE '2025-05-15' ELSE DATE '2025-12-01' + (i %% 350) END,
       NULL, '', '{}', NOW()
  FROM bench_pensioner;

INSERT INTO certification_awardamount (person_id, award_id, from_month, amount)
SELECT i, i, 202001, base FROM bench_pensioner
UNION ALL
SELECT i, i, 202601, amount FROM bench_pensioner WHERE i %% 2 = 0;

INSERT INTO certification_awardmonth (person_id, award_id, month, amount, outcome, back_paid, paid_at)
SELECT p.i, p.i, m.month, CASE WHEN m.month >= 202601 THEN p.amount ELSE p.base END,
       CASE WHEN p.standing = 'overdue' AND m.month >= 202606 THEN 'withheld'
            WHEN p.standing = 'imprisoned' AND m.month >= 202610 THEN 'forfeited'
            ELSE 'paid' END,
       FALSE,
       CASE WHEN (p.standing = 'overdue' AND m.month >= 202606)
              OR (p.standing = 'imprisoned' AND m.month >= 202610) THEN NULL ELSE NOW() END
  FROM bench_pensioner p
 CROSS JOIN (SELECT 202512 AS month UNION ALL SELECT 202600 + generate_series(1, 11)) AS m;

CREATE TABLE bench_death (person_id bigint PRIMARY KEY, date_of_death date NOT NULL);
INSERT INTO bench_death SELECT i, DATE '2026-01-01' + (i / 10) %% 320 FROM bench_pensioner WHERE i %% 10 = 3;

INSERT INTO certification_lifeevidence (person_id, province_id, evidence_date, kind, source, created_at)
SELECT i, province, DATE '2026-11-25', 'medical_settlement', 'bench hospital', NOW()
  FROM bench_pensioner WHERE i %% 20 = 7;

INSERT INTO certification_statusevidence
       (person_id, province_id, kind, evidence_date, source, applied_at, created_at)
SELECT i, province,
       CASE WHEN i %% 1000 IN (5, 25) THEN 'disappearance' WHEN i %% 1000 = 45 THEN 'release'
            ELSE 'imprisonment' END,
       DATE '2026-11-15', 'bench court', NULL, NOW()
  FROM bench_pensioner WHERE i %% 1000 IN (1, 21, 41, 61, 81, 5, 25, 45);

SELECT setval(pg_get_serial_sequence(t, 'id'), %(pensioners)s)
  FROM UNNEST(ARRAY['insurance_insuredperson', 'insurance_insurancerelationship', 'cards_card',
                    'accounts_user', 'certification_pensionaward']) AS t;
ANALYZE;
"""


def data_seed(pensioners: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass('bench_death') IS NOT NULL")
        if cursor.fetchone()[0]:
            cursor.execute("SELECT COUNT(*) FROM certification_pensionaward")
            (seeded,) = cursor.fetchone()
            if seeded != pensioners:
                raise SystemExit(f"The bench database holds {seeded} pensioners, not {pensioners}: drop it.")
            return
        started = time.perf_counter()
        cursor.execute(SEED, {"pensioners": pensioners})
        print(f"seeded {pensioners:,} pensioners in {time.perf_counter() - started:.0f} s")


def by_service(today: datetime.date) -> tuple[float, float]:
    """The deaths through the death service, chunk by chunk, then the comparison: their times."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT person_id, date_of_death FROM bench_death ORDER BY person_id")
        deaths = [Death(person_id, day) for person_id, day in cursor.fetchall()]
    chunk = settings.IMPORT_CHUNK_ROWS
    started = time.perf_counter()
    for start in range(0, len(deaths), chunk):
        _recorded, refusals = deaths_register(items=deaths[start : start + chunk], actor=IMPORT_ACTOR)
        if refusals:
            raise SystemExit(f"The service refused {len(refusals)} deaths, e.g. {refusals[0]}")
    deaths_seconds = time.perf_counter() - started
    result = nightly_comparison(today=today)
    if result.resumed:
        raise SystemExit(f"{result.resumed} awards resumed: the bare SQL does no back pay.")
    return deaths_seconds, time.perf_counter() - started - deaths_seconds


# A state move in one statement: the rows of `table` chosen by `rows` (a query naming them `pk`) that
# are in one of `sources` are updated with `assignments` (which may read the rows `joined` to `old`, the
# row as it was), and one event each is written with the state each left and the reason named `reason`
# among the parameters.
def _move(
    table: str,
    entity: str,
    rows: str,
    sources: str,
    to: str,
    assignments: str,
    reason: str,
    *,
    joined: str = "",
    person: str = "row.person_id",
) -> str:
    return f"""
        WITH moved AS (
            UPDATE {table} row SET status = '{to}', {assignments}
              FROM ({rows}) chosen JOIN {table} old ON old.id = chosen.pk {joined}
             WHERE row.id = old.id AND old.status IN ({sources})
            RETURNING row.id AS pk, old.status AS source, {person} AS person_id
        )
        INSERT INTO core_stateevent
               (entity, object_id, person_id, from_state, to_state, actor_id, channel, reference, reason, at)
        SELECT '{entity}', pk, person_id, source, '{to}', NULL, %(channel)s, %(reference)s, %({reason})s,
               %(now)s
          FROM moved"""


NEXT_MONTH = "CASE WHEN {m} %% 100 = 12 THEN {m} + 89 ELSE {m} + 1 END"

# The deaths, all at once: who may die (not yet deceased, a date neither in the future nor before birth
# nor before an open relationship began), then what each death changes, as deaths_register and its hooks.
BARE_DEATHS = [
    """CREATE TEMP TABLE dead ON COMMIT DROP AS
       SELECT d.person_id, d.date_of_death,
              (EXTRACT(YEAR FROM d.date_of_death) * 100 + EXTRACT(MONTH FROM d.date_of_death))::integer
                  AS death_month
         FROM bench_death d JOIN insurance_insuredperson p ON p.id = d.person_id
        WHERE p.status <> 'deceased' AND d.date_of_death <= %(today)s AND d.date_of_death >= p.birth_date
          AND NOT EXISTS (
              SELECT 1 FROM insurance_insurancerelationship r
               WHERE r.person_id = d.person_id AND r.status IN ('paying', 'suspended')
                 AND r.opened_period > EXTRACT(YEAR FROM d.date_of_death) * 100
                                       + EXTRACT(MONTH FROM d.date_of_death))""",
    "ALTER TABLE dead ADD PRIMARY KEY (person_id)",
    "ANALYZE dead",
    _move(
        "insurance_insuredperson",
        "insurance.insuredperson",
        "SELECT person_id AS pk FROM dead",
        "'active', 'retired'",
        "deceased",
        "date_of_death = dead.date_of_death, updated_at = %(now)s",
        "person_deceased",
        joined="JOIN dead ON dead.person_id = old.id",
        person="row.id",
    ),
    _move(
        "insurance_insurancerelationship",
        "insurance.insurancerelationship",
        "SELECT r.id AS pk FROM insurance_insurancerelationship r JOIN dead ON dead.person_id = r.person_id",
        "'paying', 'suspended'",
        "closed",
        "closed_period = dead.death_month, updated_at = %(now)s",
        "relationship_closed",
        joined="JOIN dead ON dead.person_id = old.person_id",
    ),
    """WITH closed AS (
           UPDATE accounts_user u SET holder_died_on = dead.date_of_death
             FROM dead JOIN insurance_insuredperson p ON p.id = dead.person_id
            WHERE u.id_number_hash = p.id_number_hash AND u.holder_died_on IS NULL
        RETURNING u.id)
       DELETE FROM accounts_authtoken t USING closed WHERE t.user_id = closed.id""",
    _move(
        "cards_card",
        "cards.card",
        "SELECT c.id AS pk FROM cards_card c JOIN dead ON dead.person_id = c.person_id",
        "'applied', 'in_production', 'issued', 'enabled', 'temporarily_lost', 'locked', 'sealed'",
        "cancelled",
        "ended_at = %(now)s, resume_status = '', updated_at = %(now)s",
        "card_cancelled",
    ),
    f"""CREATE TEMP TABLE stopped ON COMMIT DROP AS
        SELECT a.id AS award_id, a.person_id, a.province_id, a.first_month, dead.date_of_death,
               dead.death_month, {NEXT_MONTH.format(m="dead.death_month")} AS from_month
          FROM certification_pensionaward a JOIN dead ON dead.person_id = a.person_id
         WHERE a.status IN ('paying', 'suspended')""",
    "ALTER TABLE stopped ADD PRIMARY KEY (award_id)",
    "ANALYZE stopped",
    _move(
        "certification_pensionaward",
        "certification.pensionaward",
        "SELECT award_id AS pk FROM stopped",
        "'paying', 'suspended'",
        "stopped",
        "stopped_from_month = stopped.from_month, stop_reason = 'death'",
        "award_stopped",
        joined="JOIN stopped ON stopped.award_id = old.id",
    ),
    """UPDATE certification_awardmonth m
          SET outcome = CASE WHEN m.month < s.from_month THEN 'estate' ELSE 'forfeited' END
         FROM stopped s
        WHERE m.person_id = s.person_id AND m.award_id = s.award_id AND m.outcome = 'withheld'""",
    """INSERT INTO certification_recoverycase
              (person_id, award_id, province_id, overpaid, months, recovered, recovered_from_claim, status,
               write_off_reason, created_at)
       SELECT s.person_id, s.award_id, s.province_id, SUM(m.amount), jsonb_agg(m.month ORDER BY m.month),
              0, 0, 'open', '', %(now)s
         FROM stopped s
         JOIN certification_awardmonth m
           ON m.person_id = s.person_id AND m.award_id = s.award_id AND m.month >= s.from_month
          AND m.outcome = 'paid'
        GROUP BY s.person_id, s.award_id, s.province_id""",
    f"""WITH opened AS (
            INSERT INTO certification_survivorclaim
                   (person_id, award_id, province_id, date_of_death, monthly_amount, funeral_grant_months,
                    survivor_pension_months, funeral_grant, survivor_pension, estate_amount, status,
                    survivor_name, survivor_relationship, id_number_ciphertext, id_number_hash,
                    survivor_bank_name, survivor_bank_account_masked, survivor_bank_account_ciphertext,
                    rejection_reason, created_at)
            SELECT s.person_id, s.award_id, s.province_id, s.date_of_death, last.amount, rule.funeral,
                   rule.pension, {money_sql("last.amount * rule.funeral")},
                   {money_sql("last.amount * rule.pension")}, COALESCE(estate.amount, 0), 'opened',
                   '', '', '', '', '', '', '', '', %(now)s
              FROM stopped s
              LEFT JOIN certification_certificationprovinceconfig c ON c.province_id = s.province_id
             CROSS JOIN LATERAL (SELECT COALESCE(c.funeral_grant_months, %(funeral)s) AS funeral,
                                        COALESCE(c.survivor_pension_months, %(pension)s) AS pension) rule
             CROSS JOIN LATERAL (SELECT amount FROM certification_awardamount x
                                  WHERE x.person_id = s.person_id AND x.award_id = s.award_id
                                    AND x.from_month <= GREATEST(s.death_month, s.first_month)
                                  ORDER BY x.from_month DESC LIMIT 1) last
              LEFT JOIN (SELECT m.award_id, SUM(m.amount) AS amount
                           FROM certification_awardmonth m JOIN stopped t
                             ON t.person_id = m.person_id AND t.award_id = m.award_id
                          WHERE m.outcome = 'estate' GROUP BY m.award_id) estate
                ON estate.award_id = s.award_id
            ON CONFLICT (person_id, award_id) DO NOTHING
            RETURNING id, person_id)
        INSERT INTO core_stateevent
               (entity, object_id, person_id, from_state, to_state, actor_id, channel, reference, reason, at)
        SELECT 'certification.survivorclaim', id, person_id, '', 'opened', NULL, %(channel)s,
               %(reference)s, %(award_stopped)s, %(now)s
          FROM opened""",
]

# The nightly comparison: each person's latest pending status record decides (an award already in the
# state only changes its reason), then life evidence after the last certification certifies passively.
_EFFECT = "SELECT a.id AS pk FROM certification_pensionaward a JOIN latest l ON l.person_id = a.person_id"
BARE_COMPARISON = [
    """CREATE TEMP TABLE latest (person_id bigint PRIMARY KEY, kind text) ON COMMIT DROP""",
    """WITH pending AS (
           UPDATE certification_statusevidence SET applied_at = %(now)s
            WHERE applied_at IS NULL AND evidence_date <= %(today)s
        RETURNING person_id, kind, evidence_date, id)
       INSERT INTO latest
       SELECT DISTINCT ON (person_id) person_id, kind FROM pending
        ORDER BY person_id, evidence_date DESC, id DESC""",
    """UPDATE certification_pensionaward a SET suspension_reason = l.kind FROM latest l
        WHERE l.person_id = a.person_id AND a.status = 'suspended'
          AND ((l.kind = 'imprisonment' AND a.suspension_reason IN ('overdue', 'disappearance', ''))
            OR (l.kind = 'disappearance' AND a.suspension_reason IN ('overdue', '')))""",
    _move(
        "certification_pensionaward",
        "certification.pensionaward",
        f"{_EFFECT} WHERE l.kind = 'imprisonment'",
        "'paying'",
        "suspended",
        "suspension_reason = 'imprisonment'",
        "imprisonment",
    ),
    _move(
        "certification_pensionaward",
        "certification.pensionaward",
        f"{_EFFECT} WHERE l.kind = 'disappearance'",
        "'paying'",
        "suspended",
        "suspension_reason = 'disappearance'",
        "disappearance",
    ),
    _move(
        "certification_pensionaward",
        "certification.pensionaward",
        f"{_EFFECT} WHERE l.kind = 'release' AND a.suspension_reason = 'imprisonment'",
        "'suspended'",
        "paying",
        "suspension_reason = ''",
        "release",
    ),
    """CREATE TEMP TABLE certified (award_id bigint, person_id bigint, day date) ON COMMIT DROP""",
    """WITH inserted AS (
           INSERT INTO certification_certification
                  (person_id, award_id, method, certified_on, place_province_id, place, evidence, actor_id,
                   channel, created_at)
           SELECT DISTINCT ON (a.id) a.person_id, a.id, 'passive', e.evidence_date, e.province_id, e.source,
                  'life_evidence:' || e.id, NULL, %(periodic)s, %(now)s
             FROM certification_pensionaward a
             JOIN certification_lifeevidence e
               ON e.person_id = a.person_id AND e.evidence_date > a.last_certified_on
              AND e.evidence_date <= %(today)s
            WHERE a.status <> 'stopped'
            ORDER BY a.id, e.evidence_date DESC, e.id DESC
           ON CONFLICT DO NOTHING
           RETURNING award_id, person_id, certified_on)
       INSERT INTO certified SELECT * FROM inserted""",
    """UPDATE certification_pensionaward a SET last_certified_on = c.day FROM certified c
        WHERE a.id = c.award_id AND a.last_certified_on < c.day""",
    """INSERT INTO insurance_inboxmessage
              (person_id, kind, title, body, subject_type, subject_id, read_at, created_at)
       SELECT person_id, 'certification_passive', %(title)s, %(body)s, 'certification.pensionaward', award_id,
              NULL, %(now)s
         FROM certified""",
]


def by_bare_sql(url: str, today: datetime.date, *, show_statements: bool) -> float:
    parameters = {
        "today": today,
        "now": timezone.now(),
        "channel": IMPORT_ACTOR.channel,
        "reference": IMPORT_ACTOR.reference,
        "periodic": COMPARISON_ACTOR.channel,
        "funeral": DEFAULT_FUNERAL_GRANT_MONTHS,
        "pension": DEFAULT_SURVIVOR_PENSION_MONTHS,
        "imprisonment": str(StatusEvidenceKind.IMPRISONMENT.label),
        "disappearance": str(StatusEvidenceKind.DISAPPEARANCE.label),
        "release": str(StatusEvidenceKind.RELEASE.label),
        # The reasons the services give their moves.
        "person_deceased": "Death recorded",
        "relationship_closed": "Death of the insured person",
        "card_cancelled": "Death of the holder",
        "award_stopped": "Death of the pensioner",
        # The texts the service sends, in the same language.
        "title": _("Your pension eligibility is certified"),
        "body": _(
            "Records of public services you used show that you are alive, so your eligibility "
            "is certified for the next cycle: nothing more is needed from you."
        ),
    }
    with psycopg.connect(url) as database:
        started = time.perf_counter()
        # The comparison's events name the periodic actor, not the import.
        comparison = {
            **parameters,
            "channel": COMPARISON_ACTOR.channel,
            "reference": COMPARISON_ACTOR.reference,
        }
        timings = []
        with database.transaction(), database.cursor() as cursor:
            for statement, values in [(s, parameters) for s in BARE_DEATHS] + [
                (s, comparison) for s in BARE_COMPARISON
            ]:
                begun = time.perf_counter()
                cursor.execute(statement, values)
                timings.append((time.perf_counter() - begun, " ".join(statement.split())[:90]))
        total = time.perf_counter() - started
    if show_statements:
        for seconds, statement in sorted(timings, reverse=True):
            print(f"  {seconds:7.2f} s  {statement}")
    return total


# What either side changes, table by table, without the ids and times that differ between two runs.
FINGERPRINTS = {
    "people": "SELECT id, status, date_of_death FROM insurance_insuredperson",
    "relationships": "SELECT id, status, closed_period FROM insurance_insurancerelationship",
    "citizens' accounts": "SELECT id, holder_died_on FROM accounts_user",
    "tokens": "SELECT digest FROM accounts_authtoken",
    "cards": "SELECT id, status, resume_status, ended_at IS NULL FROM cards_card",
    "awards": "SELECT id, status, suspension_reason, last_certified_on, stopped_from_month, stop_reason"
    " FROM certification_pensionaward",
    "award months": "SELECT person_id, award_id, month, amount, outcome, back_paid, paid_at IS NULL"
    " FROM certification_awardmonth",
    "recovery cases": "SELECT person_id, award_id, province_id, overpaid, months, recovered,"
    " recovered_from_claim, status FROM certification_recoverycase",
    "survivors' claims": "SELECT person_id, award_id, province_id, date_of_death, monthly_amount,"
    " funeral_grant_months, survivor_pension_months, funeral_grant, survivor_pension, estate_amount, status"
    " FROM certification_survivorclaim",
    "certifications": "SELECT person_id, award_id, method, certified_on, place_province_id, place, evidence,"
    " actor_id, channel FROM certification_certification",
    "status records": "SELECT id, applied_at IS NULL FROM certification_statusevidence",
    "inbox": "SELECT person_id, kind, title, body, subject_type, subject_id FROM insurance_inboxmessage",
    "state events": "SELECT entity, object_id, person_id, from_state, to_state, actor_id, channel,"
    " reference, reason FROM core_stateevent",
}
FIGURES = {
    "awards stopped": "SELECT COUNT(*) FROM certification_pensionaward WHERE status = 'stopped'",
    "recovery cases": "SELECT COUNT(*) FROM certification_recoverycase",
    "overpaid": "SELECT COALESCE(SUM(overpaid), 0) FROM certification_recoverycase",
    "survivors' claims": "SELECT COUNT(*) FROM certification_survivorclaim",
    "payable to the estate": "SELECT COALESCE(SUM(estate_amount), 0) FROM certification_survivorclaim",
    "passive certifications": "SELECT COUNT(*) FROM certification_certification WHERE method = 'passive'",
    "suspended": "SELECT COUNT(*) FROM certification_pensionaward WHERE status = 'suspended'",
}


def fingerprints(url: str) -> dict[str, tuple]:
    with psycopg.connect(url) as database, database.cursor() as cursor:
        prints = {}
        for table, query in FINGERPRINTS.items():
            hashed = "COALESCE(SUM(hashtextextended(t::text, 0)::numeric), 0)"
            cursor.execute(f"SELECT COUNT(*), {hashed} FROM ({query}) t")
            prints[table] = cursor.fetchone()
        return prints


def figures(url: str) -> dict[str, object]:
    with psycopg.connect(url) as database, database.cursor() as cursor:
        return {name: cursor.execute(query).fetchone()[0] for name, query in FIGURES.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pensioners", type=int, default=1_000_000)
    parser.add_argument("--keep", action="store_true", help="Keep the two copies for a look afterwards.")
    parser.add_argument("--statements", action="store_true", help="Print each bare statement's time.")
    args = parser.parse_args()
    database_prepare(BENCH_DATABASE_URL)
    data_seed(args.pensioners)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT (SELECT COUNT(*) FROM certification_awardmonth), (SELECT COUNT(*) FROM bench_death)"
        )
        months, deaths = cursor.fetchone()
    connection.close()  # a template is copied only with nobody connected to it
    today = timezone.localdate()
    print(f"{args.pensioners:,} pensioners, {months:,} award months, {deaths:,} death records; today {today}")

    name = settings.DATABASES["default"]["NAME"]
    started = time.perf_counter()
    service_url = database_copy(BENCH_DATABASE_URL, f"{name}_service")
    bare_url = database_copy(BENCH_DATABASE_URL, f"{name}_bare")
    print(f"copied the database twice in {time.perf_counter() - started:.0f} s")
    try:
        connection.settings_dict["NAME"] = f"{name}_service"
        deaths_seconds, comparison_seconds = by_service(today)
        connection.close()
        service_seconds = deaths_seconds + comparison_seconds
        bare_seconds = by_bare_sql(bare_url, today, show_statements=args.statements)

        service_prints, bare_prints = fingerprints(service_url), fingerprints(bare_url)
        differing = [table for table in FINGERPRINTS if service_prints[table] != bare_prints[table]]
        if differing:
            raise SystemExit(
                "The two sides differ: "
                + "; ".join(f"{t}: service {service_prints[t]}, SQL {bare_prints[t]}" for t in differing)
            )
        print("both copies end with the same rows in: " + ", ".join(FINGERPRINTS))
        for figure, value in figures(service_url).items():
            print(f"  {figure:24} {value:,}")
        print(
            f"service    {service_seconds:8.2f} s  (deaths {deaths_seconds:.2f} s in chunks of "
            f"{settings.IMPORT_CHUNK_ROWS:,}, comparison {comparison_seconds:.2f} s)"
        )
        print(f"bare SQL   {bare_seconds:8.2f} s")
        ratio = bare_seconds / service_seconds
        print(f"ratio      {ratio:8.2f}  (bare SQL time / service time; target >= {TARGET_RATIO})")
    finally:
        connection.close()
        if not args.keep:
            database_drop(service_url)
            database_drop(bare_url)


if __name__ == "__main__":
    main()
