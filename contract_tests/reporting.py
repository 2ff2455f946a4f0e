"""The readable report: outcome per layer, each failure with its rule, a curl and the response,
and a coverage table of operations × documented status codes actually observed."""

from __future__ import annotations

import contextlib
import json
import shlex
from collections import Counter, defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from contract_tests.config import ContractSettings, Layer

if TYPE_CHECKING:
    from contract_tests.context import RunContext
    from contract_tests.pytest_plugin import FailureRecord, Outcome
    from contract_tests.transport import Exchange

EXCERPT = 1500
_SKIPPED_HEADERS = {"accept-encoding", "connection", "user-agent", "content-length", "accept"}


def curl(exchange: Exchange, settings: ContractSettings | None = None, *, mask: bool = True) -> str:
    """The request as a curl command; secrets become environment variables unless ``mask`` is off."""
    secrets = {}
    if settings is not None and mask:
        if settings.partner:
            secrets[settings.partner.api_secret] = "$IMMIGRAFLOW_CONTRACT_API_SECRET"
        if settings.second_partner:
            secrets[settings.second_partner.api_secret] = "$IMMIGRAFLOW_CONTRACT_SECOND_PARTNER_SECRET"
    parts = ["curl", "-i", "-X", exchange.method, shlex.quote(exchange.url)]
    for name, value in exchange.request_headers.items():
        if name.lower() in _SKIPPED_HEADERS:
            continue
        if value in secrets:
            parts += ["-H", f'"{name}: {secrets[value]}"']
        elif mask and name.lower() == "authorization" and value.lower().startswith("bearer "):
            parts += ["-H", '"Authorization: Bearer $IMMIGRAFLOW_CONTRACT_BEARER_TOKEN"']
        else:
            parts += ["-H", shlex.quote(f"{name}: {value}")]
    if exchange.request_body:
        text = exchange.request_body.decode("utf-8", errors="replace")
        parts += ["--data-binary", shlex.quote(text[:EXCERPT])]
    return " ".join(parts)


def response_excerpt(exchange: Exchange) -> str:
    headers = "\n".join(f"{name}: {value}" for name, value in exchange.response_headers.items())
    body = exchange.response_body.decode("utf-8", errors="replace")
    if "json" in exchange.content_type:
        with contextlib.suppress(ValueError):
            body = json.dumps(json.loads(body), indent=2, ensure_ascii=False)
    if len(body) > EXCERPT:
        body = body[:EXCERPT] + f"\n… ({len(exchange.response_body)} bytes)"
    return f"HTTP {exchange.status}\n{headers}\n\n{body}"


def coverage_rows(run: RunContext) -> list[tuple[str, str, list[tuple[str, int]], list[int]]]:
    """(operationId, label, [(documented status, times seen)], [undocumented statuses seen])."""
    seen: dict[str, Counter[int]] = defaultdict(Counter)
    for (operation_id, status), count in run.recorder.coverage.items():
        seen[operation_id][status] += count
    rows = []
    for operation in run.index.operations.values():
        counts = seen.get(operation.operation_id, Counter())
        documented = [
            (status, counts.get(int(status), 0)) for status in operation.statuses if status.isdigit()
        ]
        extra = sorted(status for status in counts if str(status) not in operation.statuses)
        rows.append((operation.operation_id, operation.label, documented, extra))
    return rows


def summary_lines(run: RunContext, outcomes: list[Outcome], failures: list[FailureRecord]) -> list[str]:
    settings = run.settings
    counts = Counter(outcome.outcome for outcome in outcomes)
    rows = coverage_rows(run)
    documented = sum(len(row[2]) for row in rows)
    observed = sum(1 for row in rows for _, count in row[2] if count)
    lines = [
        f"target: {run.target.description}   profile: {settings.profile.value}   seed: {settings.seed}   "
        f"run id: {settings.run_id}",
        f"tests: {counts.get('passed', 0)} passed, {counts.get('failed', 0)} failed, "
        f"{counts.get('error', 0)} errors, {counts.get('skipped', 0)} skipped   "
        f"requests: {len(run.recorder.exchanges)}   "
        f"documented statuses observed: {observed}/{documented}",
    ]
    if run.cleanup_result is not None:
        result = run.cleanup_result
        lines.append(
            f"cleanup: {len(result.deleted)} objects deleted, {len(result.failed)} could not be deleted"
        )
        lines.extend(f"  NOT DELETED: {item}" for item in result.failed)
    if failures:
        rules = Counter(failure.rule for failure in failures)
        lines.append("broken rules: " + ", ".join(f"{rule} ×{n}" for rule, n in rules.most_common()))
    if not settings.seed_given:
        lines.append(f"reproduce with --seed {settings.seed}")
    return lines


