"""Electronic-card verification: offline in process, and online over HTTP, each against its baseline.

    .venv/bin/python bench/ecard_bench.py [--persons 5000] [--duration 10] [--connections 16]

1. Offline: the check a service point's own code runs (cards.ecard_tokens.OfflineVerifier: parse, key
   look-up by id, Ed25519 signature, expiry) over a set of real tokens, against raw Ed25519 verification
   of the same tokens (pre-parsed: nothing but `public_key.verify`). One core, in this process. Target:
   ratio >= 0.8.
2. Online: the service-point endpoint POST /api/v1/service-point/ecard/verify (token, replay check in
   Redis, the card's status now in PostgreSQL, the uses allowed here) under gunicorn and wrk, against
   bench/api_bench.py's bare Django view, with api_bench's database, server and wrk machinery. Each
   request presents a token of its own (a token is accepted once), so the tokens are made beforehand, with
   a lifetime that outlasts the run. Target: ratio >= 0.5;
   p50 and p99 printed.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import api_bench  # bench/ is not a package: its sibling is imported from its folder

TARGET_OFFLINE_RATIO = 0.8
TARGET_ONLINE_RATIO = 0.5
TOKEN_LIFETIME = 1800  # seconds: longer than the run, so no token expires while it waits its turn


def _django() -> None:
    sys.path.insert(0, str(api_bench.ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


def cards_prepare(count: int) -> list:
    """`count` enabled cards of demo persons (made once; a rerun reuses them)."""
    from django.utils import timezone

    from cards.models import Card, CardStatus
    from cards.photos import photo_check
    from cards.services.cards import BankAccount, Consent, card_apply, card_enable
    from cards.services.production import production_batch_create, production_batch_return
    from core.models import Channel
    from core.states import Actor
    from insurance.models import InsuredPerson, PersonStatus

    actor = Actor(Channel.ADMIN, reference="ecard_bench")
    cards = list(Card.objects.filter(status=CardStatus.ENABLED)[:count])
    if len(cards) >= count:
        return cards
    photo = photo_check(
        content=(api_bench.ROOT.parent / "shared/fixtures/faces/obama_small.jpg").read_bytes()
    )
    with_cards = Card.objects.values("person_id")
    people = InsuredPerson.objects.exclude(status=PersonStatus.DECEASED).exclude(pk__in=with_cards)
    applied = [
        card_apply(
            person_id=person.pk,
            province_id="11",
            bank=BankAccount("中国工商银行", "6222020200112233445"),
            pin="902741",
            photo=photo,
            consent=Consent(True, "bench"),
            actor=actor,
        )
        for person in people.order_by("pk")[: count - len(cards)]
    ]
    batch = production_batch_create(province_id="11", actor=actor)
    numbers = Card.objects.filter(pk__in=[card.pk for card in applied]).values_list("number", flat=True)
    day = timezone.localdate().isoformat()
    production_batch_return(
        batch=batch,
        content="card_number,issue_date\n" + "".join(f"{n},{day}\n" for n in numbers),
        actor=actor,
    )
    for card in Card.objects.filter(pk__in=[card.pk for card in applied]):
        card_enable(card=card, actor=actor)
    return list(Card.objects.filter(status=CardStatus.ENABLED)[:count])


def tokens_make(cards: list, count: int) -> list[str]:
    from cards.services.ecard import ecard_token_sign

    return [
        ecard_token_sign(card_number=cards[i % len(cards)].number, purpose="i", lifetime=TOKEN_LIFETIME)[0]
        for i in range(count)
    ]


def offline_measure(tokens: list[str], repeats: int = 5) -> tuple[float, float]:
    """Tokens a second: the offline verifier's, and raw Ed25519 verification's of the same tokens (best
    of `repeats` passes each, interleaved, so that a noisy neighbour hurts both alike)."""
    from cards import ecard_tokens
    from cards.services.ecard import ecard_public_keys

    published = {key.kid: ecard_tokens.b64decode(key.public_key) for key in ecard_public_keys()}
    verifier = ecard_tokens.OfflineVerifier(published)
    raw = []
    for token in tokens:
        payload, signature = token.split(".")
        kid = json.loads(ecard_tokens.b64decode(payload))["k"]
        raw.append((verifier.keys[kid], ecard_tokens.b64decode(signature), payload.encode("ascii")))
    best_offline = best_raw = 0.0
    for _ in range(repeats):
        start = time.perf_counter()
        for public_key, signature, message in raw:
            public_key.verify(signature, message)
        best_raw = max(best_raw, len(raw) / (time.perf_counter() - start))
        start = time.perf_counter()
        for token in tokens:
            verifier.verify(token)
        best_offline = max(best_offline, len(tokens) / (time.perf_counter() - start))
    return best_offline, best_raw


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--persons", type=int, default=5_000, help="Demo persons seeded (the bare view's rows)."
    )
    parser.add_argument("--cards", type=int, default=50, help="Enabled cards the tokens name.")
    parser.add_argument("--offline-tokens", type=int, default=20_000)
    parser.add_argument(
        "--online-tokens", type=int, default=120_000, help="Tokens for the online run: one a request."
    )
    parser.add_argument("--duration", type=int, default=10, help="Seconds measured per scenario.")
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads.")
    parser.add_argument("--port", type=int, default=8766)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed. On Debian or Ubuntu: sudo apt-get install -y wrk.")

    url = api_bench.bench_database_url()
    os.environ["DATABASE_URL"] = url
    env = {**os.environ, "DJANGO_DEBUG": "0", "BENCH_BARE_VIEW": "1"}
    api_bench.database_ensure(url)
    api_bench.manage(env, "migrate", "--noinput", "-v0")
    api_bench.manage(env, "seed_demo", "--persons", str(args.persons), "--seed", "1")
    _django()
    from accounts.services import auth_token_issue
    from cards.models import ServicePoint
    from cards.services.uses import service_point_register
    from insurance.models import InsuredPerson

    cards = cards_prepare(args.cards)
    offline, raw = offline_measure(tokens_make(cards, args.offline_tokens))

    point = ServicePoint.objects.filter(user__username="bench-hospital").first() or service_point_register(
        username="bench-hospital", password="bench-passphrase-not-used-7", province_id="11", kind="hospital",
        name="Bench hospital",
    )  # fmt: skip
    point_token = auth_token_issue(user=point.user).token
    # Tokens for the measured runs, and a few of their own for the answer check before the load (a token
    # the check presented would be a replay under the load).
    tokens = tokens_make(cards, args.online_tokens + 20)
    path = "/api/v1/service-point/ecard/verify"

    def lines(some: list[str]) -> list[str]:
        return [f"{point_token}\t{path}\t{json.dumps({'token': token})}" for token in some]

    checked, measured = tokens[:20], tokens[20:]
    people = list(InsuredPerson.objects.order_by("pk").values_list("pk", flat=True)[:500])
    bare = api_bench.Scenario(
        "bare view (same person row)", [f"\t/bench/bare/persons/{p}" for p in people], "name"
    )
    online_check = api_bench.Scenario("online verification", lines(checked), "card_status")

    results: list[tuple[str, dict]] = []
    with tempfile.TemporaryDirectory(prefix="ecard-bench-") as tmp:
        work = Path(tmp)
        script = work / "rotate.lua"
        script.write_text(api_bench.WRK_SCRIPT)
        server = api_bench.server_start(env, args.port, work / "gunicorn.log")
        try:
            common = {"connections": args.connections, "threads": args.threads}
            api_bench.answers_check(bare, args.port)
            api_bench.answers_check(online_check, args.port)
            warmup_count = max(1, len(measured) // (args.duration + args.warmup) * args.warmup)
            runs = [
                ("bare view (same person row)", bare.lines, bare.lines),
                ("online verification", lines(measured[:warmup_count]), lines(measured[warmup_count:])),
            ]
            for name, warm, main_lines in runs:
                warm_file, main_file = work / f"{len(results)}w.tsv", work / f"{len(results)}.tsv"
                warm_file.write_text("\n".join(warm) + "\n")
                main_file.write_text("\n".join(main_lines) + "\n")
                api_bench.wrk_run(script, warm_file, args.port, seconds=args.warmup, **common)
                raw_result = api_bench.wrk_run(script, main_file, args.port, seconds=args.duration, **common)
                if raw_result["non_2xx"] or raw_result["errors"]:
                    # A token presented twice (more requests than tokens) is refused: no figure from that.
                    raise SystemExit(
                        f"{name}: {raw_result['non_2xx']} non-2xx answers and {raw_result['errors']} socket "
                        f"errors in {raw_result['requests']} requests (tokens: {len(main_lines)}); "
                        "no figures reported. Raise --online-tokens if the requests outnumber the tokens."
                    )
                results.append((name, raw_result))
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)

    print(
        f"\n{os.cpu_count()} CPUs (load average {os.getloadavg()[0]:.1f} at the end), Python "
        f"{sys.version.split()[0]}, {args.connections} connections, {args.duration} s per HTTP scenario\n"
    )
    ratio = offline / raw
    print(f"{'offline (in process)':<32} {'tokens/s':>9} {'ratio':>6}  target")
    print(f"{'raw Ed25519 verify':<32} {raw:9.0f} {'':>6}  -")
    print(
        f"{'OfflineVerifier.verify':<32} {offline:9.0f} {ratio:6.2f}  "
        f">= {TARGET_OFFLINE_RATIO}: {'met' if ratio >= TARGET_OFFLINE_RATIO else 'MISSED'}\n"
    )
    print(f"{'online (HTTP)':<32} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'ratio':>6}  target")
    bare_rate = results[0][1]["requests"] / (results[0][1]["duration_us"] / 1e6)
    for name, raw_result in results:
        rate = raw_result["requests"] / (raw_result["duration_us"] / 1e6)
        share = rate / bare_rate
        verdict = (
            "-"
            if name.startswith("bare")
            else (f">= {TARGET_ONLINE_RATIO}: {'met' if share >= TARGET_ONLINE_RATIO else 'MISSED'}")
        )
        print(
            f"{name:<32} {rate:9.0f} {raw_result['p50_us'] / 1000:8.2f} {raw_result['p99_us'] / 1000:8.2f} "
            f"{share:6.2f}  {verdict}"
        )


if __name__ == "__main__":
    main()
