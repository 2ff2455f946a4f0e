"""Scale: seeding 10,000 users / 50,000 cases, list latency at small vs large data, peak memory.

1. Builds a world of 2 partners × 5,000 users × 5 cases (``fixtures.world.build_world``) and loads
   it into a fresh SQLite file through the real loader (``sandbox.apis.immigraflow.seeding.load``),
   timing both.
2. Serves the same requests, in process (ASGI, no network), against the default fixtures world
   and against the large one, and reports p50/p95 latency and the large/small ratio: a ratio near
   1 means no request scans data that grows (indexes, no per-request table scans). The list
   page cache is off here (a repeated request would be served from memory): these figures are
   the queries' own.
3. Prints the query plans of the list queries and the peak RSS of the process, and checks that
   RSS stops growing under a steady stream of requests.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import resource
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

import httpx

warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")

PARTNER = {
    "X-API-KEY": "ifk_test_acme_5f2c9a7e1b3d4c6a",
    "X-API-SECRET": "ifs_test_acme_9d8e7f6a5b4c3d2e1f0a9b8c",
}


def rss_mb() -> float:
    """Current resident set size in MiB (Linux)."""
    with open("/proc/self/statm") as statm:
        pages = int(statm.read().split()[1])
    return pages * resource.getpagesize() / 2**20


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def seed_large(db: Path, seed: int, users_per_partner: int, cases_per_user: int) -> dict[str, Any]:
    from fixtures.world import build_world
    from sandbox.apis.immigraflow import seeding
    from sandbox.apis.immigraflow.tables import metadata as domain_metadata
    from sandbox.engine.database import open_database
    from sandbox.engine.tables import metadata as engine_metadata

    started = time.perf_counter()
    world = build_world(seed, users_per_partner=users_per_partner, cases_per_user=(cases_per_user, cases_per_user))
    built = time.perf_counter() - started
    engine = open_database(db, engine_metadata, domain_metadata)
    started = time.perf_counter()
    with engine.begin() as conn:
        counts = seeding.load(conn, world)
    loaded = time.perf_counter() - started
    engine.dispose()
    del world
    gc.collect()
    return {"build_s": built, "load_s": loaded, "counts": counts}


def query_plans(db: Path) -> dict[str, list[str]]:
    """SQLite's plan for the list queries the API runs (count and page)."""
    import sqlite3

    queries = {
        "users count": "SELECT count(*) FROM users WHERE partner_id = 1",
        "users page": "SELECT * FROM users WHERE partner_id = 1 ORDER BY created_at DESC, id DESC LIMIT 20 OFFSET 0",
        "cases count": "SELECT count(*) FROM cases WHERE partner_id = 1",
        "cases page": "SELECT * FROM cases WHERE partner_id = 1 ORDER BY created_at DESC, id DESC LIMIT 20 OFFSET 0",
        "cases of a user": "SELECT * FROM cases WHERE partner_id = 1 AND user_id = 7 ORDER BY created_at DESC, id DESC",
        "user by email": "SELECT * FROM users WHERE partner_id = 1 AND lower(email) = 'x@example.com'",
        "case by FLOW id": "SELECT * FROM cases WHERE user_case_id = 'FLOW0000001' AND partner_id = 1",
        "status updates": "SELECT * FROM status_updates WHERE case_id = 7 ORDER BY id DESC",
    }
    conn = sqlite3.connect(db)
    try:
        return {name: [row[3] for row in conn.execute(f"EXPLAIN QUERY PLAN {sql}")] for name, sql in queries.items()}
    finally:
        conn.close()


async def measure(app: Any, paths: list[str], requests: int) -> dict[str, dict[str, float]]:
    transport = httpx.ASGITransport(app=app)
    out: dict[str, dict[str, float]] = {}
    async with httpx.AsyncClient(transport=transport, base_url="http://sandbox", headers=PARTNER) as client:
        for path in paths:
            for _ in range(20):  # warm-up: compiled validators and statements
                (await client.get(path)).raise_for_status()
            samples = []
            for _ in range(requests):
                started = time.perf_counter()
                response = await client.get(path)
                samples.append((time.perf_counter() - started) * 1000)
                response.raise_for_status()
            samples.sort()
            out[path] = {
                "p50_ms": statistics.median(samples),
                "p95_ms": samples[int(len(samples) * 0.95) - 1],
            }
    return out


async def steady_memory(app: Any, path: str, rounds: int, per_round: int) -> list[float]:
    """RSS after each round of ``per_round`` requests: a bounded process levels off."""
    transport = httpx.ASGITransport(app=app)
    readings = []
    async with httpx.AsyncClient(transport=transport, base_url="http://sandbox", headers=PARTNER) as client:
        for _ in range(rounds):
            for _ in range(per_round):
                (await client.get(path)).raise_for_status()
            gc.collect()
            readings.append(rss_mb())
    return readings


