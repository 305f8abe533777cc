// For tsconfig.tools.json only: Node tools import provider code whose settings helpers name the
// worker's generated `Env` (worker-configuration.d.ts, which brings workerd's globals and so
// cannot join a Node program). The tools never read bindings; any binding shape type-checks.
interface Env {
  readonly [binding: string]: unknown;
}
