/* Dashboard analytics: the KPI tiles, the footfall heat map (hour x weekday) and staffing per month.
   Uses app.js's helpers (state, json, cell, t, fmt) and ranges.js (cardRange). Every number carries its
   coverage: a count from time the entrance cameras did not fully observe is grey and marked as a lower
   bound, a staffing share is only shown beside enough observation. */
"use strict";

Object.assign(I18N.id, {
  kpi: "Ringkasan", kpi_today: "Pengunjung hari ini", kpi_month: "Bulan ini", kpi_last_month: "Bulan lalu, periode sama",
  kpi_last_year: "Tahun lalu, periode sama", kpi_staffing: "Petugas hadir bulan ini",
  kpi_vs_month: "{change} dari bulan lalu", kpi_vs_year: "{change} dari tahun lalu", kpi_not_comparable: "tidak sebanding: tidak teramati penuh, atau tutup",
  kpi_no_base: "tidak ada pembanding", kpi_observed: "teramati {pct} % dari jam buka",
  kpi_lower_bound: "batas bawah", kpi_staff_unobserved: "Tak teramati",
  heat: "Pengunjung per jam dan hari", heat_help: "Rata-rata masuk per jam, waktu setempat. Abu-abu: kamera pintu tidak mengamati cukup (angka batas bawah).",
  heat_title: "{day} {hour}:00 · masuk {n} dalam {hours} jam · {cover}",
  wd0: "Sen", wd1: "Sel", wd2: "Rab", wd3: "Kam", wd4: "Jum", wd5: "Sab", wd6: "Min",
  staff_view_hour: "Per jam", staff_view_month: "Per bulan", all_gerai: "Semua gerai", month: "Bulan",
  whole_range: "Seluruh rentang",
});
Object.assign(I18N.en, {
  kpi: "Summary", kpi_today: "Visitors today", kpi_month: "This month", kpi_last_month: "Last month, same days",
  kpi_last_year: "Last year, same days", kpi_staffing: "Staff present this month",
  kpi_vs_month: "{change} on last month", kpi_vs_year: "{change} on last year", kpi_not_comparable: "not comparable: not fully observed, or closed",
  kpi_no_base: "nothing to compare", kpi_observed: "observed {pct} % of opening hours",
  kpi_lower_bound: "lower bound", kpi_staff_unobserved: "Not observed",
  heat: "Visitors by hour and weekday", heat_help: "Mean entries per hour, local time. Grey: the entrance cameras did not observe enough (the number is a lower bound).",
  heat_title: "{day} {hour}:00 · {n} in over {hours} hours · {cover}",
  wd0: "Mon", wd1: "Tue", wd2: "Wed", wd3: "Thu", wd4: "Fri", wd5: "Sat", wd6: "Sun",
  staff_view_hour: "Per hour", staff_view_month: "Per month", all_gerai: "All gerai", month: "Month",
  whole_range: "Whole range",
});

const HOURLY_STAFFING_MAX_DAYS = 93; // GET /staffing's longest range; longer ranges show months
const number = (n, digits = 0) =>
  new Intl.NumberFormat(state.lang === "id" ? "id-ID" : "en-GB", { maximumFractionDigits: digits }).format(n);
const percent = (share) => `${number(Math.round(share * 100))} %`;
const shortDate = (iso) => new Intl.DateTimeFormat(state.lang === "id" ? "id-ID" : "en-GB",
  { day: "numeric", month: "short", year: "numeric", timeZone: "UTC" }).format(new Date(`${iso.slice(0, 10)}T00:00:00Z`));

// ---- KPI tiles -------------------------------------------------------------------------------------

// A count tile: the number, its stretch of time, and its coverage (grey and "lower bound" if incomplete).
function countTile(key, figure, notes = []) {
  const tile = $(`kpi-${key}`);
  const incompleteFigure = figure.coverage !== null && !figure.complete;
  tile.dataset.value = String(figure.in);
  tile.dataset.complete = String(figure.complete);
  tile.dataset.coverage = figure.coverage === null ? "" : String(figure.coverage);
  tile.classList.toggle("incomplete", incompleteFigure);
  const firstDay = figure.start.slice(0, 10);
  const lastDay = figure.end <= figure.start ? firstDay : localDay(figure.end);
  const days = firstDay === lastDay ? shortDate(firstDay) : `${shortDate(firstDay)} – ${shortDate(lastDay)}`;
  const cover = figure.coverage === null ? t("closed")
    : fmt("kpi_observed", { pct: Math.round(figure.coverage * 100) }) + (figure.complete ? "" : ` · ${t("kpi_lower_bound")}`);
  tile.replaceChildren(cell("h3", t(`kpi_${key}`)), cell("strong", number(figure.in), "kpi-value"),
    cell("small", days), ...notes.map((n) => cell("p", n, "kpi-change")), cell("p", cover, "kpi-cover"));
}

