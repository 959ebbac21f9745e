// Byggpuls dashboard: draws a point's series as SVG, shows the advice on each finding and
// sends finding lifecycle actions with their comment.
// Plain JavaScript, no libraries: the page must work on networks that block CDNs. Text from
// the server is only ever set with textContent, never parsed as HTML.
"use strict";

(function () {
  const SVG = "http://www.w3.org/2000/svg";
  const HEIGHT = 320;
  const PAD = { left: 64, right: 16, top: 14, bottom: 34 };
  const ZONE = "Europe/Oslo";

  function svg(name, attributes, parent) {
    const node = document.createElementNS(SVG, name);
    for (const [key, value] of Object.entries(attributes || {})) {
      node.setAttribute(key, String(value));
    }
    if (parent) parent.appendChild(node);
    return node;
  }

  function numberFormat(decimals) {
    return new Intl.NumberFormat("nb-NO", {
      minimumFractionDigits: decimals,
      maximumFractionDigits: decimals,
    });
  }

  function timeFormat(rangeMs) {
    const options = { timeZone: ZONE, hour: "2-digit", minute: "2-digit" };
    if (rangeMs > 2 * 86400000) {
      Object.assign(options, { day: "2-digit", month: "2-digit" });
      if (rangeMs > 8 * 86400000) {
        delete options.hour;
        delete options.minute;
      }
    }
    return new Intl.DateTimeFormat("nb-NO", options);
  }

  const fullTime = new Intl.DateTimeFormat("nb-NO", {
    timeZone: ZONE, day: "2-digit", month: "2-digit", year: "numeric",
    hour: "2-digit", minute: "2-digit",
  });

  // Round tick steps (1, 2, 5 × 10^n) for the value axis.
  function ticks(low, high, count) {
    const span = high - low || Math.abs(high) || 1;
    const raw = span / count;
    const power = Math.pow(10, Math.floor(Math.log10(raw)));
    const step = [1, 2, 5, 10].map((f) => f * power).find((s) => s >= raw);
    const first = Math.ceil(low / step) * step;
    const values = [];
    for (let v = first; v <= high + step * 1e-9; v += step) values.push(v);
    return { values, step };
  }

  // Ticks on whole hours or days of local time, at most `count` of them.
  const TIME_STEPS_MS = [1, 2, 3, 6, 12, 24, 48, 168].map((hours) => hours * 3600000);
  function timeTicks(start, end, count) {
    const step = TIME_STEPS_MS.find((s) => (end - start) / s <= count) || TIME_STEPS_MS.at(-1);
    const offset = new Date(start).getTimezoneOffset() * 60000;
    const values = [];
    for (let t = Math.ceil((start - offset) / step) * step + offset; t <= end; t += step) {
      values.push(t);
    }
    return values;
  }

  function message(plot, text, className) {
    plot.replaceChildren();
    const p = document.createElement("p");
    p.className = className;
    p.textContent = text;
    plot.appendChild(p);
  }

  function draw(figure, series) {
    const plot = figure.querySelector(".plot");
    const unit = figure.dataset.unit || "";
    const decimals = Number(figure.dataset.decimals || "1");
    const values = series.samples.map((s) => s.value);
    const times = series.samples.map((s) => Date.parse(s.time));
    if (!values.length) {
      message(plot, "No readings in this period.", "loading");
      return;
    }
    const start = Date.parse(series.start);
    const end = Date.parse(series.end);
    const width = Math.max(plot.clientWidth || 800, 320);
    let low = Math.min(...values);
    let high = Math.max(...values);
    const margin = (high - low) * 0.06 || Math.abs(high) * 0.05 || 1;
    low -= margin;
    high += margin;
    const yTicks = ticks(low, high, 5);
    const tickDecimals = Math.max(0, -Math.floor(Math.log10(yTicks.step)));
    const x = (t) => PAD.left + ((t - start) / (end - start)) * (width - PAD.left - PAD.right);
    const y = (v) => PAD.top + (1 - (v - low) / (high - low)) * (HEIGHT - PAD.top - PAD.bottom);

    const root = svg("svg", {
      viewBox: `0 0 ${width} ${HEIGHT}`,
      role: "img",
      "aria-label": `${figure.dataset.label} ${unit}`,
      preserveAspectRatio: "none",
    });
    const axis = svg("g", { class: "axis" }, root);
    const yFormat = numberFormat(Math.min(tickDecimals, 3));
    for (const v of yTicks.values) {
      svg("line", { class: "grid", x1: PAD.left, x2: width - PAD.right, y1: y(v), y2: y(v) }, axis);
      const label = svg("text", { x: PAD.left - 6, y: y(v) + 4, "text-anchor": "end" }, axis);
      label.textContent = yFormat.format(v);
    }
    const unitLabel = svg("text", { x: 4, y: PAD.top - 2 }, axis);
    unitLabel.textContent = unit;
    const xFormat = timeFormat(end - start);
    for (const t of timeTicks(start, end, Math.max(2, Math.floor(width / 110)))) {
      const label = svg("text", { x: x(t), y: HEIGHT - 10, "text-anchor": "middle" }, axis);
      label.textContent = xFormat.format(new Date(t));
    }

    // One path; a gap longer than 2.5 buckets (or readings) breaks the line rather than
    // drawing a slope through hours without data.
    const stepMs = (series.every_s || 0) * 1000 || medianStep(times);
    let d = "";
    for (let i = 0; i < values.length; i += 1) {
      const move = i === 0 || times[i] - times[i - 1] > 2.5 * stepMs;
      d += `${move ? "M" : "L"}${x(times[i]).toFixed(1)},${y(values[i]).toFixed(1)}`;
    }
    svg("path", { class: "line", d }, root);
    if (values.length === 1) svg("circle", { class: "dot", cx: x(times[0]), cy: y(values[0]), r: 3 }, root);

    const valueFormat = numberFormat(decimals);
    const cursor = svg("line", { class: "cursor", y1: PAD.top, y2: HEIGHT - PAD.bottom, visibility: "hidden" }, root);
    const dot = svg("circle", { class: "dot", r: 4, visibility: "hidden" }, root);
    const tipBg = svg("rect", { class: "tip-bg", height: 18, visibility: "hidden" }, root);
    const tip = svg("text", { class: "tip", visibility: "hidden" }, root);
    const hit = svg("rect", { x: PAD.left, y: PAD.top, width: width - PAD.left - PAD.right, height: HEIGHT - PAD.top - PAD.bottom, fill: "transparent" }, root);
    hit.addEventListener("mousemove", (event) => {
      const box = root.getBoundingClientRect();
      const px = ((event.clientX - box.left) / box.width) * width;
      const t = start + ((px - PAD.left) / (width - PAD.left - PAD.right)) * (end - start);
      const i = nearest(times, t);
      const cx = x(times[i]);
      const cy = y(values[i]);
      for (const node of [cursor, dot, tip, tipBg]) node.setAttribute("visibility", "visible");
      cursor.setAttribute("x1", cx);
      cursor.setAttribute("x2", cx);
      dot.setAttribute("cx", cx);
      dot.setAttribute("cy", cy);
      tip.textContent = `${valueFormat.format(values[i])} ${unit} · ${fullTime.format(new Date(times[i]))}`;
      const tipWidth = tip.getComputedTextLength ? tip.getComputedTextLength() : 180;
      const tx = Math.min(Math.max(cx - tipWidth / 2, PAD.left), width - PAD.right - tipWidth);
      tip.setAttribute("x", tx);
      tip.setAttribute("y", PAD.top + 12);
      tipBg.setAttribute("x", tx - 4);
      tipBg.setAttribute("y", PAD.top - 2);
      tipBg.setAttribute("width", tipWidth + 8);
    });
    hit.addEventListener("mouseleave", () => {
      for (const node of [cursor, dot, tip, tipBg]) node.setAttribute("visibility", "hidden");
    });

    plot.replaceChildren(root);
    const stats = document.createElement("p");
    stats.className = "chart-stats";
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    stats.textContent =
      `min ${valueFormat.format(Math.min(...values))} · mean ${valueFormat.format(mean)}` +
      ` · max ${valueFormat.format(Math.max(...values))} ${unit} · ${values.length} samples`;
    plot.appendChild(stats);
  }

  function medianStep(times) {
    if (times.length < 2) return 60000;
    const steps = [];
    for (let i = 1; i < times.length; i += 1) steps.push(times[i] - times[i - 1]);
    steps.sort((a, b) => a - b);
    return steps[Math.floor(steps.length / 2)];
  }

  function nearest(times, t) {
    let lo = 0;
    let hi = times.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (times[mid] < t) lo = mid + 1;
      else hi = mid;
    }
    if (lo > 0 && Math.abs(times[lo - 1] - t) < Math.abs(times[lo] - t)) return lo - 1;
    return lo;
  }

  async function problemText(response) {
    try {
      const problem = await response.json();
      return problem.detail || problem.title || `HTTP ${response.status}`;
    } catch (error) {
      return `HTTP ${response.status}`;
    }
  }

  async function loadChart(figure) {
    const plot = figure.querySelector(".plot");
    const end = Date.now();
    const start = end - Number(figure.dataset.rangeMs);
    const url = new URL(figure.dataset.seriesUrl, window.location.href);
    url.searchParams.set("start", new Date(start).toISOString());
    url.searchParams.set("end", new Date(end).toISOString());
    url.searchParams.set("every", figure.dataset.every);
    url.searchParams.set("agg", "mean");
    try {
      const response = await fetch(url, { headers: { Accept: "application/json" } });
      if (!response.ok) {
        message(plot, `The chart could not be loaded: ${await problemText(response)}`, "error");
        return;
      }
      const series = await response.json();
      draw(figure, series);
      let resizeTimer = 0;
      window.addEventListener("resize", () => {
        window.clearTimeout(resizeTimer);
        resizeTimer = window.setTimeout(() => draw(figure, series), 150);
      });
    } catch (error) {
      message(plot, "The chart could not be loaded: the server did not answer.", "error");
    }
  }

  // The likely cause and what to check, per kind of finding: one request for the page.
  async function loadAdvice() {
    const boxes = document.querySelectorAll(".advice[data-kind]");
    if (!boxes.length) return;
    try {
      const root = document.body.dataset.root || "";
      const response = await fetch(`${root}/api/v1/findings/kinds`, {
        headers: { Accept: "application/json" },
      });
      if (!response.ok) return;
      const byKind = new Map((await response.json()).items.map((item) => [item.kind, item]));
      for (const box of boxes) {
        const advice = byKind.get(box.dataset.kind);
        if (!advice) continue;
        for (const part of ["cause", "check"]) {
          const slot = box.querySelector(`[data-advice="${part}"]`);
          if (slot) slot.textContent = advice[part].en;
        }
        box.hidden = false;
      }
    } catch (error) {
      // Without the advice the card still shows the finding and its evidence.
    }
  }

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
            errorLine.textContent = "The server did not answer; try again.";
            errorLine.hidden = false;
          }
        }
        button.disabled = false;
      });
    }
  }

  function setUp() {
    for (const select of document.querySelectorAll("select[data-autosubmit]")) {
      select.addEventListener("change", () => select.form.submit());
    }
    setUpFindingActions();
    loadAdvice();
    const figure = document.getElementById("chart");
    if (figure) loadChart(figure);
    const refreshS = Number(document.body.dataset.refreshS || "0");
    if (refreshS > 0) window.setTimeout(() => window.location.reload(), refreshS * 1000);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", setUp);
  else setUp();
})();
