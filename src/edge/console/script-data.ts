// The console script's data section, inlined into CONSOLE_SCRIPT's closure (it uses its state and
// helpers): the Connection list (one entry per connection), the chosen connection's data as a table
// and an SVG line chart. Plain ES2017.
export const CONSOLE_DATA_SCRIPT = String.raw`
  // ---- data ----
  function renderDataProviders() {
    var select = $("data-provider");
    var before = select.value;
    select.textContent = "";
    var conns = dataConnections();
    conns.forEach(function (c) {
      select.appendChild(el("option", { value: cid(c.p.name, c.k.tenant_id), text: connectionName(c.p, c.k) }));
    });
    if (conns.some(function (c) { return cid(c.p.name, c.k.tenant_id) === before; })) select.value = before;
    select.disabled = conns.length === 0;
  }
  function loadData() {
    var chosen = $("data-provider").value;
    var conn = dataConnections().find(function (c) { return cid(c.p.name, c.k.tenant_id) === chosen; });
    var fetched = conn && state.status.find(function (s) { return sameConn(s, conn.p.name, conn.k.tenant_id); });
    state.data = null;
    // Only the latest choice's answer is shown: an earlier one may arrive after it.
    var seq = ++state.loads;
    if (!conn || !fetched || !fetched.last_fetch) {
      renderData(conn ? "No data yet: press Fetch now or Run cron now." : "Connect a provider to see its data.");
      return Promise.resolve();
    }
    $("data-range").textContent = "from " + fromDate();
    return api("GET", "/integration/data?" + connQuery(conn.p.name, conn.k.tenant_id, { from_date: fromDate() }))
      .then(function (data) { if (seq === state.loads) { state.data = data; renderData(""); } })
      .catch(function (e) { if (seq === state.loads) renderData(e.message); });
  }
  function renderData(note) {
    var table = $("data-table");
    var titles = $("chart-title");
    table.textContent = "";
    var data = state.data;
    $("data-fetched").textContent = data ? "fetched " + when(data.fetched_at) : "";
    if (!data) {
      table.appendChild(el("tbody", {}, [el("tr", {}, [el("td", { class: "muted", text: note })])]));
      titles.textContent = "";
      titles.disabled = true;
      drawChart(null);
      return;
    }
    if (data.employees) {
      titles.textContent = "";
      titles.disabled = true;
      table.appendChild(el("thead", {}, [el("tr", {}, ["Name", "Id", "Title", "Department", "Start", "End", "Monthly salary"].map(function (h, i) {
        return el("th", { scope: "col", class: i === 6 ? "num" : "", text: h });
      }))]));
      table.appendChild(el("tbody", {}, data.employees.map(function (e) {
        return el("tr", { "data-testid": "data-row" }, [
          el("th", { scope: "row", text: e.name }), el("td", { "data-testid": "employee-id", text: e.id }),
          el("td", { text: e.title }), el("td", { text: e.department }),
          el("td", { text: e.start_date }), el("td", { text: e.end_date || "—" }),
          el("td", { class: "num", text: e.monthly_salary.toLocaleString() }),
        ]);
      })));
      drawChart(null, "Payroll data has no monthly series to chart.");
      return;
    }
    var names = Object.keys(data.data);
    var chosen = titles.value;
    titles.textContent = "";
    names.forEach(function (n) { titles.appendChild(el("option", { value: n, text: n })); });
    titles.disabled = names.length === 0;
    if (names.indexOf(chosen) >= 0) titles.value = chosen;
    else if (names.indexOf("Net Profit") >= 0) titles.value = "Net Profit";
    table.appendChild(el("thead", {}, [el("tr", {}, [el("th", { scope: "col", text: "Title" })].concat(data.dates.map(function (d) {
      return el("th", { scope: "col", class: "num", text: d.slice(0, 7) });
    })))]));
    table.appendChild(el("tbody", {}, names.map(function (n) {
      return el("tr", { "data-testid": "data-row" }, [el("th", { scope: "row", text: n })].concat(data.dates.map(function (d) {
        var v = data.data[n][d];
        return el("td", { class: "num", text: v === null || v === undefined ? "—" : Math.round(v).toLocaleString() });
      })));
    })));
    drawChart(titles.value);
    // The newest months matter most: show the table's right end first.
    var box = table.parentNode;
    box.scrollLeft = box.scrollWidth;
  }

  /** A line chart of one title over the months, drawn as SVG nodes (no innerHTML, no inline styles). */
  function drawChart(title, note) {
    var chart = $("chart");
    chart.textContent = "";
    var data = state.data;
    var points = title && data && data.data[title]
      ? data.dates.map(function (d) { return [d, data.data[title][d]]; }).filter(function (p) { return typeof p[1] === "number"; })
      : [];
    $("chart-caption").textContent = points.length ? title + " by month" : note || "";
    chart.setAttribute("aria-label", points.length ? title + " over " + points.length + " months" : "No data to chart");
    if (points.length === 0) return;
    var W = 760, H = 220, L = 70, R = 24, T = 14, B = 28;
    var values = points.map(function (p) { return p[1]; });
    var min = Math.min.apply(null, values.concat([0])), max = Math.max.apply(null, values.concat([0]));
    if (max === min) max = min + 1;
    var x = function (i) { return L + (points.length === 1 ? 0 : (i * (W - L - R)) / (points.length - 1)); };
    var y = function (v) { return T + ((max - v) * (H - T - B)) / (max - min); };
    [min, (min + max) / 2, max, 0].forEach(function (v, i) {
      chart.appendChild(svg("line", { x1: L, x2: W - R, y1: y(v), y2: y(v), stroke: i === 3 ? "#9aa3b2" : "#e3e6ec" }));
      if (i < 3) {
        var label = svg("text", { x: L - 6, y: y(v) + 4, "text-anchor": "end", "font-size": "11", fill: "#5b6475" });
        label.textContent = Math.round(v).toLocaleString();
        chart.appendChild(label);
      }
    });
    points.forEach(function (p, i) {
      // Every third month counted back from the newest, so the newest is always labelled.
      if ((points.length - 1 - i) % 3 !== 0) return;
      var anchor = i === points.length - 1 ? "end" : i === 0 ? "start" : "middle";
      var label = svg("text", { x: x(i), y: H - 8, "text-anchor": anchor, "font-size": "11", fill: "#5b6475" });
      label.textContent = p[0].slice(0, 7);
      chart.appendChild(label);
    });
    var d = points.map(function (p, i) { return (i ? "L" : "M") + x(i).toFixed(1) + " " + y(p[1]).toFixed(1); }).join(" ");
    chart.appendChild(svg("path", { d: d, fill: "none", stroke: "#1d4ed8", "stroke-width": "2", "data-testid": "chart-line" }));
    points.forEach(function (p, i) {
      var dot = svg("circle", { cx: x(i), cy: y(p[1]), r: "2.5", fill: "#1d4ed8" });
      var tip = svg("title", {});
      tip.textContent = p[0] + ": " + p[1].toLocaleString();
      dot.appendChild(tip);
      chart.appendChild(dot);
    });
  }

`;
