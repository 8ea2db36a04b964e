/* MPP Counter dashboard: calls the API only, with the bearer token kept in localStorage. */
"use strict";

// Sites one comparison shows: GET /footfall refuses more. The same number as
// collector/report/footfall.py MAX_COMPARED_SITES (a unit test holds them equal).
const MAX_COMPARED_SITES = 20;

const I18N = {
  id: {
    title: "Pengunjung MPP", site: "MPP", logout: "Keluar", login_title: "Masukkan token API",
    login_help: "Token diberikan oleh admin kolektor. Token disimpan di peramban ini.", login: "Masuk",
    bad_token: "Token tidak valid.", footfall: "Pengunjung", daily: "Harian", monthly: "Bulanan", csv: "CSV",
    compare: "Perbandingan antar MPP (per bulan)", live: "Okupansi terkini", devices: "Status perangkat",
    occupancy: "Okupansi per gerai", today: "Hari ini", week: "7 hari",
    staffing: "Kehadiran petugas per gerai", waiting: "Antrean dan lama tunggu per gerai",
    report: "Laporan bulanan", open_report: "Buka laporan", footer: "Tidak ada gambar yang meninggalkan kamera.",
    in: "Masuk", out: "Keluar", zone: "Zona", people: "Orang (rata-rata)", max: "Maks", at: "Pukul",
    device: "Perangkat", state: "Status", last_seen: "Terakhir terlihat", fps: "FPS", silent: "senyap",
    online: "daring", offline: "luring", gerai: "Gerai", visits: "Kunjungan", p50: "Median tunggu",
    p90: "P90 tunggu", queue: "Antrean rata-rata (jam buka)", staffed: "terisi", unstaffed: "Kosong", unobserved: "Tak teramati",
    none: "Belum ada data.", min: "menit", error: "Gagal memuat", role_staff: "petugas", role_queue: "antrean",
    cover_tip: "kamera pintu aktif {pct} % dari jam buka", closed: "tutup",
    incomplete_note: "{n} periode tidak lengkap (abu-abu): kamera pintu aktif di bawah {pct} % dari jam buka. Angkanya batas bawah, bukan perkiraan.",
    observed_pct: "% teramati", staffed_pct: "% terisi", backlog: "Antrean kirim",
    audit: "Akurasi terverifikasi",
  },
  en: {
    title: "MPP Visitors", site: "Site", logout: "Log out", login_title: "Enter your API token",
    login_help: "The collector's admin gives you a token. It is kept in this browser.", login: "Log in",
    bad_token: "Invalid token.", footfall: "Visitors", daily: "Daily", monthly: "Monthly", csv: "CSV",
    compare: "Comparison with other sites (monthly)", live: "Live occupancy", devices: "Device status",
    occupancy: "Occupancy per gerai", today: "Today", week: "7 days",
    staffing: "Staff presence per gerai", waiting: "Queue and waiting time per gerai",
    report: "Monthly report", open_report: "Open report", footer: "No image ever leaves a camera.",
    in: "In", out: "Out", zone: "Zone", people: "People (mean)", max: "Max", at: "At",
    device: "Device", state: "State", last_seen: "Last seen", fps: "FPS", silent: "silent",
    online: "online", offline: "offline", gerai: "Gerai", visits: "Visits", p50: "Median wait",
    p90: "P90 wait", queue: "Mean queue (opening hours)", staffed: "staffed", unstaffed: "Unstaffed", unobserved: "Not observed",
    none: "No data yet.", min: "min", error: "Could not load", role_staff: "staff", role_queue: "queue",
    cover_tip: "entrance camera active {pct} % of opening hours", closed: "closed",
    incomplete_note: "{n} incomplete periods (grey): entrance camera active under {pct} % of opening hours. Their counts are a lower bound, not an estimate.",
    observed_pct: "% observed", staffed_pct: "% staffed", backlog: "Outbox backlog",
    audit: "Verified accuracy",
  },
};
const INCOMPLETE = "#b8b8b8"; // footfall bars of periods the entrance cameras did not fully observe
const NOT_OBSERVED = "#cfcfcf"; // staffing cells of hours the camera saw too little of
const COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"];

const state = {
  lang: localStorage.getItem("mpp.lang") || "id",
  token: localStorage.getItem("mpp.token"),
  site: localStorage.getItem("mpp.site"),
  sites: [],
  granularity: "day",
  now: null,
  charts: {},
};

