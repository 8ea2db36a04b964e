/* Alerts card: the site's alert history (GET /sites/{site}/alerts). Kept apart from app.js; it reloads
   whenever the dashboard has (app.js stamps body[data-loaded]) and uses app.js's api helpers. */
"use strict";

const ALERT_I18N = {
  id: {
    alerts: "Peringatan", opened: "Mulai", resolved: "Selesai", what: "Keterangan", sent: "Terkirim",
    open_now: "masih aktif", delivered: "terkirim", failed: "gagal", pending: "menunggu",
  },
  en: {
    alerts: "Alerts", opened: "Opened", resolved: "Resolved", what: "What", sent: "Sent",
    open_now: "still open", delivered: "delivered", failed: "failed", pending: "pending",
  },
};
const alertText = (key) => ALERT_I18N[state.lang][key] || key;

function alertTime(iso) {
  const tz = (state.sites.find((s) => s.site === state.site) || {}).timezone || "Asia/Jakarta";
  return new Date(iso).toLocaleString(state.lang === "id" ? "id-ID" : "en-GB",
    { timeZone: tz, dateStyle: "short", timeStyle: "short" });
}

async function loadAlerts() {
  for (const el of document.querySelectorAll("[data-alert-i18n]")) el.textContent = alertText(el.dataset.alertI18n);
  if (!state.site) return;
  const alerts = await json(`/sites/${state.site}/alerts`, { limit: 20 });
  fillTable($("alerts"), [[alertText("opened")], [alertText("what")], [alertText("resolved")], [alertText("sent")]],
    alerts.map((a) => [
      alertTime(a.opened_at),
      state.lang === "id" ? a.text_id : a.text_en,
      a.resolved_at ? alertTime(a.resolved_at) : alertText("open_now"),
      Object.entries(a.deliveries).map(([channel, s]) => `${channel}: ${alertText(s)}`).join(", ") || "–",
    ]));
  $("alerts").dataset.count = String(alerts.length);
}

document.addEventListener("DOMContentLoaded", () => {
  new MutationObserver(() => loadAlerts().catch((err) => showError(alertText("alerts"), err)))
    .observe(document.body, { attributes: true, attributeFilter: ["data-loaded"] });
  // New alerts show without a reload, on the same minute as the live cards.
  setInterval(() => { if (state.token && state.site && !$("dashboard").hidden) loadAlerts().catch(() => {}); }, 60000);
});
