"""Agency name search on the demo data (`manage.py seed_demo --persons 100000`): EXPLAIN ANALYZE of the
queries `insurance.selectors.persons_search` builds for a Beijing agency (`agency-11`), by exact name, by
prefix and by a part of a name, with the index each takes and its execution time; then the same part
searched without the bigram index (`name LIKE '%..%'` alone), which is what a trigram index leaves for two
characters: a pattern that short gives it no trigram, so PostgreSQL reads the whole table.

    python bench/name_search_bench.py [--runs 5]

Terms are chosen from the data: the commonest name, its first two characters, the commonest two-character
part and a part held by a few dozen people. Each query runs `--runs` times; the fastest is printed.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from django.db import connection  # noqa: E402

from accounts.models import User  # noqa: E402
from accounts.scope import Scope  # noqa: E402
from insurance import selectors  # noqa: E402
from insurance.models import InsuredPerson, name_bigrams  # noqa: E402

PAGE = 21  # a page of 20 and one more, as the cursor paginator asks


def explain(sql: str, params, runs: int) -> tuple[float, str]:
    best, indexes = float("inf"), ""
    with connection.cursor() as cursor:
        for _ in range(runs):
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", params)
            plan = "\n".join(row[0] for row in cursor.fetchall())
            best = min(best, float(re.search(r"Execution Time: ([\d.]+) ms", plan).group(1)))
            used = re.findall(r"(?:Index|Bitmap Index) Scan(?: Backward)? (?:using|on) (\w+)", plan)
            scans = ["Seq Scan on " + t for t in re.findall(r"Seq Scan on (\w+)", plan)]
            indexes = ", ".join(dict.fromkeys(used + scans))
    return best, indexes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    persons = InsuredPerson.objects.count()
    names = Counter(InsuredPerson.objects.values_list("name", flat=True))
    parts = Counter(part for name in names.elements() for part in name_bigrams(name))
    commonest_name = names.most_common(1)[0][0]
    commonest_part = parts.most_common(1)[0][0]
    rare_part = next(part for part, count in parts.most_common() if count <= 40)
    scope = Scope.of(User.objects.get(username="agency-11"))
    print(f"{persons:,} persons; Beijing agency's scope; fastest of {runs} runs, a page of {PAGE - 1}")
    print(f"{'search':<28} {'people':>7} {'ms':>8}  plan")
    for label, name, match in [
        ("exact name", commonest_name, "exact"),
        ("prefix", commonest_name[:2], "prefix"),
        ("part, commonest bigram", commonest_part, "contains"),
        ("part, a rarer bigram", rare_part, "contains"),
    ]:
        query = selectors.persons_search(scope=scope, name=name, match=match)
        sql, params = query[:PAGE].query.sql_with_params()
        milliseconds, plan = explain(sql, params, runs)
        print(f"{label + ' ' + name:<28} {query.count():>7,} {milliseconds:>8.3f}  {plan}")
    for part in (commonest_part, rare_part):
        sql = f"SELECT id FROM {InsuredPerson._meta.db_table} WHERE name LIKE %s"
        milliseconds, plan = explain(sql, [f"%{part}%"], runs)
        print(f"{'no bigram index ' + part:<28} {'':>7} {milliseconds:>8.3f}  {plan}")


if __name__ == "__main__":
    main()
