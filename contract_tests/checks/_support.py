"""Small guards and lookups shared by the checks."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from contract_tests.spec import SpecIndex

if TYPE_CHECKING:
    from schemathesis import Case, Response

    from contract_tests.transport import Exchange

_INDEXES: dict[int, tuple[Any, SpecIndex]] = {}


def spec_index(case: Case) -> SpecIndex:
    """The index of the schema ``case`` was generated from (built once per raw schema)."""
    raw = case.operation.schema.raw_schema
    entry = _INDEXES.get(id(raw))
    if entry is None or entry[0] is not raw:
        entry = _INDEXES[id(raw)] = (raw, SpecIndex(raw))
    return entry[1]


def operation_id(case: Case) -> str:
    return str(case.operation.definition.raw.get("operationId", case.operation.label))


def json_body(response: Response) -> Any:
    """The decoded JSON body, or ``None`` when the response is not JSON."""
    content_type = ",".join(response.headers.get("content-type", []))
    if "json" not in content_type.lower() or not response.content:
        return None
    try:
        return json.loads(response.content)
    except ValueError:
        return None


def header(response: Response, name: str) -> str | None:
    values = response.headers.get(name.lower())
    return values[0] if values else None


def sent_query(response: Response) -> dict[str, str]:
    """The query parameters actually sent (first value of each)."""
    query = parse_qs(urlsplit(str(response.request.url)).query, keep_blank_values=True)
    return {name: values[0] for name, values in query.items()}


def exchange_of(response: Response) -> Exchange | None:
    """The recorded exchange behind ``response`` (when it went through the suite's session)."""
    from contract_tests import context

    run = context.current()
    if run is None:
        return None
    for exchange in reversed(run.recorder.exchanges[-50:]):
        if exchange.url == str(response.request.url) and exchange.status == response.status_code:
            return exchange
    return None
