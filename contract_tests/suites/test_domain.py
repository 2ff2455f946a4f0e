"""Layer 3b: the domain's business rules, checked on objects the run creates.

A created object is readable and listed (also in the backoffice); PUT is idempotent and applied;
DELETE deletes (then 404, gone from lists); pagination walks add up; numeric and FLOW references
name the same case; a user's cases never show another user's.
"""

from __future__ import annotations

from typing import Any

import pytest

from contract_tests.api import ApiClient, expect, walk_pages
from contract_tests.checks.failures import (
    CaseRefMismatch,
    DeleteNotApplied,
    MissingFromList,
    NonIdempotentPut,
    PaginationMismatch,
    UpdateNotApplied,
    WrongResource,
    WrongStatus,
)
from contract_tests.checks.invariants import identity_problem
from contract_tests.checks.pagination import pagination_problems
from contract_tests.context import RunContext
from contract_tests.identities import BearerUser

pytestmark = pytest.mark.contract_stateful

#: Fields a server may change on every write; idempotency ignores them.
VOLATILE = {"updated_at", "last_checked"}


@pytest.fixture
def run(contract_run: RunContext) -> RunContext:
    if not contract_run.writes:
        pytest.skip("read-only mode: this rule needs objects the run creates")
    return contract_run


@pytest.fixture
def bearer_user(run: RunContext) -> BearerUser:
    if not run.target.controls:
        pytest.skip(
            "the target has no sandbox outbox to log a user in (give --bearer-token for a real deployment)"
        )
    return run.login_new_user(run.partner, tag="domain")


def find_in_list(
    client: ApiClient, path: str, key: str, wanted: Any, *, field: str = "id", **params: Any
) -> bool:
    for _, body in walk_pages(client, path, key, limit=100, params=params, max_pages=50):
        if any(item.get(field) == wanted for item in body.get(key, [])):
            return True
    return False


