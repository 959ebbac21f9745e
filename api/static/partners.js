// Byggpuls partners page: creates partners, grants and revokes through the JSON API with the
// session's CSRF token (as dashboard.js sends finding actions), and shows the credentials an
// answer carries, once. Text from the server is only ever set with textContent.
"use strict";

(function () {
  const SENSITIVE = "sensitive";
  const RANK = { open: 0, internal: 1, sensitive: 2 };

  function readJson(id) {
    const node = document.getElementById(id);
    if (!node) return null;
    try {
      return JSON.parse(node.textContent);
    } catch (error) {
      return null;
    }
  }

  const data = readJson("partner-data") || { types: {}, classes: {}, min_reason: 10 };
  const texts = readJson("partner-texts") || {};

  function t(key) {
    return texts[key] || key;
  }

  function problemText(problem, status) {
    if (!problem) return `HTTP ${status}`;
    const main = problem.detail || problem.title || `HTTP ${status}`;
    const more = (problem.errors || []).map((error) => error.detail).filter((d) => d && d !== main);
    return [main, ...more].join(" ");
  }

  // POST ``body`` (if any) as JSON with the page's CSRF token; the answer's JSON, or an Error
  // with the problem's text.
  async function post(url, body) {
    const headers = { Accept: "application/json" };
    const token = document.querySelector('meta[name="csrf-token"]');
    if (token) headers["X-CSRF-Token"] = token.content;
    const request = { method: "POST", headers };
    if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      request.body = JSON.stringify(body);
    }
    let response;
    try {
      response = await fetch(url, request);
    } catch (error) {
      throw new Error(t("retry"));
    }
    const answer = await response.json().catch(() => null);
    if (!response.ok) throw new Error(problemText(answer, response.status));
    return answer;
  }

  function showError(line, error) {
    if (!line) return;
    line.textContent = error.message;
    line.hidden = false;
  }

  // The start of a date picked in a date field, in the browser's time zone, as RFC 3339.
  function dayStart(value) {
    return new Date(`${value}T00:00:00`).toISOString();
  }

  // -- Credentials: shown once ---------------------------------------------------------------

  function showCredentials(partner, apiKey, mqtt) {
    const panel = document.getElementById("credentials");
    if (!panel) return;
    const values = {
      partner,
      token: apiKey ? apiKey.token : "",
      url: mqtt.url,
      username: mqtt.username,
      password: mqtt.password,
      topics: mqtt.topics.join(", "),
      command: mqtt.command,
    };
    for (const node of panel.querySelectorAll("[data-field]")) {
      node.textContent = values[node.dataset.field] || "";
    }
    for (const node of panel.querySelectorAll('[data-row="token"]')) node.hidden = !apiKey;
    for (const node of panel.querySelectorAll('[data-row="no-topics"]')) node.hidden = mqtt.topics.length > 0;
    panel.hidden = false;
    panel.scrollIntoView({ block: "start" });
  }

  function setUpCopy() {
    for (const button of document.querySelectorAll("button[data-copy]")) {
      button.addEventListener("click", async () => {
        const source = document.getElementById(button.dataset.copy);
        if (!source) return;
        try {
          await navigator.clipboard.writeText(source.textContent);
          button.textContent = t("copied");
        } catch (error) {
          // No clipboard (a page over plain HTTP): select the text for Ctrl+C.
          const range = document.createRange();
          range.selectNodeContents(source);
          const selection = window.getSelection();
          selection.removeAllRanges();
          selection.addRange(range);
        }
      });
    }
  }

  // -- Buttons: reissue, disable, enable, revoke --------------------------------------------

  function setUpChanges() {
    const errorLine = document.getElementById("page-error");
    for (const button of document.querySelectorAll("button[data-change-url]")) {
      button.addEventListener("click", async () => {
        if (button.dataset.confirm && !window.confirm(t(button.dataset.confirm))) return;
        button.disabled = true;
        try {
          const answer = await post(button.dataset.changeUrl);
          if (button.dataset.then === "credentials") {
            showCredentials(answer.partner.username, null, answer.mqtt);
          } else {
            window.location.reload();
            return;
          }
        } catch (error) {
          showError(errorLine, error);
        }
        button.disabled = false;
      });
    }
  }

  // -- Forms ------------------------------------------------------------------------------------

  function setUpPartnerForm() {
    const form = document.getElementById("partner-form");
    if (!form) return;
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const fields = form.elements;
      const body = { username: fields.username.value.trim().toLowerCase() };
      if (fields.display_name.value.trim()) body.display_name = fields.display_name.value.trim();
      if (fields.key_name.value.trim()) body.key_name = fields.key_name.value.trim();
      if (fields.key_expires.value) body.key_expires_at = dayStart(fields.key_expires.value);
      await submit(form, body, (created) => {
        form.reset();
        showCredentials(created.partner.username, created.api_key, created.mqtt);
      });
    });
  }

  async function submit(form, body, done) {
    const button = form.querySelector('button[type="submit"]');
    const line = form.querySelector(".action-error");
    button.disabled = true;
    if (line) line.hidden = true;
    try {
      done(await post(form.dataset.url, body));
    } catch (error) {
      showError(line, error);
    }
    button.disabled = false;
  }

  // The building types a grant form's choice covers; empty while it names no known building.
  function chosenTypes(form) {
    const fields = form.elements;
    if (fields.scope.value === "type") return [fields.building_type.value];
    return buildingIds(form).map((id) => data.types[id]).filter(Boolean);
  }

  function buildingIds(form) {
    return form.elements.buildings.value.split(/[\s,]+/).map((id) => id.trim()).filter(Boolean);
  }

  function classOf(domain, types) {
    const classes = data.classes[domain] || {};
    return types
      .map((type) => classes[type] || SENSITIVE)
      .reduce((most, cls) => (RANK[cls] > RANK[most] ? cls : most), "open");
  }

  // Label each domain with its class in the chosen buildings, and ask for a reason exactly
  // when a ticked domain is sensitive there (or might be, before buildings are chosen).
  function updateGrantForm(form, general) {
    const types = chosenTypes(form);
    let needsReason = false;
    for (const box of form.querySelectorAll('input[name="domain"]')) {
      const label = form.querySelector(`[data-class-of="${box.value}"]`);
      const cls = types.length ? classOf(box.value, types) : null;
      if (label) label.textContent = cls ? `(${t(cls)})` : general.get(box.value);
      const sensitive = cls ? cls === SENSITIVE : (data.classes[box.value] &&
        Object.values(data.classes[box.value]).includes(SENSITIVE));
      if (box.checked && sensitive) needsReason = true;
    }
    const reason = form.elements.reason;
    reason.required = needsReason;
    reason.minLength = needsReason ? data.min_reason : 0;
    const hint = form.querySelector("[data-reason-hint]");
    if (hint) hint.classList.toggle("alert", needsReason);
  }

  function setUpGrantForm() {
    const form = document.getElementById("grant-form");
    if (!form) return;
    const general = new Map();
    for (const label of form.querySelectorAll("[data-class-of]")) general.set(label.dataset.classOf, label.textContent);
    const update = () => updateGrantForm(form, general);
    form.addEventListener("change", update);
    form.elements.buildings.addEventListener("input", update);
    update();
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const fields = form.elements;
      const body = {
        partner: fields.partner.value,
        domains: [...form.querySelectorAll('input[name="domain"]:checked')].map((box) => box.value),
        expires_at: dayStart(fields.expires.value),
      };
      if (fields.scope.value === "type") body.building_type = fields.building_type.value;
      else body.buildings = buildingIds(form);
      if (fields.reason.value.trim()) body.reason = fields.reason.value.trim();
      await submit(form, body, () => window.location.reload());
    });
  }

  function setUp() {
    setUpCopy();
    setUpChanges();
    setUpPartnerForm();
    setUpGrantForm();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", setUp);
  else setUp();
})();
