// The audit page: step or play the recording, press in/out at each crossing, mark zone presence.
"use strict";

const $ = (id) => document.getElementById(id);
const audit = { frames: 0, fps: 25, frame: 1, lines: [], geometry: [], zoneFrames: [], playing: null, marks: {} };

async function api(path, options = {}) {
  const response = await fetch(path, { credentials: "same-origin", cache: "no-store", ...options });
  if (response.status === 401 && path !== "/api/login") {
    $("app").hidden = true;
    $("login").hidden = false;
    throw new Error("login required");
  }
  return response;
}

function post(path, body) {
  return api(path, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
}

function status(text, error = false) {
  $("status").textContent = text;
  $("status").className = error ? "error" : "";
}

function drawLines() {
  const canvas = $("overlay"), rect = canvas.getBoundingClientRect();
  canvas.width = rect.width; canvas.height = rect.height;
  const ctx = canvas.getContext("2d");
  ctx.lineWidth = 3; ctx.strokeStyle = "#ffc800"; ctx.fillStyle = "#ffc800"; ctx.font = "13px system-ui";
  for (const line of audit.geometry) {
    const [a, b] = line.points;
    ctx.beginPath(); ctx.moveTo(a[0] * rect.width, a[1] * rect.height); ctx.lineTo(b[0] * rect.width, b[1] * rect.height);
    ctx.stroke();
    ctx.fillText(line.name, a[0] * rect.width + 4, a[1] * rect.height - 4);
  }
}

function show(frame) {
  audit.frame = Math.min(audit.frames, Math.max(1, frame));
  $("frame-no").value = audit.frame;
  $("frame").src = `/api/audit/frame/${audit.frame}.png`;
  const sampled = audit.zoneFrames.includes(audit.frame);
  for (const button of document.querySelectorAll("#zones button")) button.disabled = !sampled;
}

function renderCounts(state) {
  for (const name of audit.lines) {
    const entered = state.crossings.filter((c) => c.line === name);
    $(`entered-${name}`).textContent =
      `masuk ${entered.filter((c) => c.direction === "in").length}, keluar ${entered.filter((c) => c.direction === "out").length}`;
  }
  audit.marks = {};
  for (const m of state.zone_marks) audit.marks[`${m.zone}@${m.frame}`] = m.present;
  const marked = Object.keys(audit.marks).length;
  if (audit.zoneFrames.length) $("zones-section").querySelector("h2").textContent =
    `Zona (bingkai contoh; ${marked} dari ${audit.zoneFrames.length * $("zones").children.length} ditandai)`;
}

async function refresh() {
  const state = await (await api("/api/audit")).json();
  renderCounts(state);
  return state;
}

async function crossing(line, direction) {
  const response = await post("/api/audit/crossing", { line, direction, frame: audit.frame });
  const body = await response.json();
  if (!response.ok) { status(body.error, true); return; }
  status(`${direction === "in" ? "Masuk" : "Keluar"} di ${line}, bingkai ${audit.frame}`);
  await refresh();
}

async function markZone(zone, present) {
  const response = await post("/api/audit/zone", { zone, frame: audit.frame, present });
  const body = await response.json();
  if (!response.ok) { status(body.error, true); return; }
  status(`${zone}: ${present ? "ada orang" : "kosong"} pada bingkai ${audit.frame}`);
  await refresh();
}

function row(name, buttons) {
  const div = document.createElement("div");
  div.className = "audit-row";
  const label = document.createElement("span");
  label.className = "name"; label.textContent = name;
  div.append(label);
  for (const [id, text, onClick] of buttons) {
    const button = document.createElement("button");
    button.type = "button"; button.id = id; button.textContent = text; button.onclick = onClick;
    div.append(button);
  }
  return div;
}

function play() {
  if (audit.playing) {
    clearInterval(audit.playing); audit.playing = null; $("play").textContent = "Putar"; return;
  }
  $("play").textContent = "Jeda";
  const interval = 1000 / (audit.fps * Number($("speed").value));
  audit.playing = setInterval(() => {
    if (audit.frame >= audit.frames) { play(); return; }
    show(audit.frame + 1);
  }, interval);
}

function showResult(result) {
  const percent = (v) => (v === null ? "–" : `${Math.round(v * 1000) / 10} %`);
  const lines = Object.entries(result.lines).map(([name, l]) =>
    `<tr><td>${name}</td><td>${l.in_true} / ${l.in_count}</td><td>${l.out_true} / ${l.out_count}</td></tr>`).join("");
  $("result").innerHTML = `<h2>Hasil</h2><p>Akurasi garis <b id="accuracy">${percent(result.line_accuracy)}</b>,
    kesesuaian zona <b>${percent(result.zone_agreement)}</b>. Rekaman sudah dihapus.</p>
    <table><thead><tr><th>Garis</th><th>Masuk benar / terhitung</th><th>Keluar benar / terhitung</th></tr></thead>
    <tbody>${lines}</tbody></table>`;
}

async function start() {
  const response = await api("/api/audit");
  const state = await response.json();
  if (!response.ok) { $("device").textContent = state.error; return; }  // no audit open: say so in the header
  const config = await (await api("/api/config")).json();
  $("device").textContent = config.device;
  audit.geometry = config.lines;
  Object.assign(audit, { frames: state.frames, fps: state.fps, lines: state.lines, zoneFrames: state.zone_frames });
  $("frames").textContent = state.frames;
  $("frame-no").max = state.frames;
  for (const name of state.lines) {
    const r = row(name, [[`in-${name}`, "Masuk", () => crossing(name, "in")], [`out-${name}`, "Keluar", () => crossing(name, "out")]]);
    const entered = document.createElement("span");
    entered.id = `entered-${name}`;
    r.append(entered);
    $("lines").append(r);
  }
  for (const name of state.zones) {
    $("zones").append(row(name, [[`present-${name}`, "Ada orang", () => markZone(name, true)],
                                 [`empty-${name}`, "Kosong", () => markZone(name, false)]]));
  }
  $("zones-section").hidden = state.zones.length === 0;
  $("login").hidden = true;
  $("app").hidden = false;
  renderCounts(state);
  if (state.result) showResult(state.result);
  show(1);
}

$("frame").addEventListener("load", drawLines);
$("prev").onclick = () => show(audit.frame - 1);
$("next").onclick = () => show(audit.frame + 1);
$("play").onclick = play;
$("frame-no").addEventListener("change", () => show(Number($("frame-no").value) || 1));
$("next-sample").onclick = () => {
  const next = audit.zoneFrames.find((f) => f > audit.frame);
  show(next === undefined ? audit.zoneFrames[0] : next);
};
$("undo").onclick = async () => { await post("/api/audit/undo", {}); status("Penyeberangan terakhir dibatalkan"); await refresh(); };
$("save-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const response = await post("/api/audit/save", { who: $("who").value });
  const body = await response.json();
  if (!response.ok) { status(body.error, true); return; }
  status(`Audit disimpan di perangkat (${body.saved}).`);
  showResult(body);
});
$("abandon").onclick = async () => {
  if (!confirm("Batalkan audit dan hapus rekamannya?")) return;
  await post("/api/audit/abandon", {});
  status("Audit dibatalkan; rekaman sudah dihapus.");
};
$("login-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const response = await post("/api/login", { password: $("password").value });
  if (!response.ok) { $("login-error").hidden = false; $("login-error").textContent = "Kata sandi salah"; return; }
  await start();
});
start().catch(() => {});
