/* Signed report links: "Buka laporan" / "PDF" / "Buat tautan" ask the API for a link that opens the month's
   report without a token until it expires (POST /sites/{site}/reports/monthly/links), so a report is a
   stable URL that can be bookmarked or sent. Uses app.js's state, $ and admin.js's apiSend. */
"use strict";

const LINK_I18N = {
  id: {
    valid_for: "Berlaku", days_1: "1 hari", days_7: "7 hari", days_30: "30 hari", days_90: "90 hari",
    share: "Buat tautan", copy: "Salin", valid_until: "Tautan berlaku sampai {when}; siapa pun yang memegangnya dapat membuka laporan ini.",
  },
  en: {
    valid_for: "Valid for", days_1: "1 day", days_7: "7 days", days_30: "30 days", days_90: "90 days",
    share: "Create link", copy: "Copy", valid_until: "The link works until {when}; anyone holding it can open this report.",
  },
};
const lt = (key) => LINK_I18N[state.lang][key] || key;

/* A fresh signed link to the chosen month's report, shown in the card; its URL with format and language. */
async function reportLink(format) {
  const body = { valid_days: Number($("link-days").value) };
  if ($("report-month").value) body.month = $("report-month").value;
  const link = await apiSend("POST", `/sites/${state.site}/reports/monthly/links`, body);
  const url = new URL(link.path, window.location.origin);
  url.searchParams.set("lang", state.lang);
  if (format === "pdf") url.searchParams.set("format", "pdf");
  $("link-url").value = url.href;
  $("link-box").hidden = false;
  const when = new Date(link.expires_at).toLocaleString(state.lang === "id" ? "id-ID" : "en-GB",
    { dateStyle: "medium", timeStyle: "short" });
  $("link-expires").textContent = lt("valid_until").replace("{when}", when);
  return url.href;
}

/* Opens the report in a new tab at its signed URL (the tab is opened first, so no popup blocker stops it). */
async function openReportLink(format) {
  const tab = window.open("about:blank", "_blank");
  try {
    const href = await reportLink(format);
    if (tab) tab.location.href = href; else window.location.href = href;
  } catch (err) {
    if (tab) tab.close();
    showError(t("report"), err);
  }
}

function applyLinkLanguage() {
  for (const el of document.querySelectorAll("[data-link-i18n]")) el.textContent = lt(el.dataset.linkI18n);
}

document.addEventListener("DOMContentLoaded", () => {
  applyLinkLanguage();
  new MutationObserver(applyLinkLanguage).observe(document.body, { attributes: true, attributeFilter: ["data-loaded"] });
  $("report-link").addEventListener("click", () => reportLink("html").catch((err) => showError(t("report"), err)));
  $("link-copy").addEventListener("click", () => navigator.clipboard && navigator.clipboard.writeText($("link-url").value).catch(() => {}));
});
