// Byggpuls dashboard: draws the charts with the vendored Apache ECharts from the JSON API and
// sends finding lifecycle actions with their comment.
// No CDN: the page must work on networks that block them. Text from the server is only ever
// set with textContent (or drawn on the canvas), never parsed as HTML; tooltips are drawn on
// the canvas too (renderMode "richText"), so nothing needs an inline style the CSP forbids.
"use strict";

(function () {
  const ZONE = "Europe/Oslo";
  const HOUR_MS = 3600000;
  const DAY_MS = 86400000;
  const COLORS = ["#0b6e99", "#a15c00", "#2e7d32", "#6a3d9a", "#00838f", "#5d6b7a"];
  const CARRIER_COLORS = { electricity: "#0b6e99", heat: "#c2571a" };

  const texts = readJson(document.getElementById("texts")) || {};
  const locale = document.body.dataset.locale || "nb-NO";
  const chartLocale = locale === "nb-NO" ? "nb-NO" : "EN";
  const root = document.body.dataset.root || "";

  function t(key) {
    return texts[key] || key;
  }

  function readJson(node) {
    if (!node) return null;
    try {
      return JSON.parse(node.textContent);
    } catch (error) {
      return null;
    }
  }

  function numberFormat(decimals) {
    return new Intl.NumberFormat(locale, {
      minimumFractionDigits: decimals,
      maximumFractionDigits: decimals,
    });
  }

  const whole = numberFormat(0);
  const fullTime = new Intl.DateTimeFormat(locale, {
    timeZone: ZONE, day: "2-digit", month: "2-digit", year: "numeric",
    hour: "2-digit", minute: "2-digit",
  });
  const dayFormat = new Intl.DateTimeFormat(locale, {
    timeZone: ZONE, weekday: "short", day: "numeric", month: "numeric",
  });
  const monthFormat = new Intl.DateTimeFormat(locale, { timeZone: ZONE, month: "short", year: "numeric" });

  const clock = new Intl.DateTimeFormat(locale, { timeZone: ZONE, hour: "2-digit", minute: "2-digit" });
  const dayMonth = new Intl.DateTimeFormat(locale, { timeZone: ZONE, day: "numeric", month: "numeric" });

  // Time axis labels in Norwegian time: the clock within two days, else the date (and clock).
  function axisTimeFormat(spanMs) {
    if (spanMs <= 2 * DAY_MS) return (time) => clock.format(time);
    if (spanMs <= 8 * DAY_MS) return (time) => `${dayMonth.format(time)} ${clock.format(time)}`;
    return (time) => dayMonth.format(time);
  }

  function format(value, formatter, unit) {
    if (value === null || value === undefined || Number.isNaN(value)) return "–";
    return unit ? `${formatter.format(value)} ${unit}` : formatter.format(value);
  }

  function message(plot, text, className) {
    dispose(plot);
    plot.replaceChildren();
    const p = document.createElement("p");
    p.className = className;
    p.textContent = text;
    plot.appendChild(p);
  }

  async function problemText(response) {
    try {
      const problem = await response.json();
      return problem.detail || problem.title || `HTTP ${response.status}`;
    } catch (error) {
      return `HTTP ${response.status}`;
    }
  }

  async function getJson(url) {
    let response;
    try {
      response = await fetch(url, { headers: { Accept: "application/json" } });
    } catch (error) {
      throw new Error(t("no_answer"));
    }
    if (!response.ok) throw new Error(await problemText(response));
    return response.json();
  }

  function dispose(plot) {
    const chart = window.echarts && echarts.getInstanceByDom(plot);
    if (chart) chart.dispose();
  }

  // A new ECharts instance in the figure's plot (replacing one drawn before), resized with
  // the window. ``heightPx`` sets the plot's height where it depends on the data.
  function chartIn(plot, heightPx) {
    dispose(plot);
    plot.replaceChildren();
    if (heightPx) plot.style.height = `${heightPx}px`;
    const chart = echarts.init(plot, null, { renderer: "canvas", locale: chartLocale });
    window.addEventListener("resize", () => {
      if (!chart.isDisposed()) chart.resize();
    });
    return chart;
  }

  function tooltip(extra) {
    return Object.assign({ renderMode: "richText", confine: true }, extra);
  }

  function failed(plot, error) {
    message(plot, `${t("load_failed")} ${error.message}`, "error");
  }

  // -- The building's chart: several points, the meter's baseline, a finding's period ---------

  async function loadPointChart(figure) {
    const plot = figure.querySelector(".plot");
    const series = readJson(figure.querySelector(".chart-data")) || [];
    const data = figure.dataset;
    const end = data.endMs ? Number(data.endMs) : Date.now();
    const start = data.startMs ? Number(data.startMs) : end - Number(data.rangeMs);
    const range = { start: new Date(start).toISOString(), end: new Date(end).toISOString() };
    try {
      const loaded = await Promise.all(series.map(async (item) => {
        const url = new URL(root + item.url, window.location.href);
        Object.entries({ ...range, every: data.every, agg: "mean" })
          .forEach(([key, value]) => url.searchParams.set(key, value));
        const values = await getJson(url);
        let baseline = null;
        if (item.baseline_url) {
          const baselineUrl = new URL(root + item.baseline_url, window.location.href);
          baselineUrl.searchParams.set("start", range.start);
          baselineUrl.searchParams.set("end", range.end);
          baseline = await getJson(baselineUrl).catch(() => null);
        }
        return { item, values, baseline };
      }));
      drawPointChart(figure, loaded, start, end);
    } catch (error) {
      failed(plot, error);
    }
  }

  function drawPointChart(figure, loaded, start, end) {
    const plot = figure.querySelector(".plot");
    if (!loaded.some(({ values }) => values.samples.length)) {
      message(plot, t("no_data"), "loading");
      return;
    }
    const units = [...new Set(loaded.map(({ item }) => item.unit))];
    const yAxis = units.map((unit, index) => ({
      type: "value",
      name: unit,
      scale: true,
      position: index % 2 ? "right" : "left",
      offset: Math.floor(index / 2) * 56,
      axisLabel: { formatter: (value) => numberFormat(Math.abs(value) < 10 ? 1 : 0).format(value) },
      splitLine: { show: index === 0 },
    }));
    const series = [];
    const stats = [];
    loaded.forEach(({ item, values, baseline }, index) => {
      const formatter = numberFormat(item.decimals);
      const valueFormatter = (value) => format(value, formatter, item.unit);
      const axis = units.indexOf(item.unit);
      const color = COLORS[index % COLORS.length];
      // A gap longer than 2.5 buckets breaks the line rather than drawing a slope through it.
      const points = [];
      const stepMs = Math.max(values.every_s || 0, item.interval_s || 0, 60) * 1000;
      let previous = null;
      for (const sample of values.samples) {
        const time = Date.parse(sample.time);
        if (previous !== null && time - previous > 2.5 * stepMs) points.push([previous + stepMs, null]);
        points.push([time, sample.value]);
        previous = time;
      }
      series.push({
        type: "line", name: item.label, data: points, yAxisIndex: axis, showSymbol: points.length < 2,
        connectNulls: false, lineStyle: { width: 1.6 }, color, tooltip: { valueFormatter },
      });
      const numbers = values.samples.map((sample) => sample.value);
      if (numbers.length) {
        const mean = numbers.reduce((a, b) => a + b, 0) / numbers.length;
        stats.push(`${item.label}: ${t("min")} ${formatter.format(Math.min(...numbers))} · ` +
          `${t("mean")} ${formatter.format(mean)} · ${t("max")} ${formatter.format(Math.max(...numbers))} ${item.unit}` +
          ` · ${numbers.length} ${t("samples")}`);
      }
      if (baseline) {
        // An hour's expected kWh is its mean kW: flat over the hour, a gap where none is known.
        const expected = [];
        for (const row of baseline.rows) {
          const hour = Date.parse(row.start);
          const value = row.baseline_kwh === null ? null : row.baseline_kwh / Math.max(row.baseline_hours, 1);
          expected.push([hour, value], [hour + HOUR_MS - 1, value]);
        }
        series.push({
          type: "line", name: `${t("baseline")}: ${item.point}`, data: expected, yAxisIndex: axis,
          showSymbol: false, connectNulls: false, color, lineStyle: { type: "dashed", width: 1.4, opacity: 0.8 },
          tooltip: { valueFormatter }, z: 1,
        });
      }
    });
    const data = figure.dataset;
    if (data.markStart && series.length) {
      series[0].markArea = {
        silent: true,
        itemStyle: { color: "rgba(179, 38, 30, 0.10)" },
        label: { show: true, position: "insideTop", color: "#b3261e" },
        data: [[{ name: t("finding_period"), xAxis: Number(data.markStart) }, { xAxis: Number(data.markEnd) }]],
      };
    }
    const axisFormat = axisTimeFormat(end - start);
    const chart = chartIn(plot);
    chart.setOption({
      animation: false,
      color: COLORS,
      legend: { top: 0, type: "scroll" },
      grid: { left: 56 + Math.floor((units.length - 1) / 2) * 56, right: 40 + Math.floor(units.length / 2) * 56, top: 44, bottom: 80 },
      tooltip: tooltip({ trigger: "axis", axisPointer: { type: "line" } }),
      xAxis: {
        type: "time", min: start, max: end,
        axisLabel: { formatter: (value) => axisFormat(new Date(value)), hideOverlap: true },
        axisPointer: { label: { formatter: (params) => fullTime.format(new Date(params.value)) } },
      },
      yAxis,
      dataZoom: [{ type: "inside" }, { type: "slider", bottom: 16, labelFormatter: (value) => fullTime.format(new Date(value)) }],
      series,
    });
    const line = document.createElement("p");
    line.className = "chart-stats";
    line.textContent = stats.join(" — ");
    plot.after(line);
  }

  // -- Energy: kWh bars per day or month, per carrier, with the baseline and cost --------------

  function periodLabel(row, resolution) {
    const start = new Date(row.start);
    return resolution === "month" ? monthFormat.format(start) : dayFormat.format(start);
  }

  async function loadEnergy(figure, resolution) {
    const plot = figure.querySelector(".plot");
    for (const button of figure.querySelectorAll("button[data-resolution]")) {
      const current = button.dataset.resolution === resolution;
      button.classList.toggle("current", current);
      button.setAttribute("aria-pressed", String(current));
    }
    try {
      const table = await getJson(resolution === "month" ? figure.dataset.monthUrl : figure.dataset.dayUrl);
      drawEnergy(figure, table, resolution);
    } catch (error) {
      failed(plot, error);
    }
  }

  function drawEnergy(figure, table, resolution) {
    const plot = figure.querySelector(".plot");
    const carriers = table.totals.filter((total) => total.hours_with_data > 0).map((total) => total.carrier);
    if (!carriers.length) {
      message(plot, t("no_data"), "loading");
      figure.querySelector(".energy-table .scroll").replaceChildren();
      return;
    }
    const byCarrier = new Map(carriers.map((carrier) => [carrier, table.rows.filter((row) => row.carrier === carrier)]));
    const periods = byCarrier.get(carriers[0]);
    const labels = periods.map((row) => periodLabel(row, resolution));
    const kwhFormat = (value) => format(value, whole, "kWh");
    const series = [];
    for (const carrier of carriers) {
      const rows = byCarrier.get(carrier);
      const color = CARRIER_COLORS[carrier] || COLORS[0];
      series.push({
        type: "bar", name: `${t(carrier)} – ${t("measured")}`, color,
        data: rows.map((row) => row.measured_kwh), tooltip: { valueFormatter: kwhFormat },
      });
      if (rows.some((row) => row.baseline_kwh !== null)) {
        series.push({
          type: "line", name: `${t(carrier)} – ${t("baseline")}`, color, symbolSize: 5,
          lineStyle: { type: "dashed" }, data: rows.map((row) => row.baseline_kwh),
          tooltip: { valueFormatter: kwhFormat },
        });
      }
      series.push({
        type: "line", name: `${t(carrier)} – ${t("cost")}`, yAxisIndex: 1, color,
        symbol: "diamond", symbolSize: 6, lineStyle: { opacity: 0 }, itemStyle: { opacity: 0.7 },
        data: rows.map((row) => row.cost_nok), tooltip: { valueFormatter: (value) => format(value, whole, "kr") },
      });
    }
    const chart = chartIn(plot);
    chart.setOption({
      animation: false,
      legend: { top: 0, type: "scroll" },
      grid: { left: 64, right: 64, top: 44, bottom: 64 },
      tooltip: tooltip({ trigger: "axis", axisPointer: { type: "shadow" } }),
      xAxis: { type: "category", data: labels, axisLabel: { hideOverlap: true } },
      yAxis: [
        { type: "value", name: "kWh", axisLabel: { formatter: (value) => whole.format(value) } },
        { type: "value", name: "kr", splitLine: { show: false }, axisLabel: { formatter: (value) => whole.format(value) } },
      ],
      dataZoom: [{ type: "inside" }, { type: "slider", bottom: 8, height: 18 }],
      series,
    });
    energyTable(figure.querySelector(".energy-table .scroll"), table, carriers, byCarrier, labels);
  }

  function cell(row, text, header) {
    const node = document.createElement(header ? "th" : "td");
    node.textContent = text;
    if (header) node.scope = header;
    else node.className = "num";
    row.appendChild(node);
    return node;
  }

  function energyTable(container, table, carriers, byCarrier, labels) {
    const node = document.createElement("table");
    const head = node.createTHead().insertRow();
    cell(head, t("period"), "col");
    for (const carrier of carriers) {
      for (const part of ["measured", "baseline"]) cell(head, `${t(carrier)}: ${t(part)} (kWh)`, "col");
      cell(head, `${t(carrier)}: ${t("cost")} (kr)`, "col");
    }
    const body = node.createTBody();
    labels.forEach((label, index) => {
      const row = body.insertRow();
      cell(row, label, "row");
      for (const carrier of carriers) {
        const values = byCarrier.get(carrier)[index];
        cell(row, format(values.measured_kwh, whole));
        cell(row, format(values.baseline_kwh, whole));
        cell(row, format(values.cost_nok, whole));
      }
    });
    const foot = node.createTFoot().insertRow();
    cell(foot, t("total"), "row");
    for (const carrier of carriers) {
      const total = table.totals.find((item) => item.carrier === carrier);
      cell(foot, format(total.measured_kwh, whole));
      cell(foot, format(total.baseline_kwh, whole));
      cell(foot, format(total.cost_nok, whole));
    }
    container.replaceChildren(node);
  }

  // -- Heat map: hourly electricity, hour of the day × local date -------------------------------

  async function loadHeatmap(figure) {
    const plot = figure.querySelector(".plot");
    try {
      const map = await getJson(figure.dataset.url);
      if (map.max_kwh === null) {
        message(plot, t("no_data"), "loading");
        return;
      }
      const data = [];
      map.kwh.forEach((hours, row) => hours.forEach((value, hour) => {
        if (value !== null) data.push([hour, row, value]);
      }));
      const dates = map.dates.map((day) => dayFormat.format(new Date(`${day}T12:00:00Z`)));
      const formatter = numberFormat(map.max_kwh < 10 ? 1 : 0);
      const chart = chartIn(plot, 120 + 18 * dates.length);
      chart.setOption({
        animation: false,
        grid: { left: 88, right: 16, top: 8, bottom: 96 },
        tooltip: tooltip({
          formatter: (params) => `${dates[params.value[1]]} ${String(params.value[0]).padStart(2, "0")}:00\n` +
            `${format(params.value[2], formatter, "kWh")}`,
        }),
        xAxis: { type: "category", name: t("hour"), nameLocation: "middle", nameGap: 28, data: map.hours.map((hour) => String(hour).padStart(2, "0")), splitArea: { show: true } },
        yAxis: { type: "category", data: dates, inverse: true, splitArea: { show: true } },
        visualMap: {
          min: 0, max: map.max_kwh, calculable: true, orient: "horizontal", left: "center", bottom: 0,
          itemHeight: 220, inRange: { color: ["#f7fbff", "#9ecae1", "#2171b5", "#08306b"] },
          formatter: (value) => formatter.format(value),
        },
        series: [{ type: "heatmap", name: "kWh", data, emphasis: { itemStyle: { borderColor: "#1d2733", borderWidth: 1 } } }],
      });
    } catch (error) {
      failed(plot, error);
    }
  }

  // -- Energy intensity against the references ---------------------------------------------------

  async function loadIntensity(figure) {
    const plot = figure.querySelector(".plot");
    const stats = figure.querySelector(".chart-stats");
    try {
      const found = await getJson(figure.dataset.url);
      if (found.total_kwh_m2_year === null) {
        message(plot, found.floor_area_m2 === null ? t("no_area") : t("no_data"), "loading");
        return;
      }
      const bars = [[t("this_building"), found.total_kwh_m2_year, "#0b6e99"]];
      if (found.reference) {
        bars.push([t("tek17"), found.reference.frame_kwh_m2, "#9aa5b1"]);
        bars.push([t("stock"), found.reference.stock_kwh_m2, "#5d6b7a"]);
      }
      const chart = chartIn(plot);
      chart.setOption({
        animation: false,
        grid: { left: 150, right: 48, top: 8, bottom: 28 },
        tooltip: tooltip({ valueFormatter: (value) => format(value, whole, t("kwh_m2_year")) }),
        xAxis: { type: "value", name: "kWh/m²", nameLocation: "middle", nameGap: 22 },
        yAxis: { type: "category", inverse: true, data: bars.map((bar) => bar[0]) },
        series: [{
          type: "bar", name: t("kwh_m2_year"),
          data: bars.map((bar) => ({ value: bar[1], itemStyle: { color: bar[2] } })),
          label: { show: true, position: "right", formatter: (params) => whole.format(params.value) },
        }],
      });
      stats.textContent = `${format(found.total_kwh_m2_year, whole, t("kwh_m2_year"))}` +
        found.carriers.map((c) => ` · ${t(c.carrier)} ${format(c.kwh_m2_year, whole)}`).join("");
    } catch (error) {
      failed(plot, error);
    }
  }

  // -- Portfolio: waste in NOK per building -------------------------------------------------------

  function drawWaste(figure) {
    const plot = figure.querySelector(".plot");
    const rows = readJson(figure.querySelector(".chart-data")) || [];
    const chart = chartIn(plot, 40 + 30 * rows.length);
    chart.setOption({
      animation: false,
      grid: { left: 180, right: 64, top: 4, bottom: 24 },
      tooltip: tooltip({ valueFormatter: (value) => format(value, whole, "kr") }),
      xAxis: { type: "value", axisLabel: { formatter: (value) => whole.format(value) } },
      yAxis: { type: "category", inverse: true, data: rows.map((row) => row.name), axisLabel: { width: 170, overflow: "truncate" } },
      series: [{
        type: "bar", name: t("waste_nok"), color: "#0b6e99", cursor: "pointer",
        data: rows.map((row) => row.nok),
        label: { show: true, position: "right", formatter: (params) => whole.format(params.value) },
      }],
    });
    chart.on("click", (params) => {
      const row = rows[params.dataIndex];
      if (row) window.location.href = `${root}/buildings/${encodeURIComponent(row.id)}`;
    });
  }

  // -- Finding actions -----------------------------------------------------------------------------

  // The request of a lifecycle action: the comment typed beside its buttons, if any, and the
  // session's CSRF token where the page carries one.
  function actionRequest(button) {
    const headers = { Accept: "application/json" };
    const token = document.querySelector('meta[name="csrf-token"]');
    if (token) headers["X-CSRF-Token"] = token.content;
    const request = { method: "POST", headers };
    const field = document.querySelector(`input[data-comment-for="${button.dataset.findingId}"]`);
    const comment = field ? field.value.trim() : "";
    if (comment) {
      headers["Content-Type"] = "application/json";
      request.body = JSON.stringify({ comment });
    }
    return request;
  }

  function setUpFindingActions() {
    const errorLine = document.querySelector(".action-error");
    for (const button of document.querySelectorAll("button[data-action]")) {
      button.addEventListener("click", async () => {
        button.disabled = true;
        try {
          const response = await fetch(button.dataset.url, actionRequest(button));
          if (response.ok) {
            window.location.reload();
            return;
          }
          if (errorLine) {
            errorLine.textContent = await problemText(response);
            errorLine.hidden = false;
          }
        } catch (error) {
          if (errorLine) {
            errorLine.textContent = t("retry");
            errorLine.hidden = false;
          }
        }
        button.disabled = false;
      });
    }
  }

  function setUp() {
    for (const field of document.querySelectorAll("[data-autosubmit]")) {
      field.addEventListener("change", () => field.form.submit());
    }
    setUpFindingActions();
    const charts = typeof echarts !== "undefined";
    const pointChart = document.getElementById("chart");
    if (pointChart && charts) loadPointChart(pointChart);
    const energy = document.getElementById("energy-chart");
    if (energy && charts) {
      loadEnergy(energy, "day");
      for (const button of energy.querySelectorAll("button[data-resolution]")) {
        button.addEventListener("click", () => loadEnergy(energy, button.dataset.resolution));
      }
    }
    const heatmap = document.getElementById("heatmap");
    if (heatmap && charts) loadHeatmap(heatmap);
    const intensity = document.getElementById("intensity");
    if (intensity && charts) loadIntensity(intensity);
    const waste = document.getElementById("waste-chart");
    if (waste && charts) drawWaste(waste);
    const refreshS = Number(document.body.dataset.refreshS || "0");
    if (refreshS > 0) window.setTimeout(() => window.location.reload(), refreshS * 1000);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", setUp);
  else setUp();
})();