// The last local day a period's exclusive end still covers ("…T16:00" is that day, "…T00:00" the day before).
function localDay(endIso) {
  return endIso.slice(11, 19) === "00:00:00" ? addDays(endIso.slice(0, 10), -1) : endIso.slice(0, 10);
}

// "+12,5 % dari bulan lalu": this month so far against the same stretch of the other month.
function changeNote(change, key) {
  if (change.ratio === null) return `${fmt(key, { change: "–" })} (${t("kpi_no_base")})`;
  const sign = change.ratio > 0 ? "+" : change.ratio < 0 ? "−" : "±";
  const text = fmt(key, { change: `${sign}${number(Math.abs(change.ratio) * 100, 1)} %` });
  return change.comparable ? text : `${text} (${t("kpi_not_comparable")})`;
}

async function loadKpi() {
  const body = await json(`/sites/${state.site}/kpi`);
  countTile("today", body.today);
  countTile("month", body.month, [changeNote(body.vs_last_month, "kpi_vs_month"),
    changeNote(body.vs_last_year, "kpi_vs_year")]);
  countTile("last_month", body.last_month);
  countTile("last_year", body.last_year);
  const change = (c) => (c.ratio === null ? "" : String(c.ratio));
  Object.assign($("kpi-month").dataset, { vsLastMonth: change(body.vs_last_month), vsLastYear: change(body.vs_last_year),
    comparableMonth: String(body.vs_last_month.comparable), comparableYear: String(body.vs_last_year.comparable) });
  const s = body.staffing;
  const tile = $("kpi-staffing");
  tile.dataset.state = s.state;
  tile.dataset.value = s.staffed_share === null ? "" : String(s.staffed_share);
  tile.dataset.observed = s.observed_share === null ? "" : String(s.observed_share);
  tile.classList.toggle("incomplete", s.state === "not_observed");
  const value = s.state === "observed" ? percent(s.staffed_share) : s.state === "closed" ? t("closed") : t("kpi_staff_unobserved");
  tile.replaceChildren(cell("h3", t("kpi_staffing")), cell("strong", value, "kpi-value"),
    cell("p", s.observed_share === null ? t("closed") : fmt("kpi_observed", { pct: Math.round(s.observed_share * 100) }), "kpi-cover"));
}

// ---- Footfall heat map: hour x weekday -------------------------------------------------------------

const heatBlue = (share) => `hsl(205, 70%, ${Math.round(95 - share * 50)}%)`;

async function loadHeat() {
  const body = await json(`/sites/${state.site}/footfall/heatmap`, cardRange("heat"));
  const cells = body.cells;
  // Hours that matter: any opening time or any count in the week; a contiguous band of columns.
  const used = cells.filter((c) => c.expected_s > 0 || c.in > 0).map((c) => c.hour);
  const first = used.length ? Math.min(...used) : 8;
  const last = used.length ? Math.max(...used) : 16;
  const shown = (c) => c.coverage === null || c.complete; // complete or closed: the count stands
  const top = Math.max(0, ...cells.filter(shown).map((c) => c.mean_in || 0));
  const table = $("heat-table");
  table.replaceChildren();
  const head = document.createElement("tr");
  head.appendChild(cell("th", ""));
  for (let h = first; h <= last; h++) head.appendChild(cell("th", String(h).padStart(2, "0")));
  table.appendChild(head);
  for (let day = 0; day < 7; day++) {
    const tr = document.createElement("tr");
    tr.appendChild(cell("th", t(`wd${day}`)));
    for (let h = first; h <= last; h++) {
      const c = cells[day * 24 + h];
      const stateName = c.coverage === null ? "closed" : c.complete ? "observed" : "not_observed";
      const mean = c.mean_in || 0;
      // Not observed is not empty: grey, "–" when nothing was seen, else a lower bound ("≥ 3").
      const text = stateName === "not_observed" ? (c.observed_s > 0 ? `≥${number(mean, 1)}` : "–")
        : stateName === "closed" && c.in === 0 ? "" : number(mean, 1);
      const td = cell("td", text);
      td.dataset.weekday = String(day);
      td.dataset.hour = String(h);
      td.dataset.state = stateName;
      td.dataset.in = String(c.in);
      td.dataset.mean = c.mean_in === null ? "" : String(c.mean_in);
      const share = top > 0 ? mean / top : 0;
      td.style.background = stateName === "not_observed" ? NOT_OBSERVED : c.in > 0 ? heatBlue(share) : "";
      if (stateName !== "not_observed" && share > 0.6) td.style.color = "#fff"; // readable on the darkest blues
      td.title = fmt("heat_title", { day: t(`wd${day}`), hour: String(h).padStart(2, "0"), n: number(c.in),
        hours: c.hours, cover: coverageTip(c) });
      tr.appendChild(td);
    }
    table.appendChild(tr);
  }
}