const $ = (id) => document.getElementById(id);
const t = (key) => I18N[state.lang][key] || key;
const fmt = (key, values) => t(key).replace(/\{(\w+)\}/g, (_, k) => String(values[k]));

class ApiError extends Error {
  constructor(status, detail) { super(detail); this.status = status; }
}

async function api(path, params = {}) {
  const url = new URL(`/api/v1${path}`, window.location.origin);
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null) url.searchParams.set(k, v);
  const response = await fetch(url, { headers: { Authorization: `Bearer ${state.token}` } });
  if (!response.ok) {
    let detail = response.statusText;
    try { detail = JSON.stringify((await response.json()).detail); } catch (_) { /* not JSON */ }
    throw new ApiError(response.status, detail);
  }
  return response;
}
const json = async (path, params) => (await api(path, params)).json();

function applyLanguage() {
  document.documentElement.lang = state.lang;
  for (const el of document.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  $("lang").textContent = state.lang === "id" ? "EN" : "ID";
}

function showError(where, err) {
  const box = $("error");
  box.hidden = false;
  box.textContent = `${t("error")} ${where}: ${err.message}`;
}

function cell(tag, text, cls) {
  const el = document.createElement(tag);
  el.textContent = text;
  if (cls) el.className = cls;
  return el;
}

function fillTable(table, headers, rows) {
  table.replaceChildren();
  const head = document.createElement("tr");
  headers.forEach(([label, cls]) => head.appendChild(cell("th", label, cls)));
  table.appendChild(head);
  if (!rows.length) {
    const tr = document.createElement("tr");
    const td = cell("td", t("none"));
    td.colSpan = headers.length;
    tr.appendChild(td);
    table.appendChild(tr);
  }
  for (const row of rows) {
    const tr = document.createElement("tr");
    row.forEach((value, i) => {
      if (value instanceof Node) { const td = document.createElement("td"); td.appendChild(value); tr.appendChild(td); }
      else tr.appendChild(cell("td", value === null || value === undefined ? "–" : String(value), headers[i][1]));
    });
    table.appendChild(tr);
  }
}

function drawChart(id, type, labels, datasets, stacked = false, plugins = {}) {
  const existing = state.charts[id];
  if (existing) existing.destroy();
  const canvas = $(id);
  canvas.dataset.points = String(datasets.reduce((n, d) => n + d.data.filter((v) => v !== null).length, 0));
  state.charts[id] = new Chart(canvas, {
    type,
    data: {
      labels,
      datasets: datasets.map((d, i) => ({
        borderColor: COLORS[i % COLORS.length], backgroundColor: COLORS[i % COLORS.length],
        pointRadius: 0, borderWidth: 2, ...d,
      })),
    },
    options: {
      animation: false, responsive: true, maintainAspectRatio: false, interaction: { mode: "index", intersect: false },
      scales: { x: { stacked }, y: { beginAtZero: true, stacked } },
      plugins,
    },
  });
}

const siteTz = () => (state.sites.find((s) => s.site === state.site) || {}).timezone || "Asia/Jakarta";

// A UTC instant as the site's wall time, with its zone's short name (WIB, WITA, WIT).
function siteTime(iso) {
  const tz = siteTz();
  const parts = Object.fromEntries(new Intl.DateTimeFormat("en-GB", { timeZone: tz, year: "numeric", month: "2-digit",
    day: "2-digit", hour: "2-digit", minute: "2-digit", hourCycle: "h23" }).formatToParts(new Date(iso))
    .map((p) => [p.type, p.value]));
  const zone = new Intl.DateTimeFormat("id-ID", { timeZone: tz, timeZoneName: "short" }).formatToParts(new Date(iso))
    .find((p) => p.type === "timeZoneName");
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}${zone ? " " + zone.value : ""}`;
}

// Gerai names label the occupancy cards (read on their own: no other card's range may change them).
async function geraiNames() {
  try {
    return Object.fromEntries((await json(`/sites/${state.site}/gerai`)).map((g) => [g.gerai, g.name]));
  } catch (_) { return {}; } // codes stand in for names
}

// Local dates of the site, from the server's clock (the browser's may be wrong or elsewhere).
function siteDate(offsetDays = 0) {
  const tz = siteTz();
  const at = new Date(Date.parse(state.now) + offsetDays * 86400000);
  return new Intl.DateTimeFormat("en-CA", { timeZone: tz, year: "numeric", month: "2-digit", day: "2-digit" })
    .format(at);
}

// A card's own range (ranges.js), with an occupancy resolution that keeps a chart readable.
function rangeParams(card) {
  const days = rangeDays(card);
  return { ...cardRange(card), resolution: days <= 1 ? "5m" : days <= 14 ? "1h" : "1d" };
}
const RESOLUTION_MS = { "5m": 300000, "1h": 3600000, "1d": 86400000 };

const label = (iso, granularity) =>
  granularity === "month" ? iso.slice(0, 7) : granularity === "day" ? iso.slice(0, 10)
    : granularity === "time" ? iso.slice(11, 16) : iso.slice(0, 16).replace("T", " ");

// A period is incomplete where opening time was expected and the entrance cameras saw too little of it
// (closed periods, coverage null, are not). Its bar is grey: the count is real but a lower bound.
const incomplete = (p) => p.coverage !== null && !p.complete;
const coverageTip = (p) => (p.coverage === null ? t("closed") : fmt("cover_tip", { pct: Math.round(p.coverage * 100) }));

function footfallDataset(labelText, periods, value, color) {
  return {
    label: labelText, data: periods.map(value), borderColor: color,
    backgroundColor: periods.map((p) => (p && incomplete(p) ? INCOMPLETE : color)),
    incomplete: periods.map((p) => Boolean(p && incomplete(p))),
    coverage: periods.map((p) => (p ? p.coverage : null)),
  };
}

const coverageTooltip = (periodsOf) => ({
  // The legend shows each series' own colour, not the grey of an incomplete first bar.
  legend: { labels: { generateLabels: (chart) => Chart.defaults.plugins.legend.labels.generateLabels(chart)
    .map((item) => ({ ...item, fillStyle: chart.data.datasets[item.datasetIndex].borderColor })) } },
  tooltip: { callbacks: { footer: (items) => {
    const p = items.length ? periodsOf(items[0]) : null;
    return p ? coverageTip(p) : "";
  } } },
});

async function loadFootfall() {
  const body = await json(`/sites/${state.site}/footfall`, { ...cardRange("footfall"), granularity: state.granularity });
  const periods = body.periods;
  drawChart("chart-footfall", "bar", periods.map((p) => label(p.start, state.granularity)), [
    footfallDataset(t("in"), periods, (p) => p.in, COLORS[0]),
    footfallDataset(t("out"), periods, (p) => p.out, COLORS[1]),
  ], false, coverageTooltip((item) => periods[item.dataIndex]));
  const missing = periods.filter(incomplete).length;
  const note = $("footfall-note");
  note.hidden = missing === 0;
  note.textContent = missing ? fmt("incomplete_note", { n: missing, pct: Math.round(body.complete_at * 100) }) : "";
}

const compared = () => state.sites.slice(0, MAX_COMPARED_SITES).map((s) => s.site).join(",");

async function loadComparison() {
  const sites = compared();
  if (!sites) return;
  const body = await json("/footfall", { ...cardRange("compare"), sites, granularity: "month" });
  const labels = [...new Set(body.sites.flatMap((s) => s.periods.map((p) => p.start.slice(0, 7))))].sort();
  const monthsOf = body.sites.map((s) => {
    const byMonth = Object.fromEntries(s.periods.map((p) => [p.start.slice(0, 7), p]));
    return labels.map((m) => byMonth[m] || null);
  });
  drawChart("chart-compare", "bar", labels, body.sites.map((s, i) => {
    const name = (state.sites.find((x) => x.site === s.site) || { name: s.site }).name;
    return footfallDataset(name, monthsOf[i], (p) => (p ? p.in : null), COLORS[i % COLORS.length]);
  }), false, coverageTooltip((item) => monthsOf[item.datasetIndex][item.dataIndex]));
}

async function loadLive() {
  const body = await json(`/sites/${state.site}/occupancy/live`);
  const names = await geraiNames();
  fillTable($("live"), [[t("gerai")], [t("zone")], [t("people"), "num"], [t("max"), "num"], [t("at")]],
    body.zones.map((z) => [names[z.gerai] || z.gerai, `${z.device}/${z.zone}`, z.mean_count.toFixed(1), z.max_count,
      z.interval_start.slice(11, 16)]));
}

async function loadDevices() {
  const devices = await json("/devices", { site: state.site });
  fillTable($("devices"), [[t("device")], [t("state")], [t("last_seen")], [t("fps"), "num"], [t("backlog"), "num"],
    [t("audit")]],
    devices.map((d) => {
      const badge = cell("span", d.silent ? t("silent") : t(d.state || "unknown"),
        `badge ${d.silent || d.state === "offline" ? "bad" : d.state === "online" ? "ok" : "unknown"}`);
      return [d.device, badge, d.last_seen ? siteTime(d.last_seen) : null,
        d.health ? d.health.effective_fps.toFixed(1) : null, d.health ? d.health.outbox_depth : null,
        auditText(d.audit)];
    }));
}

// "97 % (12/11/2026)": the latest on-site audit's line accuracy and its UTC date.
function auditText(audit) {
  if (!audit) return null;
  const [y, m, day] = audit.audited_at.slice(0, 10).split("-");
  const accuracy = audit.line_accuracy === null ? "–" : `${Math.round(audit.line_accuracy * 100)} %`;
  return `${accuracy} (${day}/${m}/${y})`;
}

async function loadOccupancy() {
  const params = rangeParams("occupancy");
  const body = await json(`/sites/${state.site}/occupancy`, params);
  const names = await geraiNames();
  const series = new Map();
  // A point observed for less than half its length is unobserved (as in staffing): null, never 0.
  const seen = (p) => p.mean_count !== null && p.observed_s >= 0.5 * p.interval_s;
  const stepMs = RESOLUTION_MS[params.resolution];
  const known = [...new Set(body.points.map((p) => p.start))].sort();
  // Time with no record at all gets a null point too, so the line breaks there (spanGaps: false).
  const starts = known.flatMap((s, i) => (i && Date.parse(s) - Date.parse(known[i - 1]) > stepMs ? [null, s] : [s]));
  for (const p of body.points) {
    // Staff and queue zones apart: "2" must not mean one officer plus one visitor.
    const role = I18N[state.lang][`role_${p.role}`] || p.role;
    const key = `${(p.gerai && names[p.gerai]) || p.gerai || p.zone} – ${role}`;
    if (!series.has(key)) series.set(key, new Map());
    const m = series.get(key);
    const before = m.has(p.start) ? m.get(p.start) : 0;
    m.set(p.start, before === null || !seen(p) ? null : before + p.mean_count);
  }
  const gran = { "5m": "time", "1h": "hour", "1d": "day" }[params.resolution];
  drawChart("chart-occupancy", "line", starts.map((s) => (s === null ? "" : label(s, gran))),
    [...series.entries()].map(([key, m]) => ({ label: key, spanGaps: false,
      data: starts.map((s) => (s !== null && m.has(s) && m.get(s) !== null ? +m.get(s).toFixed(2) : null)) })));
}

function heatColor(share) {
  return share === null ? "#e6e6e6" : `hsl(${Math.round(share * 120)}, 70%, 75%)`;
}

async function loadStaffing() {
  if (staffingByMonth()) return loadStaffingPeriods(); // analytics.js: the yearly view
  for (const b of document.querySelectorAll("[data-staffing-view]")) b.classList.toggle("on", b.dataset.staffingView === "hour");
  const body = await json(`/sites/${state.site}/staffing`, cardRange("staffing"));
  $("heatmap").dataset.view = "hour";
  const hours = [...new Set(body.gerai.flatMap((g) => g.hours.map((h) => h.hour)))].sort((a, b) => a - b);
  const table = $("heatmap");
  table.replaceChildren();
  const head = document.createElement("tr");
  head.appendChild(cell("th", t("gerai")));
  hours.forEach((h) => head.appendChild(cell("th", String(h).padStart(2, "0"))));
  head.appendChild(cell("th", t("staffed_pct"), "num"));
  head.appendChild(cell("th", t("observed_pct"), "num"));
  table.appendChild(head);
  for (const g of body.gerai) {
    const tr = document.createElement("tr");
    tr.appendChild(cell("th", g.name));
    // Only an observed hour shows a staffed share and a colour; a not-observed hour is grey.
    const byHour = Object.fromEntries(g.hours.map((h) => [h.hour, h]));
    for (const h of hours) {
      const c = byHour[h] || { state: "closed", staffed_share: null, observed_share: null };
      const share = c.state === "observed" ? c.staffed_share : null;
      const td = cell("td", share === null ? "–" : `${Math.round(share * 100)}`);
      td.style.background = c.state === "not_observed" ? NOT_OBSERVED : c.state === "closed" ? "" : heatColor(share);
      td.dataset.share = share === null ? "" : String(share);
      td.dataset.state = c.state;
      if (c.observed_share !== null) td.title = `${t(c.state === "observed" ? "staffed" : "unobserved")} · ` +
        `${Math.round(c.observed_share * 100)} ${t("observed_pct")}`;
      tr.appendChild(td);
    }
    const pct = (v) => (v === null ? "–" : `${Math.round(v * 100)}%`);
    tr.appendChild(cell("td", pct(g.total.staffed_share), "num"));
    tr.appendChild(cell("td", pct(g.total.observed_share), "num"));
    table.appendChild(tr);
  }
  if (!body.gerai.length) table.appendChild(cell("caption", t("none")));
  const gaps = $("gaps");
  gaps.replaceChildren();
  for (const g of body.gerai) {
    for (const [kind, list] of [["unstaffed", g.unstaffed], ["unobserved", g.unobserved]]) {
      for (const s of list) {
        gaps.appendChild(cell("li", `${g.name} – ${t(kind)}: ${s.start.slice(0, 16).replace("T", " ")}–` +
          `${s.end.slice(11, 16)} (${Math.round(s.duration_s / 60)} ${t("min")})`));
      }
    }
  }
}

async function loadWaiting() {
  const body = await json(`/sites/${state.site}/waiting`, cardRange("waiting"));
  const minutes = (s) => (s === null ? null : (s / 60).toFixed(1) + " " + t("min"));
  fillTable($("waiting"), [[t("gerai")], [t("visits"), "num"], [t("p50"), "num"], [t("p90"), "num"], [t("queue"), "num"]],
    body.gerai.map((g) => [g.name, g.visits, minutes(g.dwell.p50_s), minutes(g.dwell.p90_s),
      g.mean_queue === null ? null : g.mean_queue.toFixed(1)]));
}

const CSV = {
  footfall: () => [`/sites/${state.site}/footfall`, { ...cardRange("footfall"), granularity: state.granularity }],
  compare: () => ["/footfall", { ...cardRange("compare"), sites: compared(), granularity: "month" }],
  live: () => [`/sites/${state.site}/occupancy/live`, {}],
  devices: () => ["/devices", { site: state.site }],
  occupancy: () => [`/sites/${state.site}/occupancy`, rangeParams("occupancy")],
  staffing: () => (staffingByMonth()
    ? [`/sites/${state.site}/staffing/periods`, { ...cardRange("staffing"), granularity: "month" }]
    : [`/sites/${state.site}/staffing`, cardRange("staffing")]),
  waiting: () => [`/sites/${state.site}/waiting`, cardRange("waiting")],
  heat: () => [`/sites/${state.site}/footfall/heatmap`, cardRange("heat")],
};

async function download(path, params, filename) {
  try {
    const blob = await (await api(path, params)).blob();
    const link = document.createElement("a");
    link.href = URL.createObjectURL(blob);
    link.download = filename;
    link.click();
    setTimeout(() => URL.revokeObjectURL(link.href), 10000);
  } catch (err) { showError(filename, err); }
}

// The report opens at a signed, expiring URL that can be bookmarked or sent (links.js).
function openReport(format) { return openReportLink(format); }

// Card loaders by name; kpi and heat are in analytics.js.
const LOADERS = { kpi: () => loadKpi(), footfall: () => loadFootfall(), compare: () => loadComparison(),
  live: () => loadLive(), devices: () => loadDevices(), occupancy: () => loadOccupancy(),
  staffing: () => loadStaffing(), heat: () => loadHeat(), waiting: () => loadWaiting() };

// One card again (its range changed): stamps that card's data-loaded, not the page's. A card's loads run
// one after another, so the last range chosen is the one shown (never a slower, older answer).
const cardQueue = {};
function reloadCard(name) {
  const card = $(`card-${name}`);
  if (card) { card.dataset.pending = String(Number(card.dataset.pending || 0) + 1); card.classList.add("busy"); }
  const run = async () => {
    await LOADERS[name]().catch((err) => {
      if (err instanceof ApiError && err.status === 401) return logout();
      showError(t(name), err);
    });
    if (card) {
      Object.assign(card.dataset, { loaded: String(Date.now()), pending: String(Number(card.dataset.pending) - 1) });
      card.classList.toggle("busy", card.dataset.pending !== "0");
    }
  };
  cardQueue[name] = (cardQueue[name] || Promise.resolve()).then(run);
  return cardQueue[name];
}

async function refresh() {
  $("error").hidden = true;
  await Promise.all(Object.keys(LOADERS).map(reloadCard));
  document.body.dataset.loaded = String(Date.now());
}

async function start() {
  let me;
  try {
    me = await json("/me");
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) { $("login-error").hidden = false; $("login-error").textContent = t("bad_token"); return logout(false); }
    throw err;
  }
  state.now = me.now;
  state.sites = await json("/sites");
  initRanges(); // ranges.js: each card's range control, from the server's today
  if (!state.sites.some((s) => s.site === state.site)) state.site = state.sites.length ? state.sites[0].site : null;
  const select = $("site");
  select.replaceChildren(...state.sites.map((s) => { const o = cell("option", s.name); o.value = s.site; return o; }));
  select.value = state.site || "";
  $("login").hidden = true;
  $("dashboard").hidden = false;
  for (const el of document.querySelectorAll(".session")) el.hidden = false;
  if (state.site) await refresh();
}

function startFailed(err) {
  $("login-error").hidden = false;
  $("login-error").textContent = `${t("error")}: ${err.message}`;
}

function logout(clearError = true) {
  localStorage.removeItem("mpp.token");
  state.token = null;
  $("dashboard").hidden = true;
  for (const el of document.querySelectorAll(".session")) el.hidden = true;
  $("login").hidden = false;
  if (clearError) $("login-error").hidden = true;
}

function toggle(attr, value, key) {
  for (const b of document.querySelectorAll(`[data-${attr}]`)) b.classList.toggle("on", b.dataset[key] === value);
}

document.addEventListener("DOMContentLoaded", () => {
  applyLanguage();
  $("lang").addEventListener("click", () => {
    state.lang = state.lang === "id" ? "en" : "id";
    localStorage.setItem("mpp.lang", state.lang);
    applyLanguage();
    if (state.token && state.site) refresh();
  });
  $("logout").addEventListener("click", () => logout());
  $("login-form").addEventListener("submit", (event) => {
    event.preventDefault();
    state.token = $("token").value.trim();
    localStorage.setItem("mpp.token", state.token);
    start().catch(startFailed);
  });
  $("site").addEventListener("change", (event) => {
    state.site = event.target.value;
    localStorage.setItem("mpp.site", state.site);
    refresh();
  });
  for (const b of document.querySelectorAll("[data-footfall]")) {
    b.addEventListener("click", () => {
      state.granularity = b.dataset.footfall;
      toggle("footfall", state.granularity, "footfall");
      // Month view: a year of months; day view: a month of days (a range chosen by hand stays).
      const preset = cardRanges.footfall && cardRanges.footfall.preset;
      if (state.granularity === "month" && preset === "30d") setCardRange("footfall", "12m");
      else if (state.granularity === "day" && preset === "12m") setCardRange("footfall", "30d");
      else reloadCard("footfall");
    });
  }
  document.addEventListener("mpp:range", (event) => { if (state.token && state.site) reloadCard(event.detail.card); });
  for (const b of document.querySelectorAll("[data-csv]")) {
    b.addEventListener("click", () => { const [path, params] = CSV[b.dataset.csv](); download(path, { ...params, format: "csv" }, `${b.dataset.csv}-${state.site}.csv`); });
  }
  $("report-html").addEventListener("click", () => openReport("html"));
  $("report-pdf").addEventListener("click", () => openReport("pdf"));
  setInterval(() => { if (state.token && state.site && !$("dashboard").hidden) { loadLive().catch(() => {}); loadDevices().catch(() => {}); } }, 60000);
  if (state.token) start().catch(startFailed); else logout();
});
