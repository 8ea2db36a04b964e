/* Admin screens: sites, gerai, opening hours, holidays and API tokens, for an admin token only.
   Kept apart from app.js: it reloads whenever the dashboard has (app.js stamps body[data-loaded]) and uses
   app.js's state, $, api, json, cell, fillTable and showError. A new token's secret is shown once, in the
   page only: never stored, never logged. */
"use strict";

const ADMIN_I18N = {
  id: {
    admin: "Administrasi", sites: "MPP", gerai: "Gerai", hours: "Jam layanan", holidays: "Hari libur",
    tokens: "Token API", code: "Kode", name: "Nama", timezone: "Zona waktu", threshold: "Ambang cakupan (%)",
    save: "Simpan", add_site: "Tambah MPP", new_site_code: "kode-mpp-baru", zones: "Zona",
    zones_help: "Zona: perangkat:zona:peran, dipisah koma (peran staff, queue atau visitor).",
    source: "Sumber", config: "diatur admin", telemetry: "dari perangkat", reset: "Kembalikan",
    add_gerai: "Tambah gerai", day: "Hari", open_hours: "Jam buka (mis. 08:00-12:00, 13:00-16:00; kosong: tutup)",
    save_hours: "Simpan jam layanan", hours_default: "Belum diatur: berlaku bawaan Senin–Jumat 08:00–16:00.",
    hours_config: "Diatur admin.", date: "Tanggal", status: "Status", closed: "tutup", open: "buka",
    national: "nasional", cuti_bersama: "cuti bersama", site: "MPP ini", close_day: "Tutup", open_day: "Buka",
    add_holiday: "Tambah hari libur", holiday_name: "Nama hari libur", label: "Untuk", role: "Peran",
    scope: "MPP", created: "Dibuat", expires: "Kedaluwarsa", never: "tidak pernah", all_sites: "semua",
    revoke: "Cabut", create_token: "Buat token", token_label: "Untuk siapa", viewer: "pembaca",
    admin_role: "admin", secret_once: "Token ini hanya ditampilkan sekali. Salin sekarang dan berikan kepada pemiliknya.",
    copy: "Salin", done: "Selesai", saved: "Tersimpan.", revoke_confirm: "Cabut token ini? Pemiliknya tidak bisa masuk lagi.",
    weekdays: ["Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu"], bad_hours: "Jam tidak valid",
  },
  en: {
    admin: "Administration", sites: "Sites", gerai: "Gerai", hours: "Opening hours", holidays: "Holidays",
    tokens: "API tokens", code: "Code", name: "Name", timezone: "Timezone", threshold: "Coverage threshold (%)",
    save: "Save", add_site: "Add site", new_site_code: "new-site-code", zones: "Zones",
    zones_help: "Zones: device:zone:role, comma separated (role staff, queue or visitor).",
    source: "Source", config: "set by admin", telemetry: "from devices", reset: "Reset",
    add_gerai: "Add gerai", day: "Day", open_hours: "Open (e.g. 08:00-12:00, 13:00-16:00; empty: closed)",
    save_hours: "Save opening hours", hours_default: "Not set: the default Monday–Friday 08:00–16:00 applies.",
    hours_config: "Set by admin.", date: "Date", status: "Status", closed: "closed", open: "open",
    national: "national", cuti_bersama: "joint leave", site: "this site", close_day: "Close", open_day: "Open",
    add_holiday: "Add holiday", holiday_name: "Holiday name", label: "For", role: "Role",
    scope: "Sites", created: "Created", expires: "Expires", never: "never", all_sites: "all",
    revoke: "Revoke", create_token: "Create token", token_label: "Who it is for", viewer: "viewer",
    admin_role: "admin", secret_once: "This token is shown only once. Copy it now and hand it to its owner.",
    copy: "Copy", done: "Done", saved: "Saved.", revoke_confirm: "Revoke this token? Its owner can no longer log in.",
    weekdays: ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"], bad_hours: "Invalid hours",
  },
};
const at = (key) => ADMIN_I18N[state.lang][key] || key;