def stable(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {key: stable(value) for key, value in obj.items() if key not in VOLATILE}
    if isinstance(obj, list):
        return [stable(item) for item in obj]
    return obj


def same_object(operation: str, expected: dict[str, Any], got: Any, response: Any, what: str) -> None:
    problem = identity_problem(expected.get("id"), got)
    if problem:
        raise WrongResource(
            operation=operation, message=f"{what}: {problem}", exchange=response.contract_exchange
        )


# Created objects are readable and listed
@pytest.mark.parametrize("path", ["/v1/users", "/v1/client/users"], ids=["createUser", "createClientUser"])
def test_created_user_is_readable_and_listed(run: RunContext, path: str) -> None:
    client = run.client()
    body = {
        "email": run.marker.email("listed"),
        "name": run.marker.label("Listed User"),
        "preferred_language": "pt",
    }
    created = expect(client.post(path, json=body), 201, operation=f"POST {path}")["user"]
    assert created["email"] == body["email"] and created["status"] == "pending_verification", created
    for read in (f"/v1/users/{created['id']}", f"/v1/client/users/{created['id']}"):
        response = client.get(read)
        same_object(
            f"GET {read}",
            created,
            expect(response, 200, operation=f"GET {read}").get("user"),
            response,
            "read back",
        )
    if not find_in_list(client, "/v1/users", "users", created["id"]):
        raise MissingFromList(operation="listUsers", message=f"user {created['id']} is not in GET /v1/users")
    if not find_in_list(client, "/v1/client/users", "users", created["id"], q=body["email"]):
        raise MissingFromList(
            operation="listClientUsers",
            message=f"user {created['id']} is not in GET /v1/client/users?q={body['email']}",
        )


@pytest.mark.parametrize("backoffice", [False, True], ids=["createCase", "createClientUserCase"])
def test_created_case_is_readable_and_listed(run: RunContext, backoffice: bool) -> None:
    client = run.client()
    user = run.new_user(tag="cases")
    path = f"/v1/client/users/{user.id}/cases" if backoffice else f"/v1/users/{user.id}/cases"
    body = {"receipt_number": run.receipt(), "description": run.marker.label("listed case", 500)}
    data = expect(client.post(path, json=body), 201, operation=f"POST {path}")
    case = data["case"]
    assert case["receipt_number"] == body["receipt_number"], case
    by_id = client.get(f"/v1/users/{user.id}/cases/{case['id']}")
    by_ref = client.get(f"/v1/users/{user.id}/cases/{case['user_case_id']}")
    first = expect(by_id, 200, operation="getCase")
    second = expect(by_ref, 200, operation="getCase")
    same_object("getCase", case, first.get("case"), by_id, "by numeric id")
    if stable(first) != stable(second):
        raise CaseRefMismatch(
            operation="getCase",
            message=f"GET …/cases/{case['id']} and …/cases/{case['user_case_id']} answer different bodies",
            exchange=by_ref.contract_exchange,
        )
    if not find_in_list(client, f"/v1/users/{user.id}/cases", "cases", case["id"]):
        raise MissingFromList(
            operation="listUserCases", message=f"case {case['id']} is not in its user's cases"
        )
    if not find_in_list(client, "/v1/client/cases", "cases", case["id"], user_id=user.id):
        raise MissingFromList(
            operation="listClientCases", message=f"case {case['id']} is not in the backoffice list"
        )
    backoffice_case = client.get(f"/v1/client/cases/{case['user_case_id']}")
    detail = expect(backoffice_case, 200, operation="getClientCase")
    same_object("getClientCase", case, detail.get("case"), backoffice_case, "backoffice read")
    if (detail["case"].get("user") or {}).get("id") != user.id:
        raise WrongResource(
            operation="getClientCase",
            message=f"case.user is {detail['case'].get('user')}, expected user {user.id}",
            exchange=backoffice_case.contract_exchange,
        )


def test_created_webhook_is_readable_and_listed(run: RunContext) -> None:
    client = run.client()
    webhook, secret = run.new_webhook(events=["case.created", "user.created"])
    assert secret.startswith("whsec_"), f"signing_secret {secret!r} lacks the whsec_ prefix"
    response = client.get(f"/v1/webhooks/{webhook.id}")
    body = expect(response, 200, operation="getWebhook")
    same_object("getWebhook", webhook.data, body.get("webhook"), response, "read back")
    assert secret not in response.text, "the signing secret is returned again after creation"
    if not find_in_list(client, "/v1/webhooks", "webhooks", webhook.id):
        raise MissingFromList(
            operation="listWebhooks", message=f"webhook {webhook.id} is not in GET /v1/webhooks"
        )


# PUT replaces what it is given, and repeating it changes nothing
def _put_twice(client: ApiClient, path: str, body: dict[str, Any], key: str, operation: str) -> None:
    first = client.put(path, json=body)
    one = expect(first, 200, operation=operation)[key]
    applied = {name: (value, one.get(name)) for name, value in body.items() if one.get(name) != value}
    if applied:
        raise UpdateNotApplied(
            operation=operation, message=f"sent vs answered: {applied}", exchange=first.contract_exchange
        )
    second = client.put(path, json=body)
    two = expect(second, 200, operation=operation)[key]
    read = client.get(path)
    three = expect(read, 200, operation=f"GET {path}")[key]
    if stable(one) != stable(two) or stable(two) != stable(three):
        raise NonIdempotentPut(
            operation=operation,
            message=f"first PUT: {stable(one)}\nsecond PUT: {stable(two)}\nread after: {stable(three)}",
            exchange=second.contract_exchange,
        )


@pytest.mark.parametrize(
    "path", ["/v1/users/{id}", "/v1/client/users/{id}"], ids=["updateUser", "updateClientUser"]
)
def test_user_put_is_idempotent(run: RunContext, path: str) -> None:
    user = run.new_user(tag="put")
    body = {"name": run.marker.label("Renamed"), "preferred_language": "es", "notify_by_whatsapp": False}
    _put_twice(run.client(), path.format(id=user.id), body, "user", path)


def test_user_put_with_bearer_is_idempotent(run: RunContext, bearer_user: BearerUser) -> None:
    body = {"name": run.marker.label("Self Renamed"), "preferred_language": "en"}
    _put_twice(run.as_bearer(bearer_user), f"/v1/users/{bearer_user.user_id}", body, "user", "updateUser")


def test_case_put_is_idempotent(run: RunContext) -> None:
    user = run.new_user(tag="put")
    case = run.new_case(user.id)
    body = {"description": run.marker.label("paused", 500), "active": False}
    _put_twice(run.client(), f"/v1/users/{user.id}/cases/{case.id}", body, "case", "updateCase")


def test_webhook_put_is_idempotent(run: RunContext) -> None:
    webhook, _ = run.new_webhook()
    body = {
        "events": ["case.status_changed", "case.deleted"],
        "active": False,
        "description": run.marker.label("paused", 200),
    }
    _put_twice(run.client(), f"/v1/webhooks/{webhook.id}", body, "webhook", "updateWebhook")


# DELETE deletes: 204, then 404, and gone from lists
def _deleted(client: ApiClient, reads: list[str], operation: str) -> None:
    for path in reads:
        response = client.get(path)
        if response.status_code != 404:
            raise DeleteNotApplied(
                operation=operation,
                message=f"after a 204, GET {path} answered {response.status_code}, expected 404",
                exchange=response.contract_exchange,
            )


def test_delete_user_deletes(run: RunContext) -> None:
    client = run.client()
    user = run.new_user(tag="delete")
    case = run.new_case(user.id)
    path = f"/v1/client/users/{user.id}"
    expect(client.delete(path), 204, operation="deleteClientUser")
    _deleted(client, [path, f"/v1/users/{user.id}", f"/v1/client/cases/{case.ref}"], "deleteClientUser")
    again = client.delete(path)
    if again.status_code != 404:
        raise DeleteNotApplied(
            operation="deleteClientUser",
            message=f"a second DELETE answered {again.status_code}",
            exchange=again.contract_exchange,
        )
    if find_in_list(client, "/v1/client/users", "users", user.id, q=user.data["email"]):
        raise DeleteNotApplied(operation="deleteClientUser", message=f"user {user.id} is still listed")
    # A deleted id stays deleted: handing it to a new user would show that user to stale references.
    successor = run.new_user(tag="successor")
    _deleted(client, [path], "deleteClientUser (then createClientUser)")
    assert successor.id != user.id


def test_self_service_delete_deletes(run: RunContext, bearer_user: BearerUser) -> None:
    response = run.as_bearer(bearer_user).delete(f"/v1/users/{bearer_user.user_id}")
    expect(response, 204, operation="deleteUser")
    _deleted(run.client(), [f"/v1/users/{bearer_user.user_id}"], "deleteUser")
    after = run.as_bearer(bearer_user).get(f"/v1/users/{bearer_user.user_id}")
    if after.status_code not in (401, 404):
        raise DeleteNotApplied(
            operation="deleteUser",
            message=f"the deleted user's token still answers {after.status_code}",
            exchange=after.contract_exchange,
        )


def test_delete_case_deletes(run: RunContext) -> None:
    client = run.client()
    user = run.new_user(tag="delete")
    case = run.new_case(user.id)
    path = f"/v1/users/{user.id}/cases/{case.id}"
    expect(client.delete(path), 204, operation="deleteCase")
    _deleted(
        client, [path, f"/v1/users/{user.id}/cases/{case.ref}", f"/v1/client/cases/{case.ref}"], "deleteCase"
    )
    again = client.delete(path)
    if again.status_code != 404:
        raise DeleteNotApplied(
            operation="deleteCase",
            message=f"a second DELETE answered {again.status_code}",
            exchange=again.contract_exchange,
        )
    if find_in_list(client, f"/v1/users/{user.id}/cases", "cases", case.id):
        raise DeleteNotApplied(operation="deleteCase", message=f"case {case.id} is still in its user's cases")


def test_delete_webhook_deletes(run: RunContext) -> None:
    client = run.client()
    webhook, _ = run.new_webhook()
    path = f"/v1/webhooks/{webhook.id}"
    expect(client.delete(path), 204, operation="deleteWebhook")
    _deleted(client, [path], "deleteWebhook")
    if find_in_list(client, "/v1/webhooks", "webhooks", webhook.id):
        raise DeleteNotApplied(operation="deleteWebhook", message=f"webhook {webhook.id} is still listed")
    run.new_webhook()
    _deleted(client, [path], "deleteWebhook (then createWebhook)")


# Pagination: walking every page gives every item once, and the totals agree
def _walk_and_check(client: ApiClient, path: str, key: str, limit: int, operation: str, **params: Any) -> int:
    pages = walk_pages(client, path, key, limit=limit, params=params)
    seen: list[Any] = []
    total = pages[0][1]["pagination"]["total"]
    for number, (response, body) in enumerate(pages, 1):
        problems = pagination_problems(body["pagination"], len(body[key]), number, limit)
        if body["pagination"]["total"] != total:
            problems.append(f"total changed from {total} to {body['pagination']['total']} while walking")
        if problems:
            raise PaginationMismatch(
                operation=operation, message="; ".join(problems), exchange=response.contract_exchange
            )
        seen += [item.get("id") for item in body[key]]
    duplicates = sorted({item for item in seen if seen.count(item) > 1}, key=str)
    if duplicates or len(seen) != total:
        raise PaginationMismatch(
            operation=operation,
            message=f"walked {len(pages)} pages of {limit}: {len(seen)} items for total {total}; "
            f"duplicates: {duplicates[:10]}",
            exchange=pages[-1][0].contract_exchange,
        )
    beyond = client.get(path, params={**params, "page": len(pages) + 1, "limit": limit})
    body = expect(beyond, 200, operation=operation)
    if body[key] or body["pagination"]["has_more"]:
        raise PaginationMismatch(
            operation=operation,
            message=f"page {len(pages) + 1} (past the end) is not empty",
            exchange=beyond.contract_exchange,
        )
    return total


LISTS = [
    ("listUsers", "/v1/users", "users", {}),
    ("listClientUsers", "/v1/client/users", "users", {}),
    ("listClientCases", "/v1/client/cases", "cases", {}),
    ("listWebhooks", "/v1/webhooks", "webhooks", {}),
]


@pytest.mark.parametrize(("operation", "path", "key", "params"), LISTS, ids=[item[0] for item in LISTS])
def test_pagination_walk_adds_up(
    contract_run: RunContext, operation: str, path: str, key: str, params: dict[str, Any]
) -> None:
    run = contract_run
    if operation == "listWebhooks" and run.writes:
        for _ in range(3):
            run.new_webhook()
    total = _walk_and_check(run.client(), path, key, 100, operation, **params)
    limit = max(1, min(100, (total + 4) // 5))  # about five pages
    _walk_and_check(run.client(), path, key, limit, operation, **params)


def test_user_cases_pagination_walk_adds_up(run: RunContext) -> None:
    user = run.new_user(tag="pages")
    for _ in range(5):
        run.new_case(user.id)
    assert _walk_and_check(run.client(), f"/v1/users/{user.id}/cases", "cases", 2, "listUserCases") == 5


# Numeric and FLOW references name the same case
def test_numeric_and_flow_refs_agree(contract_run: RunContext) -> None:
    client = contract_run.client()
    listing = expect(client.get("/v1/client/cases", params={"limit": 5}), 200, operation="listClientCases")
    if not listing["cases"]:
        if not contract_run.writes:
            pytest.skip("read-only mode and the partner has no case to read")
        user = contract_run.new_user(tag="refs")
        contract_run.new_case(user.id)
        listing = expect(
            client.get("/v1/client/cases", params={"limit": 5}), 200, operation="listClientCases"
        )
    for case in listing["cases"][:3]:
        pair = [client.get(f"/v1/client/cases/{ref}") for ref in (case["id"], case["user_case_id"])]
        user_id = case["user"]["id"]
        pair += [client.get(f"/v1/users/{user_id}/cases/{ref}") for ref in (case["id"], case["user_case_id"])]
        bodies = [expect(response, 200, operation="getCase") for response in pair]
        if stable(bodies[0]) != stable(bodies[1]) or stable(bodies[2]) != stable(bodies[3]):
            raise CaseRefMismatch(
                operation="getClientCase/getCase",
                message=f"case {case['id']} and {case['user_case_id']} answer different bodies",
                exchange=pair[1].contract_exchange,
            )
        same_object("getClientCase", case, bodies[0].get("case"), pair[0], "by numeric id")


# A user's cases never show another user's
def test_user_cases_stay_with_their_user(run: RunContext) -> None:
    client = run.client()
    alice, bob = run.new_user(tag="alice"), run.new_user(tag="bob")
    alice_case, bob_case = run.new_case(alice.id), run.new_case(bob.id)
    listing = expect(
        client.get(f"/v1/users/{alice.id}/cases", params={"limit": 100}), 200, operation="listUserCases"
    )
    foreign = [
        c for c in listing["cases"] if c.get("id") == bob_case.id or c.get("user_case_id") == bob_case.ref
    ]
    if foreign or not any(c.get("id") == alice_case.id for c in listing["cases"]):
        raise WrongResource(operation="listUserCases", message=f"user {alice.id}'s cases: {listing['cases']}")
    for method, ref in (
        ("GET", bob_case.id),
        ("GET", bob_case.ref),
        ("PUT", bob_case.id),
        ("DELETE", bob_case.ref),
    ):
        body = {"description": run.marker.label("not yours", 500)} if method == "PUT" else None
        response = client.request(method, f"/v1/users/{alice.id}/cases/{ref}", json=body)
        if response.status_code != 404:
            raise WrongStatus(
                operation=f"{method} /v1/users/{{user_id}}/cases/{{case_ref}}",
                message=f"user {alice.id} + user {bob.id}'s case {ref}: {response.status_code}, expected 404",
                exchange=response.contract_exchange,
            )
    expect(client.get(f"/v1/users/{bob.id}/cases/{bob_case.id}"), 200, operation="getCase")