// ---- Staffing per month: the yearly compliance view (the staffing card's "Per bulan") ----------------

let staffingView = "hour";
// The staffing card shows months when asked to, or when its range is longer than the hourly view allows.
const staffingByMonth = () => staffingView === "month" || rangeDays("staffing") > HOURLY_STAFFING_MAX_DAYS;

function monthLabel(iso) {
  return new Intl.DateTimeFormat(state.lang === "id" ? "id-ID" : "en-GB", { month: "short", year: "numeric",
    timeZone: "UTC" }).format(new Date(`${iso.slice(0, 7)}-01T00:00:00Z`));
}

function shareCells(p) {
  // Staffed share only beside enough observation; the observed share always, next to it.
  const staffed = cell("td", p.state === "observed" ? percent(p.staffed_share) : "–", "num");
  staffed.dataset.state = p.state;
  staffed.dataset.share = p.state === "observed" ? String(p.staffed_share) : "";
  staffed.style.background = p.state === "not_observed" ? NOT_OBSERVED : p.state === "closed" ? "" : heatColor(p.staffed_share);
  const observed = cell("td", p.observed_share === null ? "–" : percent(p.observed_share), "num observed");
  observed.dataset.observed = p.observed_share === null ? "" : String(p.observed_share);
  return [staffed, observed];
}

async function loadStaffingPeriods() {
  for (const b of document.querySelectorAll("[data-staffing-view]")) b.classList.toggle("on", b.dataset.staffingView === "month");
  const body = await json(`/sites/${state.site}/staffing/periods`, { ...cardRange("staffing"), granularity: "month" });
  const table = $("heatmap");
  table.replaceChildren();
  table.dataset.view = "month";
  const columns = [...body.gerai.map((g) => [g.name, g.periods, g.total]), [t("all_gerai"), body.site_periods, body.total]];
  const head = document.createElement("tr");
  const sub = document.createElement("tr");
  const corner = cell("th", t("month"));
  corner.rowSpan = 2;
  head.appendChild(corner);
  for (const [name] of columns) {
    const th = cell("th", name);
    th.colSpan = 2;
    head.appendChild(th);
    sub.append(cell("th", t("staffed_pct"), "num"), cell("th", t("observed_pct"), "num"));
  }
  table.append(head, sub);
  body.site_periods.forEach((p, i) => {
    const tr = document.createElement("tr");
    tr.dataset.month = p.start.slice(0, 7);
    tr.appendChild(cell("th", monthLabel(p.start)));
    for (const [, periods] of columns) tr.append(...shareCells(periods[i]));
    table.appendChild(tr);
  });
  const total = document.createElement("tr");
  total.className = "total";
  total.appendChild(cell("th", t("whole_range")));
  for (const [, , whole] of columns) total.append(...shareCells(whole));
  table.appendChild(total);
  $("gaps").replaceChildren();
}

document.addEventListener("DOMContentLoaded", () => {
  for (const b of document.querySelectorAll("[data-staffing-view]")) {
    b.addEventListener("click", () => {
      staffingView = b.dataset.staffingView;
      const preset = cardRanges.staffing && cardRanges.staffing.preset;
      // Months over a day or a week say little: a year of months; hours over a year cannot be asked for: today.
      if (staffingView === "month" && ["today", "7d", "30d"].includes(preset)) setCardRange("staffing", "12m");
      else if (staffingView === "hour" && rangeDays("staffing") > HOURLY_STAFFING_MAX_DAYS) setCardRange("staffing", "today");
      else document.dispatchEvent(new CustomEvent("mpp:range", { detail: { card: "staffing" } }));
    });
  }
});
