// @zebbra/integrations-client: connect a provider from the browser, and the typed API (client/README.md).
export {
  completeRedirectConnect,
  connect,
  ConnectError,
  type ConfirmOptions,
  type ConnectOptions,
  type Connection,
  type Tenant,
} from "./connect";
export { type ClientOptions, createClient } from "./api";