/* PUT/POST/DELETE with the token; the error carries the API's detail (a 422 names the field). */
async function apiSend(method, path, body) {
  const headers = { Authorization: `Bearer ${state.token}` };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(`/api/v1${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  if (!response.ok) {
    let detail = response.statusText;
    try {
      const raw = (await response.json()).detail;
      detail = Array.isArray(raw) ? raw.map((e) => `${e.loc.slice(1).join(".")}: ${e.msg}`).join("; ") : String(raw);
    } catch (_) { /* not JSON */ }
    throw new ApiError(response.status, detail);
  }
  return response.status === 204 ? null : response.json();
}

function adminSaid(text, bad = false) {
  const box = $("admin-status");
  box.hidden = false;
  box.textContent = text;
  box.classList.toggle("error", bad);
}

/* Runs an admin action; a failure shows in the card, a success reloads the screens. */
async function adminDo(action) {
  try {
    await action();
    adminSaid(at("saved"));
    await loadAdmin();
  } catch (err) { adminSaid(`${t("error")}: ${err.message}`, true); }
}

function input(value, attrs = {}) {
  const el = document.createElement("input");
  el.value = value === null || value === undefined ? "" : String(value);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  return el;
}

function button(label, onClick, attrs = {}) {
  const el = cell("button", label);
  el.type = "button";
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  el.addEventListener("click", onClick);
  return el;
}

function localDate(iso) {
  return iso ? new Date(iso).toLocaleDateString(state.lang === "id" ? "id-ID" : "en-GB") : at("never");
}

function drawSites(sites) {
  fillTable($("admin-sites"), [[at("code")], [at("name")], [at("timezone")], [at("threshold")], [""]],
    sites.map((s) => {
      const name = input(s.name, { "data-field": "name", "aria-label": at("name") });
      const tz = input(s.timezone, { "data-field": "timezone", "aria-label": at("timezone") });
      const pct = input(Math.round(s.complete_at * 1000) / 10, { type: "number", min: "1", max: "100", step: "0.1", "data-field": "threshold" });
      const save = button(at("save"), () => adminDo(() => apiSend("PUT", `/sites/${s.site}`, {
        name: name.value.trim() || null, timezone: tz.value.trim() || null,
        coverage_threshold: pct.value ? Number(pct.value) / 100 : null,
      })), { "data-site": s.site });
      return [s.site, name, tz, pct, save];
    }));
}

function zonesText(zones) { return zones.map((z) => `${z.device}:${z.zone}:${z.role}`).join(", "); }

function parseZones(text) {
  return text.split(",").map((part) => part.trim()).filter(Boolean).map((part) => {
    const [device, zone, role] = part.split(":").map((x) => (x || "").trim());
    return { device, zone, role: role || "staff" };
  });
}

function drawGerai(gerai) {
  const rows = gerai.map((g) => {
    const name = input(g.name, { "data-field": "name", "aria-label": at("name") });
    const zones = input(zonesText(g.zones), { "data-field": "zones", "aria-label": at("zones") });
    const save = button(at("save"), () => adminDo(() => apiSend("PUT", `/sites/${state.site}/gerai/${g.gerai}`,
      { name: name.value.trim() || null, zones: parseZones(zones.value) })), { "data-gerai": g.gerai });
    const actions = document.createElement("span");
    actions.appendChild(save);
    if (g.source === "config") {
      actions.appendChild(button(at("reset"), () => adminDo(() => apiSend("DELETE", `/sites/${state.site}/gerai/${g.gerai}`))));
    }
    return [g.gerai, name, zones, at(g.source), actions];
  });
  const code = input("", { "aria-label": at("code"), placeholder: "kode-gerai", "data-field": "new-gerai" });
  const name = input("", { "aria-label": at("name") });
  const zones = input("", { "aria-label": at("zones"), placeholder: "cam-1:zona-petugas:staff" });
  rows.push([code, name, zones, "", button(at("add_gerai"), () => adminDo(() => apiSend("PUT",
    `/sites/${state.site}/gerai/${code.value.trim()}`, { name: name.value.trim() || null, zones: parseZones(zones.value) })))]);
  fillTable($("admin-gerai"), [[at("code")], [at("name")], [at("zones")], [at("source")], [""]], rows);
}

function drawHours(hours) {
  $("admin-hours-source").textContent = at(hours.source === "config" ? "hours_config" : "hours_default");
  const byDay = {};
  for (const d of hours.days) (byDay[d.weekday] = byDay[d.weekday] || []).push(`${d.opens}-${d.closes}`);
  fillTable($("admin-hours"), [[at("day")], [at("open_hours")]], at("weekdays").map((day, i) =>
    [day, input((byDay[i] || []).join(", "), { "data-weekday": String(i), "aria-label": day, pattern: "[0-9:, -]*" })]));
  $("admin-hours").dataset.holidays = JSON.stringify(hours.holidays); // kept as they are on save
}

function hoursBody() {
  const days = [];
  for (const el of document.querySelectorAll("#admin-hours input[data-weekday]")) {
    for (const span of el.value.split(",").map((x) => x.trim()).filter(Boolean)) {
      const m = span.match(/^(\d{1,2}:\d{2})\s*[-–]\s*(\d{1,2}:\d{2})$/);
      if (!m) throw new Error(`${at("bad_hours")}: ${span}`);
      const pad = (x) => x.padStart(5, "0");
      days.push({ weekday: Number(el.dataset.weekday), opens: pad(m[1]), closes: pad(m[2]) });
    }
  }
  return { days, holidays: JSON.parse($("admin-hours").dataset.holidays || "[]") };
}

function drawHolidays(calendar) {
  fillTable($("admin-holidays"), [[at("date")], [at("name")], [at("source")], [at("status")], [""]],
    calendar.holidays.map((h) => {
      const action = h.closed
        ? button(at("open_day"), () => adminDo(() => apiSend("DELETE", `/sites/${state.site}/holidays/${h.date}?lang=${state.lang}`)), { "data-day": h.date })
        : button(at("close_day"), () => adminDo(() => apiSend("PUT", `/sites/${state.site}/holidays/${h.date}?lang=${state.lang}`, { name: h.name })), { "data-day": h.date });
      return [h.date, h.name, at(h.source), at(h.closed ? "closed" : "open"), action];
    }));
  for (const [i, tr] of [...$("admin-holidays").querySelectorAll("tr")].slice(1).entries()) {
    if (calendar.holidays[i]) { tr.dataset.day = calendar.holidays[i].date; tr.classList.toggle("opened", !calendar.holidays[i].closed); }
  }
}

function drawTokens(tokens) {
  fillTable($("admin-tokens"), [["#"], [at("label")], [at("role")], [at("scope")], [at("created")], [at("expires")], [""]],
    tokens.map((tk) => [tk.id, tk.label, at(tk.role === "admin" ? "admin_role" : "viewer"),
      tk.sites ? tk.sites.join(", ") : at("all_sites"), localDate(tk.created_at), localDate(tk.expires_at),
      // The admin token from MPP_API_TOKEN is replaced by changing that variable, not revoked here.
      tk.label === "MPP_API_TOKEN" ? "" : button(at("revoke"), () => {
        if (window.confirm(at("revoke_confirm"))) adminDo(() => apiSend("DELETE", `/tokens/${tk.id}`));
      }, { "data-token": String(tk.id) })]));
  const picker = $("admin-token-sites");
  const chosen = new Set([...picker.selectedOptions].map((o) => o.value));
  picker.replaceChildren(...state.sites.map((s) => { const o = cell("option", s.name); o.value = s.site; o.selected = chosen.has(s.site); return o; }));
}

function yearChoices() {
  const select = $("admin-year");
  const now = new Date(state.now || Date.now()).getFullYear();
  if (!select.options.length) {
    for (let y = now + 1; y >= now - 3; y -= 1) { const o = cell("option", String(y)); o.value = String(y); select.appendChild(o); }
    select.value = String(now);
  }
  return select.value;
}

async function loadAdmin() {
  for (const el of document.querySelectorAll("[data-admin-i18n]")) el.textContent = at(el.dataset.adminI18n);
  for (const el of document.querySelectorAll("[data-admin-ph]")) el.placeholder = at(el.dataset.adminPh);
  const me = await json("/me");
  $("admin-card").hidden = me.role !== "admin";
  if (me.role !== "admin") return;
  const sites = await json("/sites");
  state.sites = sites;
  drawSites(sites);
  for (const option of $("site").options) { // a renamed site shows its new name in the header too
    const site = sites.find((s) => s.site === option.value);
    if (site) option.textContent = site.name;
  }
  for (const el of document.querySelectorAll(".admin-site-name")) {
    el.textContent = (sites.find((s) => s.site === state.site) || {}).name || state.site || "";
  }
  const [tokens] = await Promise.all([json("/tokens"), state.site ? Promise.all([
    json(`/sites/${state.site}/gerai`).then(drawGerai),
    json(`/sites/${state.site}/opening-hours`).then(drawHours),
    json(`/sites/${state.site}/holidays`, { year: yearChoices(), lang: state.lang }).then(drawHolidays),
  ]) : null]);
  drawTokens(tokens);
  $("admin-card").dataset.loaded = String(Date.now());
}

async function createToken(event) {
  event.preventDefault();
  const role = $("admin-token-role").value;
  const sites = [...$("admin-token-sites").selectedOptions].map((o) => o.value);
  const expires = $("admin-token-expires").value;
  const body = { label: $("admin-token-label").value.trim(), role };
  if (role === "viewer" && sites.length) body.sites = sites;
  if (expires) body.expires_at = new Date(`${expires}T00:00:00`).toISOString();
  try {
    const created = await apiSend("POST", "/tokens", body);
    $("admin-secret").value = created.token; // shown here once; the API never returns it again
    $("admin-secret-box").hidden = false;
    $("admin-token-new").reset();
    adminSaid(at("saved"));
    drawTokens(await json("/tokens"));
  } catch (err) { adminSaid(`${t("error")}: ${err.message}`, true); }
}

document.addEventListener("DOMContentLoaded", () => {
  const reload = () => loadAdmin().catch((err) => adminSaid(`${t("error")}: ${err.message}`, true));
  new MutationObserver(reload).observe(document.body, { attributes: true, attributeFilter: ["data-loaded"] });
  $("admin-site-new").addEventListener("submit", (event) => {
    event.preventDefault();
    const code = $("admin-site-code").value.trim();
    adminDo(async () => { await apiSend("PUT", `/sites/${code}`, { name: null }); $("admin-site-code").value = ""; });
  });
  $("admin-hours-save").addEventListener("click", () => adminDo(() => apiSend("PUT", `/sites/${state.site}/opening-hours`, hoursBody())));
  $("admin-year").addEventListener("change", reload);
  $("admin-holiday-new").addEventListener("submit", (event) => {
    event.preventDefault();
    const day = $("admin-holiday-date").value;
    adminDo(async () => {
      await apiSend("PUT", `/sites/${state.site}/holidays/${day}?lang=${state.lang}`, { name: $("admin-holiday-name").value.trim() });
      $("admin-year").value = day.slice(0, 4);
      $("admin-holiday-new").reset();
    });
  });
  $("admin-token-new").addEventListener("submit", createToken);
  $("admin-secret-copy").addEventListener("click", () => navigator.clipboard && navigator.clipboard.writeText($("admin-secret").value).catch(() => {}));
  $("admin-secret-hide").addEventListener("click", () => { $("admin-secret").value = ""; $("admin-secret-box").hidden = true; });
});
