// The console's browser script, inlined under the page's CSP nonce. It plays the host app: it calls
// the API with the demo user's JWT (CONFIG, set by the page), connects through the popup exactly as
// docs/connecting.md says (letting the person choose when a grant covers several companies), shows
// one row per connection, and fires wrangler dev's local cron trigger. Plain ES2017, no framework.
import { CONSOLE_DATA_SCRIPT } from "./script-data";

export const CONSOLE_SCRIPT = String.raw`
(function () {
  "use strict";
  var WS = CONFIG.workspaceId;
  var CRON = "0 * * * *";
  var state = { providers: [], status: [], popup: null, pending: null, data: null, choice: null, loads: 0 };

  function $(id) { return document.getElementById(id); }
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") node.textContent = attrs[k];
      else if (k === "onclick") node.addEventListener("click", attrs[k]);
      else node.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (c) { node.appendChild(typeof c === "string" ? document.createTextNode(c) : c); });
    return node;
  }
  function svg(tag, attrs) {
    var node = document.createElementNS("http://www.w3.org/2000/svg", tag);
    Object.keys(attrs).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    return node;
  }
  function pill(text, kind, testid) {
    var attrs = { class: "pill" + (kind ? " " + kind : ""), text: text };
    if (testid) attrs["data-testid"] = testid;
    return el("span", attrs);
  }
  function when(iso) { return iso ? new Date(iso).toLocaleString([], { dateStyle: "short", timeStyle: "medium" }) : "—"; }
  /** A connection's id in test ids and the data list: the provider, and its tenant when it has one. */
  function cid(name, tenantId) { return tenantId ? name + "-" + tenantId : name; }
  /** The query of a per-connection call: tenant_id only for a connection that has one. */
  function connQuery(name, tenantId, extra) {
    var params = { workspace_id: WS, integration: name };
    if (tenantId) params.tenant_id = tenantId;
    Object.keys(extra || {}).forEach(function (k) { params[k] = extra[k]; });
    return q(params);
  }
  function sameConn(s, name, tenantId) { return s.integration === name && (s.tenant_id || null) === (tenantId || null); }
  /** Every connection of a provider with data routes, as { p, k } pairs in listing order. */
  function dataConnections() {
    var out = [];
    state.providers.forEach(function (p) {
      if (!p.api_type) return;
      (p.connections || []).forEach(function (k) { out.push({ p: p, k: k }); });
    });
    return out;
  }
  function sleep(ms) { return new Promise(function (r) { setTimeout(r, ms); }); }

  function say(text, isError) {
    var box = $("message");
    box.textContent = text;
    box.className = "message" + (isError ? " error" : "");
    box.hidden = !text;
  }

  /** Calls the API with the demo user's JWT; throws an Error carrying the API's error message, status and body. */
  function api(method, path, body) {
    var init = { method: method, headers: { Authorization: "Bearer " + CONFIG.jwt } };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    return fetch(path, init).then(function (res) {
      return res.text().then(function (text) {
        var json = null;
        try { json = text ? JSON.parse(text) : null; } catch (e) { json = null; }
        if (!res.ok) {
          var text = json && json.error ? json.error.message + " (" + json.error.code + ")" : "HTTP " + res.status;
          var err = new Error(method + " " + path.split("?")[0] + ": " + text);
          err.status = res.status;
          err.body = json;
          throw err;
        }
        return json;
      });
    });
  }
  function q(params) {
    return Object.keys(params).map(function (k) { return k + "=" + encodeURIComponent(params[k]); }).join("&");
  }

  /** The last 24 months: from the first day of the month 23 months ago. */
  function fromDate() {
    var now = new Date();
    var d = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 23, 1));
    return d.toISOString().slice(0, 10);
  }

  // ---- providers ----
  function statusPill(p) {
    var id = "provider-status-" + p.name;
    var conns = p.connections || [];
    if (!p.configured && conns.length === 0) return pill("not configured", "", id);
    if (conns.length === 0) return pill("not connected", "", id);
    if (conns.every(function (k) { return k.requires_reconnect; })) return pill("reconnect required", "warn", id);
    return pill("connected", "ok", id);
  }
  function connectionName(p, k) {
    return p.display_name + (k.tenant_id ? " · " + (k.tenant_name || k.tenant_id) : "");
  }
  /** The provider's status, and its Connect button when configured (connecting again reconnects a company or adds one). */
  function statusCell(p) {
    var cell = [statusPill(p)];
    if (!p.configured) return cell;
    var attrs = {
      type: "button", class: "connect" + (p.connected ? "" : " primary"), "data-testid": "connect-" + p.name,
      "aria-label": "Connect " + p.display_name + (p.connected ? " again" : ""),
      text: p.connected ? "Connect again" : "Connect", onclick: function () { connect(p.name); },
    };
    if (p.connected) attrs.title = "Consent again: reconnect a company or add another";
    cell.push(el("button", attrs));
    return cell;
  }
  function actionsOf(p, k) {
    var actions = [];
    if (!k) return actions;
    var id = cid(p.name, k.tenant_id);
    if (p.api_type) {
      actions.push(el("button", {
        type: "button", "data-testid": "fetch-" + id, "aria-label": "Fetch " + connectionName(p, k) + " now",
        text: "Fetch now", onclick: function () { fetchNow(p.name, k.tenant_id); },
      }));
    }
    actions.push(el("button", {
      type: "button", class: "danger", "data-testid": "disconnect-" + id,
      "aria-label": "Disconnect " + connectionName(p, k), text: "Disconnect",
      onclick: function () { disconnect(p.name, k.tenant_id); },
    }));
    return actions;
  }
  /** One row per connection (one row for a provider without any), the provider's cells spanning them. */
  function renderProviders() {
    var table = $("providers");
    Array.prototype.slice.call(table.tBodies).forEach(function (b) { table.removeChild(b); });
    state.providers.forEach(function (p) {
      var conns = p.connections || [];
      var rows = conns.length ? conns : [null];
      var group = el("tbody", { "data-testid": "provider-" + p.name });
      rows.forEach(function (k, i) {
        var cells = [];
        if (i === 0) {
          var span = String(rows.length);
          cells.push(el("th", { scope: "rowgroup", rowspan: span }, [p.display_name, el("span", { class: "muted slug", text: p.name === p.display_name ? "" : p.name })]));
          cells.push(el("td", { rowspan: span, text: p.api_type || "—" }));
          cells.push(el("td", { rowspan: span }, statusCell(p)));
        }
        var company = [k && k.tenant_id ? k.tenant_name || k.tenant_id : "—"];
        if (k && k.requires_reconnect) company.push(" ", pill("reconnect required", "warn"));
        cells.push(el("td", { "data-testid": k ? "company-" + cid(p.name, k.tenant_id) : "company-" + p.name }, company));
        cells.push(el("td", { text: k && k.connected_by ? k.connected_by : "—" }));
        cells.push(el("td", { text: when(k && k.connected_at) }));
        cells.push(el("td", {}, actionsOf(p, k)));
        group.appendChild(el("tr", k ? { "data-testid": "connection-" + cid(p.name, k.tenant_id) } : {}, cells));
      });
      table.appendChild(group);
    });
  }

  // ---- token state ----
  function expiresText(iso) {
    if (!iso) return "—";
    var s = Math.round((Date.parse(iso) - Date.now()) / 1000);
    if (s <= 0) return "expired " + (-s) + " s ago";
    return Math.floor(s / 60) + " min " + (s % 60) + " s";
  }
  function renderStatus() {
    var body = $("token-status").tBodies[0];
    body.textContent = "";
    if (state.status.length === 0) {
      body.appendChild(el("tr", {}, [el("td", { colspan: "6", class: "muted", text: "No connections yet." })]));
      return;
    }
    state.status.forEach(function (s) {
      var t = s.token;
      var f = s.last_fetch;
      var id = cid(s.integration, s.tenant_id);
      var fetchCell = f
        ? [pill(f.outcome, f.outcome === "success" ? "ok" : "bad", "last-fetch-" + id),
           " " + f.trigger + ", " + when(f.finished_at || f.started_at) + (f.error ? " — " + f.error : "")]
        : [el("span", { class: "muted", "data-testid": "last-fetch-" + id, text: "never" })];
      body.appendChild(el("tr", { "data-testid": "token-" + id }, [
        el("th", { scope: "row", text: s.integration + (s.tenant_id ? " · " + (s.tenant_name || s.tenant_id) : "") }),
        el("td", { class: "expires", "data-expires": t.expires_at || "", "data-testid": "expires-" + id, text: expiresText(t.expires_at) }),
        el("td", { text: when(t.last_refresh_at) + (t.last_refresh_error ? " — " + t.last_refresh_error : "") }),
        el("td", { text: String(t.refresh_failures) }),
        el("td", {}, [s.requires_reconnect ? pill("yes", "warn") : pill("no")]),
        el("td", {}, fetchCell),
      ]));
    });
  }
  setInterval(function () {
    Array.prototype.forEach.call(document.querySelectorAll("[data-expires]"), function (cell) {
      cell.textContent = expiresText(cell.getAttribute("data-expires"));
    });
  }, 1000);

${CONSOLE_DATA_SCRIPT}
  // ---- refresh ----
  function refresh() {
    return Promise.all([
      api("GET", "/integration/providers?" + q({ workspace_id: WS })),
      api("GET", "/integration/status?" + q({ workspace_id: WS })),
    ]).then(function (r) {
      state.providers = r[0];
      state.status = r[1];
      renderProviders();
      renderStatus();
      renderDataProviders();
      return loadData();
    }).catch(function (e) { say(e.message, true); });
  }

  // ---- actions ----
  /** docs/connecting.md: connect session → popup → postMessage from the popup → confirm with the JWT. */
  function connect(name) {
    say("");
    hideChoice();
    // Opened in the click itself, so no popup blocker stops it; it is pointed at the session's URL below.
    var popup = window.open("about:blank", "zebbra-connect", "popup,width=560,height=720");
    if (!popup) { say("The browser blocked the popup: allow popups for this page and try again.", true); return; }
    state.popup = popup;
    state.pending = name;
    api("POST", "/integration/connect-sessions", { workspace_id: WS, integration: name })
      .then(function (session) { popup.location.href = session.url; })
      .catch(function (e) { popup.close(); state.pending = null; say(e.message, true); });
  }
  window.addEventListener("message", function (event) {
    // Only the popup's pages on this origin speak for the worker; anything else is ignored.
    if (event.origin !== location.origin) return;
    var m = event.data;
    if (!m || typeof m !== "object" || m.type !== "zebbra:integration") return;
    if (state.popup && !state.popup.closed) state.popup.close();
    state.popup = null;
    state.pending = null;
    if (m.status !== "authorized") {
      say("Connecting " + m.integration + " failed: " + m.message + (m.code ? " (" + m.code + ")" : ""), true);
      return;
    }
    // The grant covers several companies: the person picks which become connections.
    if (Array.isArray(m.tenants) && m.tenants.length > 1) { showChoice(m.integration, m.confirm_token, m.tenants); return; }
    confirmConsent(m.integration, m.confirm_token);
  });

  /** Confirms the consent; tenantIds names the companies chosen (omitted when the grant covers one). */
  function confirmConsent(name, token, tenantIds) {
    var body = { workspace_id: WS, integration: name, confirm_token: token };
    if (tenantIds) body.tenant_ids = tenantIds;
    return api("POST", "/integration/connections/confirm", body)
      .then(function (r) {
        hideChoice();
        var names = (r.connections || []).map(function (k) { return k.tenant_name || k.tenant_id; }).filter(Boolean);
        say(name + " is connected" + (names.length ? ": " + names.join(", ") : "") + ".");
        return refresh();
      })
      .catch(function (e) {
        // A grant of several companies whose message did not list them: the answer does, and the token stays usable.
        if (e.status === 409 && e.body && e.body.error && e.body.error.code === "tenant_choice_required") {
          showChoice(name, token, e.body.tenants || []);
          return;
        }
        $("tenant-choice-confirm").disabled = false;
        say(e.message, true);
      });
  }

  function chosenTenants() {
    return Array.prototype.filter.call(document.querySelectorAll("#tenant-choice-list input"), function (box) {
      return box.checked;
    }).map(function (box) { return box.value; });
  }
  /** Lists the grant's companies as checkboxes, none ticked: connecting needs at least one. */
  function showChoice(name, token, tenants) {
    state.choice = { name: name, token: token };
    $("tenant-choice-title").textContent =
      name + " gave access to " + tenants.length + " companies. Tick the ones to connect:";
    var list = $("tenant-choice-list");
    list.textContent = "";
    tenants.forEach(function (t) {
      var box = el("input", { type: "checkbox", value: t.id, "data-testid": "tenant-" + t.id });
      box.addEventListener("change", function () { $("tenant-choice-confirm").disabled = chosenTenants().length === 0; });
      var label = [box, " " + (t.name || t.id)];
      if (t.type) label.push(el("span", { class: "muted", text: " (" + t.type + ")" }));
      list.appendChild(el("label", {}, label));
    });
    $("tenant-choice-confirm").disabled = true;
    $("tenant-choice").hidden = false;
  }
  function hideChoice() {
    state.choice = null;
    $("tenant-choice").hidden = true;
    $("tenant-choice-list").textContent = "";
  }
  $("tenant-choice-confirm").addEventListener("click", function () {
    var choice = state.choice;
    var ids = chosenTenants();
    if (!choice || ids.length === 0) return;
    $("tenant-choice-confirm").disabled = true;
    confirmConsent(choice.name, choice.token, ids);
  });
  $("tenant-choice-cancel").addEventListener("click", function () {
    var choice = state.choice;
    hideChoice();
    if (choice) say("Connecting " + choice.name + " was cancelled: nothing was connected.");
  });

  function disconnect(name, tenantId) {
    api("POST", "/integration/disconnect?" + connQuery(name, tenantId))
      .then(function (r) { say(r.message); return refresh(); })
      .catch(function (e) { say(e.message, true); });
  }

  function fetchNow(name, tenantId) {
    var started = Date.now();
    api("POST", "/integration/fetch?" + connQuery(name, tenantId))
      .then(function (r) { say(r.message); return waitForFetches([{ integration: name, tenant_id: tenantId }], started); })
      .then(refresh)
      .catch(function (e) { say(e.message, true); });
  }

  /** Polls the status until each connection named ({ integration, tenant_id }) has a fetch that began after since (runs are logged when they end). */
  function waitForFetches(targets, since, timeoutMs) {
    var deadline = Date.now() + (timeoutMs || 30000);
    function done(s) {
      var f = s.last_fetch;
      // A little slack: the worker's clock and this page's may differ by a moment.
      return f && Date.parse(f.started_at) >= since - 2000;
    }
    function poll() {
      return api("GET", "/integration/status?" + q({ workspace_id: WS })).then(function (status) {
        state.status = status;
        renderStatus();
        var finished = targets.every(function (t) {
          var s = status.find(function (s) { return sameConn(s, t.integration, t.tenant_id); });
          return s && done(s);
        });
        if (finished) return true;
        if (Date.now() > deadline) return false;
        return sleep(500).then(poll);
      });
    }
    return poll();
  }

  $("run-cron").addEventListener("click", function () {
    var button = $("run-cron");
    var line = $("cron-status");
    var targets = dataConnections().filter(function (c) { return !c.k.requires_reconnect; }).map(function (c) {
      return { integration: c.p.name, tenant_id: c.k.tenant_id };
    });
    var started = Date.now();
    button.disabled = true;
    line.textContent = "Running the cron…";
    // wrangler dev's local trigger for the scheduled handler (the cron in wrangler.toml).
    fetch("/cdn-cgi/handler/scheduled?cron=" + encodeURIComponent(CRON))
      .then(function (res) {
        if (!res.ok) throw new Error("The scheduled trigger answered HTTP " + res.status + " (is this wrangler dev?)");
        line.textContent = targets.length ? "Cron ran; waiting for the fetches…" : "Cron ran; nothing is connected.";
        return targets.length ? waitForFetches(targets, started) : true;
      })
      .then(function (finished) {
        line.textContent = finished ? "Cron done at " + new Date().toLocaleTimeString() + "." : "Cron ran; no new fetch finished within 30 s.";
        return refresh();
      })
      .catch(function (e) { line.textContent = ""; say(e.message, true); })
      .then(function () { button.disabled = false; });
  });
  $("data-provider").addEventListener("change", function () { loadData(); });
  $("chart-title").addEventListener("change", function () { drawChart($("chart-title").value); });

  if (CONFIG.appOrigins.indexOf(location.origin) < 0) {
    var warning = $("origin-warning");
    var right = CONFIG.appOrigins[0] + "/";
    warning.appendChild(document.createTextNode(
      "This page is open at " + location.origin + ", but the server's APP_ORIGIN is " + CONFIG.appOrigins.join(",") +
      ": the connect popup posts its result to those origins only, so connecting from here cannot finish. Open "));
    warning.appendChild(el("a", { href: right, "data-testid": "origin-link", text: right }));
    warning.appendChild(document.createTextNode(" instead, or add this origin to APP_ORIGIN."));
    warning.hidden = false;
  }
  refresh();
})();
`;
