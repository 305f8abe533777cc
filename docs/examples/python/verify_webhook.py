"""Verify a zebbra-integrations webhook with the Python standard library only (Standard Webhooks spec).

The signed content is "{webhook-id}.{webhook-timestamp}.{raw body}"; each signature in the
space-separated `webhook-signature` header is "v1," + base64(HMAC-SHA256(key, content)), the key being
the base64 part of the "whsec_..." secret, decoded. Accept when any signature matches (a rotation
signs with several keys) and the timestamp is within five minutes. Use the raw body bytes, before any
JSON parsing.
"""

import base64
import hashlib
import hmac
import json
import os
import sys
import time

TOLERANCE_SECONDS = 5 * 60


class InvalidWebhook(Exception):
    pass


def verify(secrets: list[str], headers: dict[str, str], body: bytes, now: float | None = None) -> dict:
    """The event (type, timestamp, data) when genuine; raises InvalidWebhook otherwise."""
    h = {k.lower(): v for k, v in headers.items()}
    msg_id, stamp, signatures = h.get("webhook-id"), h.get("webhook-timestamp"), h.get("webhook-signature")
    if not msg_id or not stamp or not signatures:
        raise InvalidWebhook("missing webhook headers")
    try:
        sent = int(stamp)
    except ValueError as err:
        raise InvalidWebhook("bad timestamp") from err
    if abs((now if now is not None else time.time()) - sent) > TOLERANCE_SECONDS:
        raise InvalidWebhook("timestamp outside the tolerance")
    content = f"{msg_id}.{stamp}.".encode() + body
    for secret in secrets:
        key = base64.b64decode(secret.removeprefix("whsec_"))
        expected = base64.b64encode(hmac.new(key, content, hashlib.sha256).digest()).decode()
        for candidate in signatures.split(" "):
            version, _, signature = candidate.partition(",")
            if version == "v1" and hmac.compare_digest(signature, expected):
                return json.loads(body)
    raise InvalidWebhook("no signature matches")


if __name__ == "__main__":
    # Reads {"headers": {...}, "body": "<raw body>"} on stdin; the secret comes from the environment.
    request = json.load(sys.stdin)
    try:
        event = verify([os.environ["WEBHOOK_SECRET"]], request["headers"], request["body"].encode())
    except InvalidWebhook as err:
        print(f"rejected: {err}")
        sys.exit(1)
    print(f"{event['type']} {event['data']['workspace_id']} {event['data']['integration']}")