def render(
    settings: ContractSettings,
    run: RunContext | None,
    outcomes: list[Outcome],
    failures: list[FailureRecord],
    *,
    duration: float,
    exitstatus: int,
) -> str:
    verdict = "PASSED" if exitstatus == 0 else "FAILED"
    out = [
        f"# ImmigraFlow contract report: {verdict}",
        "",
        "| | |",
        "|---|---|",
        f"| target | {run.target.description if run else settings.base_url or 'local sandbox'} |",
        f"| spec | `{settings.spec_path}` |",
        f"| profile | {settings.profile.value} |",
        f"| seed | {settings.seed} (`--seed {settings.seed}` reproduces the generated data) |",
        f"| run id | `{settings.run_id}` (marker of everything the run created) |",
        f"| read-only | {'yes' if settings.read_only else 'no'} |",
        f"| rate limit | {f'{settings.rate_limit:g}/s' if settings.rate_limit else 'none'} |",
        f"| duration | {duration:.1f} s |",
        f"| requests sent | {len(run.recorder.exchanges) if run else 0} |",
        f"| finished | {datetime.now(UTC).strftime('%Y-%m-%dT%H:%M:%SZ')} |",
        "",
        "## Layers",
        "",
        "| layer | passed | failed | errors | skipped |",
        "|---|---:|---:|---:|---:|",
    ]
    by_layer: dict[str, Counter[str]] = defaultdict(Counter)
    for outcome in outcomes:
        by_layer[outcome.layer or "?"][outcome.outcome] += 1
    for layer in Layer:
        c = by_layer.get(layer.value)
        if c is None:
            out.append(f"| {layer.value} | – | – | – | not run |")
            continue
        out.append(f"| {layer.value} | {c['passed']} | {c['failed']} | {c['error']} | {c['skipped']} |")
    out += ["", f"## Failures ({len(failures)})", ""]
    if not failures:
        out.append("None.")
    mask = not (run is not None and run.target.local is not None)
    for number, failure in enumerate(failures, 1):
        out += [
            f"### {number}. {failure.rule}: {failure.title}",
            "",
            f"- test: `{failure.nodeid}`",
            f"- layer: {failure.layer}" + (f"; severity: {failure.severity}" if failure.severity else ""),
            "",
            "```text",
            failure.message.strip()[:4000],
            "```",
        ]
        if failure.exchange is not None:
            out += [
                "",
                "Reproduce:",
                "",
                "```sh",
                curl(failure.exchange, settings, mask=mask),
                "```",
                "",
                "Response:",
                "",
                "```http",
                response_excerpt(failure.exchange),
                "```",
            ]
        out.append("")
    skipped = [outcome for outcome in outcomes if outcome.outcome == "skipped"]
    if skipped:
        out += ["## Skipped (capabilities the target or the options lack)", ""]
        reasons = Counter(outcome.reason for outcome in skipped)
        out += [f"- {reason} ({n} test{'s' if n > 1 else ''})" for reason, n in reasons.most_common()]
        out.append("")
    if run is not None:
        out += coverage_table(run)
        if run.cleanup_result is not None:
            result = run.cleanup_result
            out += ["", "## Cleanup", "", f"Deleted {len(result.deleted)} objects created by the run."]
            out += [f"- NOT deleted: {item}" for item in result.failed]
            out += [f"- {note}" for note in result.notes]
    return "\n".join(out) + "\n"


def coverage_table(run: RunContext) -> list[str]:
    rows = coverage_rows(run)
    documented = sum(len(row[2]) for row in rows)
    observed = sum(1 for row in rows for _, count in row[2] if count)
    out = [
        "## Coverage: documented status codes observed",
        "",
        f"{observed} of {documented} documented (operation, status) pairs were observed. "
        "`✓n`: seen n times, `·`: never seen; undocumented statuses seen are listed last.",
        "",
        "| operation | | documented statuses | undocumented seen |",
        "|---|---|---|---|",
    ]
    for operation_id, label, statuses, extra in rows:
        cells = " ".join(f"{status}{f' ✓{count}' if count else ' ·'}" for status, count in statuses)
        out.append(f"| {operation_id} | `{label}` | {cells} | {', '.join(map(str, extra)) or ''} |")
    return out


def write_report(
    path: Path,
    settings: ContractSettings,
    run: RunContext | None,
    outcomes: list[Outcome],
    failures: list[FailureRecord],
    *,
    duration: float,
    exitstatus: int,
) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        render(settings, run, outcomes, failures, duration=duration, exitstatus=exitstatus), "utf-8"
    )


def write_log(path: Path, exchanges: list[Exchange]) -> None:
    """Every exchange as one JSON object per line (bodies as text, truncated like the recorder's)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as file:
        for exchange in exchanges:
            record = {
                "id": exchange.id,
                "test": exchange.test,
                "operation_id": exchange.operation_id,
                "method": exchange.method,
                "url": exchange.url,
                "request_headers": exchange.request_headers,
                "request_body": (exchange.request_body or b"").decode("utf-8", errors="replace"),
                "status": exchange.status,
                "response_headers": exchange.response_headers,
                "response_body": exchange.response_body.decode("utf-8", errors="replace"),
                "elapsed_ms": round(exchange.elapsed_ms, 2),
                "at": round(exchange.at, 4),
            }
            file.write(json.dumps(record, ensure_ascii=False) + "\n")
