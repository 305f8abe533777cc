# {{Name}} ({{type}}, scaffolded; docs/providers/{{slug}}.md). Redirect URI to register at {{Name}}:
# http://127.0.0.1:8787/integration/{{slug}}/callback
{{PREFIX}}_CLIENT_ID=
{{PREFIX}}_CLIENT_SECRET=
# Its sandbox's endpoints, or any that differ from the defaults in src/providers/{{slug}}/index.ts:
# {{PREFIX}}_AUTHORIZE_URL=
# {{PREFIX}}_TOKEN_URL=
# {{PREFIX}}_REVOKE_URL=
# {{PREFIX}}_API_BASE_URL=
# {{PREFIX}}_SCOPES=
