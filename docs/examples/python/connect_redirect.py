"""A connect for a server-rendered host app, standard library only: no popup, no JavaScript.

1. The app's backend creates a connect session with `return_to` (a URL on one of APP_ORIGIN's
   origins) and redirects the browser to its `url`.
2. The user consents at the provider; the worker sends the browser back to `return_to` (303) with
   `integration` and either `confirm_token` or `error` in the query.
3. The backend confirms with the same user's JWT. A grant covering several companies answers 409
   `tenant_choice_required` listing them: show a choice, then confirm again with `tenant_ids`.
"""

import json
import urllib.error
import urllib.request

WORKER = "https://integrations.example.com"


def _post(path: str, jwt: str, body: dict) -> tuple[int, dict]:
    request = urllib.request.Request(
        WORKER + path,
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {jwt}", "Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as err:
        return err.code, json.load(err)


def start_connect(jwt: str, workspace_id: str, integration: str, return_to: str) -> str:
    """The URL to redirect the browser to (step 1)."""
    status, body = _post(
        "/integration/connect-sessions",
        jwt,
        {"workspace_id": workspace_id, "integration": integration, "return_to": return_to},
    )
    if status != 201:
        raise RuntimeError(body["error"]["code"])
    return body["url"]


def finish_connect(jwt: str, workspace_id: str, query: dict[str, str], tenant_ids: list[str] | None = None) -> dict:
    """Step 3, from the query the browser came back with; returns the confirm's answer."""
    if "error" in query:
        # The provider's or this service's code, [a-z_]{1,64}: e.g. access_denied when the user declined.
        return {"error": query["error"]}
    body = {"workspace_id": workspace_id, "integration": query["integration"], "confirm_token": query["confirm_token"]}
    if tenant_ids:
        body["tenant_ids"] = tenant_ids
    status, answer = _post("/integration/connections/confirm", jwt, body)
    if status == 409 and answer["error"]["code"] == "tenant_choice_required":
        return {"choose": answer["tenants"]}  # ask the user, then call again with tenant_ids
    if status != 200:
        return {"error": answer["error"]["code"]}
    return {"connections": answer["connections"]}
