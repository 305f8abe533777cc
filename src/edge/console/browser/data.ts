// The console's data section: the Connection list (one entry per connection), the chosen
// connection's data as a table, and an SVG line chart of one of its series.
import { api, messageOf } from "./api";
import { $, byId, el, svg } from "./dom";
import { cid, connectionName, connQuery, type Data, dataConnections, fromDate, sameConn, state, when } from "./state";

export function renderDataProviders(): void {
  const select = byId("data-provider", HTMLSelectElement);
  const before = select.value;
  select.textContent = "";
  const conns = dataConnections();
  for (const c of conns)
    select.appendChild(el("option", { value: cid(c.p.name, c.k.tenant_id), text: connectionName(c.p, c.k) }));
  if (conns.some((c) => cid(c.p.name, c.k.tenant_id) === before)) select.value = before;
  select.disabled = conns.length === 0;
}

export async function loadData(): Promise<void> {
  const chosen = byId("data-provider", HTMLSelectElement).value;
  const conn = dataConnections().find((c) => cid(c.p.name, c.k.tenant_id) === chosen);
  const fetched = conn && state.status.find((s) => sameConn(s, conn.p.name, conn.k.tenant_id));
  state.data = null;
  // Only the latest choice's answer is shown: an earlier one may arrive after it.
  const seq = ++state.loads;
  if (!conn || !fetched || !fetched.last_fetch) {
    renderData(conn ? "No data yet: press Fetch now or Run cron now." : "Connect a provider to see its data.");
    return;
  }
  $("data-range").textContent = "from " + fromDate();
  try {
    const data = await api<Data>(
      "GET",
      "/integration/data?" + connQuery(conn.p.name, conn.k.tenant_id, { from_date: fromDate() }),
    );
    if (seq === state.loads) {
      state.data = data;
      renderData("");
    }
  } catch (e) {
    if (seq === state.loads) renderData(messageOf(e));
  }
}

function renderData(note: string): void {
  const table = byId("data-table", HTMLTableElement);
  const titles = byId("chart-title", HTMLSelectElement);
  table.textContent = "";
  const data = state.data;
  $("data-fetched").textContent = data ? "fetched " + when(data.fetched_at) : "";
  if (!data) {
    table.appendChild(el("tbody", {}, [el("tr", {}, [el("td", { class: "muted", text: note })])]));
    titles.textContent = "";
    titles.disabled = true;
    drawChart(null);
    return;
  }
  if ("employees" in data) {
    titles.textContent = "";
    titles.disabled = true;
    const heads = ["Name", "Id", "Title", "Department", "Start", "End", "Monthly salary"];
    table.appendChild(
      el("thead", {}, [
        el(
          "tr",
          {},
          heads.map((h, i) => el("th", { scope: "col", class: i === 6 ? "num" : "", text: h })),
        ),
      ]),
    );
    table.appendChild(
      el(
        "tbody",
        {},
        data.employees.map((e) =>
          el("tr", { "data-testid": "data-row" }, [
            el("th", { scope: "row", text: e.name }),
            el("td", { "data-testid": "employee-id", text: e.id }),
            el("td", { text: e.title }),
            el("td", { text: e.department }),
            el("td", { text: e.start_date }),
            el("td", { text: e.end_date || "—" }),
            el("td", { class: "num", text: e.monthly_salary.toLocaleString() }),
          ]),
        ),
      ),
    );
    drawChart(null, "Payroll data has no monthly series to chart.");
    return;
  }
  const names = Object.keys(data.data);
  const chosen = titles.value;
  titles.textContent = "";
  for (const n of names) titles.appendChild(el("option", { value: n, text: n }));
  titles.disabled = names.length === 0;
  if (names.includes(chosen)) titles.value = chosen;
  else if (names.includes("Net Profit")) titles.value = "Net Profit";
  table.appendChild(
    el("thead", {}, [
      el("tr", {}, [
        el("th", { scope: "col", text: "Title" }),
        ...data.dates.map((d) => el("th", { scope: "col", class: "num", text: d.slice(0, 7) })),
      ]),
    ]),
  );
  table.appendChild(
    el(
      "tbody",
      {},
      names.map((n) =>
        el("tr", { "data-testid": "data-row" }, [
          el("th", { scope: "row", text: n }),
          ...data.dates.map((d) => {
            const v = data.data[n]?.[d];
            return el("td", {
              class: "num",
              text: v === null || v === undefined ? "—" : Math.round(v).toLocaleString(),
            });
          }),
        ]),
      ),
    ),
  );
  drawChart(titles.value);
  // The newest months matter most: show the table's right end first.
  const box = table.parentElement;
  if (box) box.scrollLeft = box.scrollWidth;
}

/** A line chart of one title over the months, drawn as SVG nodes (no innerHTML, no inline styles). */
export function drawChart(title: string | null, note = ""): void {
  const chart = byId("chart", SVGSVGElement);
  chart.textContent = "";
  const data = state.data;
  const series = title && data && "data" in data ? data.data[title] : undefined;
  const points: [string, number][] = [];
  if (series && data && "dates" in data)
    for (const d of data.dates) {
      const v = series[d];
      if (typeof v === "number") points.push([d, v]);
    }
  $("chart-caption").textContent = points.length ? `${title} by month` : note;
  chart.setAttribute("aria-label", points.length ? `${title} over ${points.length} months` : "No data to chart");
  if (points.length === 0) return;
  const [W, H, L, R, T, B] = [760, 220, 70, 24, 14, 28];
  const values = points.map((p) => p[1]);
  const min = Math.min(...values, 0);
  let max = Math.max(...values, 0);
  if (max === min) max = min + 1;
  const x = (i: number) => L + (points.length === 1 ? 0 : (i * (W - L - R)) / (points.length - 1));
  const y = (v: number) => T + ((max - v) * (H - T - B)) / (max - min);
  [min, (min + max) / 2, max, 0].forEach((v, i) => {
    chart.appendChild(svg("line", { x1: L, x2: W - R, y1: y(v), y2: y(v), stroke: i === 3 ? "#9aa3b2" : "#e3e6ec" }));
    if (i < 3) {
      const label = svg("text", { x: L - 6, y: y(v) + 4, "text-anchor": "end", "font-size": "11", fill: "#5b6475" });
      label.textContent = Math.round(v).toLocaleString();
      chart.appendChild(label);
    }
  });
  points.forEach((p, i) => {
    // Every third month counted back from the newest, so the newest is always labelled.
    if ((points.length - 1 - i) % 3 !== 0) return;
    const anchor = i === points.length - 1 ? "end" : i === 0 ? "start" : "middle";
    const label = svg("text", { x: x(i), y: H - 8, "text-anchor": anchor, "font-size": "11", fill: "#5b6475" });
    label.textContent = p[0].slice(0, 7);
    chart.appendChild(label);
  });
  const d = points.map((p, i) => (i ? "L" : "M") + x(i).toFixed(1) + " " + y(p[1]).toFixed(1)).join(" ");
  chart.appendChild(
    svg("path", { d, fill: "none", stroke: "#1d4ed8", "stroke-width": "2", "data-testid": "chart-line" }),
  );
  points.forEach((p, i) => {
    const dot = svg("circle", { cx: x(i), cy: y(p[1]), r: "2.5", fill: "#1d4ed8" });
    const tip = svg("title", {});
    tip.textContent = p[0] + ": " + p[1].toLocaleString();
    dot.appendChild(tip);
    chart.appendChild(dot);
  });
}
