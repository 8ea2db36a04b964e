/* Date ranges of the dashboard cards: each card that shows a range has its own control (a preset list and
   two date inputs), so choosing a range on one card changes that card only. A control is declared in
   index.html as <div class="range" data-range-card="NAME" data-default="PRESET">; app.js reads a card's
   range with cardRange(NAME) and reloads that card alone on the "mpp:range" event.
   Dates are site-local calendar days (YYYY-MM-DD), from the server's clock (state.now, app.js). */
"use strict";

Object.assign(I18N.id, {
  r_today: "Hari ini", r_7d: "7 hari", r_30d: "30 hari", r_this_month: "Bulan ini", r_last_month: "Bulan lalu",
  r_this_year: "Tahun ini", r_12m: "12 bulan", r_custom: "Rentang lain", r_from: "Dari", r_to: "Sampai",
  r_range: "Rentang",
});
Object.assign(I18N.en, {
  r_today: "Today", r_7d: "7 days", r_30d: "30 days", r_this_month: "This month", r_last_month: "Last month",
  r_this_year: "This year", r_12m: "12 months", r_custom: "Custom range", r_from: "From", r_to: "To",
  r_range: "Range",
});

const RANGE_PRESETS = ["today", "7d", "30d", "this_month", "last_month", "this_year", "12m", "custom"];
const cardRanges = {}; // card name -> { preset, start, end }

// Calendar arithmetic on YYYY-MM-DD strings (UTC dates: no time zone can shift a day).
const isoDay = (d) => d.toISOString().slice(0, 10);
const parseDay = (s) => new Date(`${s}T00:00:00Z`);
const addDays = (s, n) => isoDay(new Date(parseDay(s).getTime() + n * 86400000));
const monthFirst = (s, back = 0) => {
  const d = parseDay(s);
  return isoDay(new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() - back, 1)));
};

function presetRange(preset) {
  const today = siteDate(0);
  switch (preset) {
    case "today": return { start: today, end: today };
    case "7d": return { start: addDays(today, -6), end: today };
    case "30d": return { start: addDays(today, -29), end: today };
    case "this_month": return { start: monthFirst(today), end: today };
    case "last_month": return { start: monthFirst(today, 1), end: addDays(monthFirst(today), -1) };
    case "this_year": return { start: `${today.slice(0, 4)}-01-01`, end: today };
    case "12m": return { start: monthFirst(today, 11), end: today };
    default: return null;
  }
}

// The card's range, both ends included; a card never chosen yet starts at its declared default.
function cardRange(card) {
  if (!cardRanges[card]) {
    const el = document.querySelector(`[data-range-card="${card}"]`);
    const preset = (el && el.dataset.default) || "today";
    cardRanges[card] = { preset, ...presetRange(preset) };
  }
  const r = cardRanges[card];
  if (r.preset !== "custom") Object.assign(r, presetRange(r.preset)); // presets follow the server's today
  return { start: r.start, end: r.end };
}

const rangeDays = (card) => {
  const { start, end } = cardRange(card);
  return Math.round((parseDay(end) - parseDay(start)) / 86400000) + 1;
};

function showRange(card) {
  const el = document.querySelector(`[data-range-card="${card}"]`);
  if (!el) return;
  const { start, end } = cardRange(card);
  el.querySelector("select").value = cardRanges[card].preset;
  el.querySelector("[data-range-from]").value = start;
  el.querySelector("[data-range-to]").value = end;
}

// Change a card's range (a preset name, or "custom" with its dates) and reload that card only.
function setCardRange(card, preset, start, end) {
  cardRanges[card] = preset === "custom" ? { preset, start, end } : { preset, ...presetRange(preset) };
  showRange(card);
  document.dispatchEvent(new CustomEvent("mpp:range", { detail: { card } }));
}

function buildRangeControl(el) {
  const card = el.dataset.rangeCard;
  const select = document.createElement("select");
  select.setAttribute("aria-label", t("r_range"));
  for (const p of RANGE_PRESETS) {
    const option = cell("option", t(`r_${p}`));
    option.value = p;
    option.dataset.i18n = `r_${p}`;
    select.appendChild(option);
  }
  const date = (attr, key) => {
    const input = document.createElement("input");
    input.type = "date";
    input.dataset[attr] = "";
    input.title = t(key);
    input.setAttribute("aria-label", t(key));
    return input;
  };
  const from = date("rangeFrom", "r_from");
  const to = date("rangeTo", "r_to");
  select.addEventListener("change", () => {
    if (select.value === "custom") { cardRanges[card] = { ...cardRange(card), preset: "custom" }; showRange(card); return; }
    setCardRange(card, select.value);
  });
  const typed = () => {
    if (!from.value || !to.value) return; // half-typed: wait for a whole date
    // The later date is the end, whichever input got it.
    const [start, end] = from.value <= to.value ? [from.value, to.value] : [to.value, from.value];
    setCardRange(card, "custom", start, end);
  };
  from.addEventListener("change", typed);
  to.addEventListener("change", typed);
  el.replaceChildren(select, from, cell("span", "–", "range-dash"), to);
}

// Called by app.js once the server's clock (state.now) is known.
function initRanges() {
  for (const el of document.querySelectorAll("[data-range-card]")) {
    if (!el.querySelector("select")) buildRangeControl(el);
    showRange(el.dataset.rangeCard);
  }
}

// Titles are not text content (applyLanguage leaves them): relabel them when the language changes.
new MutationObserver(() => {
  for (const el of document.querySelectorAll("[data-range-card]")) {
    const select = el.querySelector("select");
    if (select) select.setAttribute("aria-label", t("r_range"));
    for (const [sel, key] of [["[data-range-from]", "r_from"], ["[data-range-to]", "r_to"]]) {
      const input = el.querySelector(sel);
      if (input) { input.title = t(key); input.setAttribute("aria-label", t(key)); }
    }
  }
}).observe(document.documentElement, { attributes: true, attributeFilter: ["lang"] });
