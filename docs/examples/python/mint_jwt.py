"""Mint the bearer JWT zebbra-integrations expects, with PyJWT (pip install pyjwt, or Debian's python3-jwt).

HS256 over the shared AUTH_JWT_SECRET; iat and exp are required and exp - iat may be at most
AUTH_JWT_MAX_TTL_S (3600 s by default); iss and aud must match AUTH_JWT_ISSUER and AUTH_JWT_AUDIENCE.
`workspaces` maps each workspace id to "admin" or "member".
"""

import os
import sys
import time

import jwt


def mint(user_id: str, workspaces: dict[str, str], secret: str, issuer: str, audience: str, ttl: int = 600) -> str:
    now = int(time.time())
    claims = {
        "sub": user_id,
        "iat": now,
        "exp": now + ttl,
        "iss": issuer,
        "aud": audience,
        "workspaces": workspaces,
    }
    return jwt.encode(claims, secret, algorithm="HS256")


if __name__ == "__main__":
    # The secret from the environment, never from the command line.
    print(mint(sys.argv[1], {sys.argv[2]: sys.argv[3]}, os.environ["AUTH_JWT_SECRET"], sys.argv[4], sys.argv[5]))
