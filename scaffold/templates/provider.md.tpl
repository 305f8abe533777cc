# {{Name}}

{{Name}} is {{article}} {{type}} provider, added with `npm run scaffold {{Name}} -- --type {{type}}`. Until its
placeholders are filled in, it works only against the test suite's fake OAuth server; the walkthrough
from here to a connection against {{Name}}'s sandbox is [adding-a-provider.md](../adding-a-provider.md).

## What to fill in

Every placeholder is marked `TODO(scaffold)`: `grep -rn "TODO(scaffold)" src/providers/{{slug}}`.

| where | what |
|---|---|
| `src/providers/{{slug}}/index.ts`, `oauth` | authorization, token, revocation and API base URLs; the scopes; `clientAuth`: `"client_secret_basic"` (HTTP Basic) or `"client_secret_post"` (id and secret in the form body); `pkce: false` only if {{Name}} rejects PKCE |
| `lookupTenants` | the endpoint listing the companies or organisations the grant covers (each the user picks becomes a connection); `proxy.tenant` where the API wants the company in a header, the query or the path |
| `getData` | the endpoint(s) with the data; `tenantId` is there for APIs that want it in the path or a header |
| `src/providers/{{slug}}/normalize.ts`, `normalize{{Name}}` | {{Name}}'s response → {{shape}} |
| `test/{{slug}}.test.ts` and `test/fake/` | the fake's generic provider answers `/me` and {{endpoint}}; serve {{Name}}'s real paths and shapes there before changing them in the provider |

Optional, as Xero and Gusto show: `keepAliveAfterMs` when refresh tokens expire while unused,
`rateLimit` when the API has per-tenant limits, `performTokenRefresh` when refreshing is more than
the standard refresh grant.

## Variables

Secrets locally in `.dev.vars`, in production with `npx wrangler secret put NAME`; the others are vars
(`wrangler.toml` `[vars]` or `.dev.vars`). The scaffold added them to `.dev.vars.example`.

| name | kind | what | default |
|---|---|---|---|
| `{{PREFIX}}_CLIENT_ID` | secret | OAuth client id from {{Name}}'s developer portal | empty: listed as not configured |
| `{{PREFIX}}_CLIENT_SECRET` | secret | OAuth client secret | empty: listed as not configured |
| `{{PREFIX}}_AUTHORIZE_URL` | var | authorization endpoint | `oauth.authorizeUrl` |
| `{{PREFIX}}_TOKEN_URL` | var | token endpoint | `oauth.tokenUrl` |
| `{{PREFIX}}_REVOKE_URL` | var | RFC 7009 revocation endpoint | `oauth.revokeUrl` |
| `{{PREFIX}}_API_BASE_URL` | var | API base URL | `oauth.apiBaseUrl` |
| `{{PREFIX}}_SCOPES` | var | space-separated scopes | `oauth.scopes` |

The tests set all of them to the fake server (`vitest.config.ts`, every provider folder but Xero's
and Gusto's).

## Redirect URI

Register this at {{Name}} as the OAuth app's redirect (callback) URI:

- locally: `http://127.0.0.1:8787/integration/{{slug}}/callback`
- deployed: `<PUBLIC_URL>/integration/{{slug}}/callback`

The host app connects it like any provider: `POST /integration/connect-sessions` with
`{ "integration": "{{Name}}" }` ([connecting.md](../connecting.md)).

## Tests

`npx vitest run --project workers test/{{slug}}.test.ts`: connect (login → consent → callback →
encrypted row), the providers listing, `GET /integration/data` through the adapter against the fake,
and a malformed response.