def build(db: Path) -> Any:
    from sandbox.app import create_app
    from sandbox.engine import pagination
    from sandbox.settings import SandboxSettings

    pagination.CACHED_PAGES = 0  # measure the SQL, not the page cache
    return create_app(SandboxSettings(db=str(db), background=False))


def first_case(app: Any) -> tuple[str, int]:
    from sqlalchemy import select

    from sandbox.apis.immigraflow import tables as t

    with app.runtime.db.connect() as conn:
        row = conn.execute(
            select(t.cases.c.user_case_id, t.cases.c.user_id).where(t.cases.c.partner_id == 1).limit(1)
        ).one()
    return row[0], row[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seed", type=int, default=20260101)
    parser.add_argument("--users-per-partner", type=int, default=5000)
    parser.add_argument("--cases-per-user", type=int, default=5)
    parser.add_argument("--requests", type=int, default=300, help="timed requests per path and size")
    parser.add_argument("--json", type=Path, help="also write the results as JSON here")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="bench-seed-"))
    large_db, small_db = workdir / "large.sqlite3", workdir / "small.sqlite3"

    print(
        f"seeding {2 * args.users_per_partner:,} users / {2 * args.users_per_partner * args.cases_per_user:,} cases…",
        flush=True,
    )
    seeded = seed_large(large_db, args.seed, args.users_per_partner, args.cases_per_user)
    print(
        f"  world built in {seeded['build_s']:.1f} s, loaded in {seeded['load_s']:.1f} s "
        f"({seeded['build_s'] + seeded['load_s']:.1f} s in all): {seeded['counts']}",
        flush=True,
    )

    small_app, large_app = build(small_db), build(large_db)
    results: dict[str, Any] = {}
    for label, app in (("small", small_app), ("large", large_app)):
        ref, user_id = first_case(app)
        results[label] = {"ref": ref, "user_id": user_id}
    # The same requests on both sizes; a deep page only where it exists.
    deep_page = args.users_per_partner * args.cases_per_user // 20 // 2
    paths = [
        "/v1/client/users",
        "/v1/client/users?limit=100",
        "/v1/client/cases",
        "/v1/client/cases?page=2&limit=5",
        "/v1/client/cases?active=true",
    ]
    timings = {}
    for label, app in (("small", small_app), ("large", large_app)):
        extra = [f"/v1/client/cases/{results[label]['ref']}", f"/v1/client/cases?user_id={results[label]['user_id']}"]
        timings[label] = asyncio.run(measure(app, paths + extra, args.requests))
    deep = asyncio.run(measure(large_app, [f"/v1/client/cases?page={deep_page}"], args.requests))

    print()
    print("| request | small p50 / p95 ms | large p50 / p95 ms | large/small p50 |")
    print("|---|---:|---:|---:|")
    rows = []
    small_items = list(timings["small"].items())
    large_items = list(timings["large"].items())
    for (path, small), (large_path, large) in zip(small_items, large_items, strict=True):
        name = path if path == large_path else path.rsplit("/", 1)[0] + "/{ref}" if "cases/" in path else path
        if "user_id=" in path:
            name = "/v1/client/cases?user_id={one user}"
        ratio = large["p50_ms"] / small["p50_ms"]
        rows.append({"request": name, "small": small, "large": large, "ratio": ratio})
        print(
            f"| `{name}` | {small['p50_ms']:.2f} / {small['p95_ms']:.2f} | "
            f"{large['p50_ms']:.2f} / {large['p95_ms']:.2f} | {ratio:.2f} |"
        )
    for path, large in deep.items():
        print(f"| `{path}` (deep page) | – | {large['p50_ms']:.2f} / {large['p95_ms']:.2f} | – |")

    readings = asyncio.run(steady_memory(large_app, "/v1/client/cases?limit=100", rounds=5, per_round=400))
    print()
    print("RSS after each 400 requests (MiB): " + ", ".join(f"{r:.0f}" for r in readings))
    print(f"peak RSS of the whole run (world building included): {peak_rss_mb():.0f} MiB")
    print()
    print("query plans (large database):")
    plans = query_plans(large_db)
    for name, plan in plans.items():
        print(f"  {name:<16} {' | '.join(plan)}")
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "seeding": seeded,
                    "latency": rows,
                    "deep_page": deep,
                    "rss_mb": readings,
                    "peak_rss_mb": peak_rss_mb(),
                    "plans": plans,
                },
                indent=2,
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
