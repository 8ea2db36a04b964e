// The setup page: live picture, draggable lines and zones, save through the device's config model.
"use strict";

const COLOURS = { entrance: "#ffc800", staff: "#c83cdc", queue: "#00a0ff", visitor: "#3cc83c" };
const OTHER = "#c8c8c8";
const ROLE_NAMES = { entrance: "pintu masuk", staff: "petugas", queue: "antrean", visitor: "pengunjung" };
const HIT_CSS_PX = 22;
const $ = (id) => document.getElementById(id);

const state = {
  lines: [], zones: [], roles: [], live: null, drag: null, dirty: false, frameUrl: null, stopped: false,
  // [x1, y1, x2, y2] the model looks at for the lines and zones on the page; null: the whole picture.
  region: null, regionAsking: false, regionAgain: false, size: null,
};

async function api(path, options = {}) {
  const response = await fetch(path, { credentials: "same-origin", cache: "no-store", ...options });
  if (response.status === 401 && path !== "/api/login") {
    showLogin();
    throw new Error("login required");
  }
  return response;
}

function showLogin() {
  state.stopped = true;
  $("app").hidden = true;
  $("login").hidden = false;
}

function colour(role) { return COLOURS[role] || OTHER; }
function round(v) { return Math.round(Math.min(1, Math.max(0, v)) * 1000) / 1000; }

// --- drawing -------------------------------------------------------------------------------

function canvasSize() {
  const canvas = $("overlay");
  const rect = canvas.getBoundingClientRect();
  const dpr = window.devicePixelRatio || 1;
  const w = Math.round(rect.width * dpr), h = Math.round(rect.height * dpr);
  if (canvas.width !== w || canvas.height !== h) { canvas.width = w; canvas.height = h; }
  return { canvas, w, h, dpr };
}

function label(ctx, text, x, y, fill, dpr) {
  ctx.font = `${13 * dpr}px system-ui, sans-serif`;
  const pad = 3 * dpr, tw = ctx.measureText(text).width, th = 15 * dpr;
  const bx = Math.min(Math.max(0, x), ctx.canvas.width - tw - 2 * pad);
  const by = Math.min(Math.max(0, y - th - pad), ctx.canvas.height - th - pad);
  ctx.fillStyle = fill;
  ctx.fillRect(bx, by, tw + 2 * pad, th + pad);
  ctx.fillStyle = "#000";
  ctx.fillText(text, bx + pad, by + th - 3 * dpr);
}

function handle(ctx, x, y, fill, dpr) {
  ctx.beginPath();
  ctx.arc(x, y, 8 * dpr, 0, 2 * Math.PI);
  ctx.fillStyle = fill; ctx.fill();
  ctx.lineWidth = 2 * dpr; ctx.strokeStyle = "#000"; ctx.stroke();
}

// White dashes on black, as on the --annotate video and the snapshot: seen on a bright scene
// and a dark one alike, and told apart from a zone's solid edge.
function drawRegion(ctx, w, h, dpr) {
  if (!state.region) return;
  const [x1, y1, x2, y2] = state.region;
  const lw = 2 * dpr;  // inside the box, so an edge on the picture's border stays visible
  const x = x1 * w + lw / 2, y = y1 * h + lw / 2, rw = (x2 - x1) * w - lw, rh = (y2 - y1) * h - lw;
  ctx.lineWidth = lw;
  ctx.strokeStyle = "#000"; ctx.strokeRect(x, y, rw, rh);
  ctx.setLineDash([8 * dpr, 8 * dpr]);
  ctx.strokeStyle = "#fff"; ctx.strokeRect(x, y, rw, rh);
  ctx.setLineDash([]);
  label(ctx, "area deteksi", x1 * w + 2 * dpr, y1 * h - 2 * dpr, "#fff", dpr);
}

function draw() {
  const { canvas, w, h, dpr } = canvasSize();
  const ctx = canvas.getContext("2d");
  ctx.clearRect(0, 0, w, h);
  drawRegion(ctx, w, h, dpr);
  const counts = state.live || { lines: {}, zones: {} };
  for (const zone of state.zones) {
    const c = colour(zone.role);
    ctx.beginPath();
    zone.points.forEach(([x, y], i) => (i ? ctx.lineTo(x * w, y * h) : ctx.moveTo(x * w, y * h)));
    ctx.closePath();
    ctx.lineWidth = 3 * dpr; ctx.strokeStyle = c; ctx.stroke();
    ctx.fillStyle = c + "22"; ctx.fill();
    const left = Math.min(...zone.points.map((p) => p[0])) * w, top = Math.min(...zone.points.map((p) => p[1])) * h;
    const n = counts.zones[zone.name];
    label(ctx, `${zone.name} · ${ROLE_NAMES[zone.role] || zone.role}${zone.gerai ? " · " + zone.gerai : ""}` +
      (n === undefined ? "" : `: ${n}`), left, top - 2 * dpr, c, dpr);
    zone.points.forEach(([x, y]) => handle(ctx, x * w, y * h, c, dpr));
    midpoints(zone).forEach(([x, y]) => {  // drag one to add a corner there
      ctx.beginPath(); ctx.arc(x * w, y * h, 5 * dpr, 0, 2 * Math.PI);
      ctx.fillStyle = "#fff"; ctx.fill(); ctx.lineWidth = 2 * dpr; ctx.strokeStyle = c; ctx.stroke();
    });
  }
  for (const line of state.lines) {
    const c = colour(line.role);
    const [[ax, ay], [bx, by]] = line.points.map(([x, y]) => [x * w, y * h]);
    ctx.lineWidth = 4 * dpr; ctx.strokeStyle = c;
    ctx.beginPath(); ctx.moveTo(ax, ay); ctx.lineTo(bx, by); ctx.stroke();
    // The arrow points to the positive side: walking along it counts "in".
    const mx = (ax + bx) / 2, my = (ay + by) / 2;
    let nx = -(by - ay), ny = bx - ax;
    const len = Math.hypot(nx, ny) || 1;
    nx = (nx / len) * 45 * dpr; ny = (ny / len) * 45 * dpr;
    const tx = mx + nx, ty = my + ny;
    ctx.beginPath(); ctx.moveTo(mx, my); ctx.lineTo(tx, ty); ctx.stroke();
    const angle = Math.atan2(ny, nx);
    ctx.beginPath();
    ctx.moveTo(tx, ty);
    ctx.lineTo(tx - 14 * dpr * Math.cos(angle - 0.5), ty - 14 * dpr * Math.sin(angle - 0.5));
    ctx.lineTo(tx - 14 * dpr * Math.cos(angle + 0.5), ty - 14 * dpr * Math.sin(angle + 0.5));
    ctx.closePath(); ctx.fillStyle = c; ctx.fill();
    label(ctx, "masuk", tx + 4 * dpr, ty + 8 * dpr, c, dpr);
    const t = counts.lines[line.name];
    const topEnd = ay <= by ? [ax, ay] : [bx, by];
    label(ctx, `${line.name}` + (t ? ` masuk ${t.in} keluar ${t.out}` : ""), topEnd[0] + 8 * dpr, topEnd[1] - 6 * dpr, c, dpr);
    handle(ctx, ax, ay, c, dpr);
    handle(ctx, bx, by, "#fff", dpr);
  }
  for (const foot of (state.live && state.live.feet) || []) {
    ctx.beginPath(); ctx.arc(foot.x * w, foot.y * h, 5 * dpr, 0, 2 * Math.PI);
    ctx.fillStyle = "#ff3c3c"; ctx.fill();
  }
}

// --- dragging ------------------------------------------------------------------------------

function pointerAt(event) {
  const rect = $("overlay").getBoundingClientRect();
  return { x: (event.clientX - rect.left) / rect.width, y: (event.clientY - rect.top) / rect.height, rect };
}

function midpoints(zone) {
  return zone.points.map(([x, y], j) => {
    const [nx, ny] = zone.points[(j + 1) % zone.points.length];
    return [(x + nx) / 2, (y + ny) / 2];
  });
}

function nearest(p) {
  let best = null, bestD = HIT_CSS_PX;
  const visit = (list, kind, points) => list.forEach((item, i) => points(item).forEach(([x, y], j) => {
    const d = Math.hypot((x - p.x) * p.rect.width, (y - p.y) * p.rect.height);
    if (d <= bestD) { best = { kind, i, j }; bestD = d; }
  }));
  visit(state.zones, "middle", midpoints);  // corners and line ends win a tie
  visit(state.zones, "zones", (zone) => zone.points);
  visit(state.lines, "lines", (line) => line.points);  // drawn on top
  return best;
}

function onDown(event) {
  const target = nearest(pointerAt(event));
  if (!target) return;
  if (target.kind === "middle") {  // a new corner between two, dragged from there
    const zone = state.zones[target.i];
    zone.points.splice(target.j + 1, 0, midpoints(zone)[target.j].map(round));
    Object.assign(target, { kind: "zones", j: target.j + 1 });
  }
  state.drag = target;
  $("overlay").setPointerCapture(event.pointerId);
  event.preventDefault();
}

function onMove(event) {
  if (!state.drag) return;
  const p = pointerAt(event);
  state[state.drag.kind][state.drag.i].points[state.drag.j] = [round(p.x), round(p.y)];
  markDirty();
  draw();
}

function onUp() { state.drag = null; }

function markDirty() {
  state.dirty = true;
  $("status").textContent = "Belum disimpan.";
  refreshRegion();
}

// --- the list of lines and zones -----------------------------------------------------------

function field(tag, attrs, onChange) {
  const el = document.createElement(tag);
  Object.assign(el, attrs);
  el.addEventListener("input", () => { onChange(el.value); markDirty(); renderItems(false); draw(); });
  return el;
}

function roleSelect(item) {
  const select = field("select", { className: "role", title: "peran" }, (v) => { item.role = v; });
  const roles = state.roles.includes(item.role) ? state.roles : [...state.roles, item.role];
  for (const role of roles) {
    const option = document.createElement("option");
    option.value = role; option.textContent = ROLE_NAMES[role] || role;
    select.append(option);
  }
  select.value = item.role;
  return select;
}

function button(text, title, onClick) {
  const el = document.createElement("button");
  el.type = "button"; el.textContent = text; el.title = title;
  el.addEventListener("click", () => { onClick(); markDirty(); renderItems(true); draw(); });
  return el;
}

function renderItems(rebuild) {
  const box = $("items");
  if (!rebuild) {  // typing: only the colours change, keep the focus
    box.querySelectorAll(".item").forEach((row) => {
      const item = state[row.dataset.kind][Number(row.dataset.index)];
      if (item) row.style.setProperty("--role", colour(item.role));
    });
    return;
  }
  box.replaceChildren();
  state.lines.forEach((line, i) => {
    const row = document.createElement("div");
    row.className = "item"; row.dataset.kind = "lines"; row.dataset.index = i;
    row.style.setProperty("--role", colour(line.role));
    const kind = document.createElement("span"); kind.className = "kind"; kind.textContent = "garis";
    row.append(kind,
      field("input", { className: "name", value: line.name, title: "nama garis" }, (v) => { line.name = v; }),
      roleSelect(line),
      button("⇄ arah", "balik arah masuk", () => { line.points.reverse(); }),
      button("✕", "hapus garis", () => { state.lines.splice(i, 1); }));
    box.append(row);
  });
  state.zones.forEach((zone, i) => {
    const row = document.createElement("div");
    row.className = "item"; row.dataset.kind = "zones"; row.dataset.index = i;
    row.style.setProperty("--role", colour(zone.role));
    const kind = document.createElement("span"); kind.className = "kind"; kind.textContent = "zona";
    row.append(kind,
      field("input", { className: "name", value: zone.name, title: "nama zona" }, (v) => { zone.name = v; }),
      roleSelect(zone),
      field("input", { className: "gerai", value: zone.gerai || "", placeholder: "gerai", title: "gerai (loket)" },
        (v) => { zone.gerai = v; }),
      button("− sudut", "hapus sudut terakhir", () => { if (zone.points.length > 3) zone.points.pop(); }),
      button("✕", "hapus zona", () => { state.zones.splice(i, 1); }));
    box.append(row);
  });
}

function freeName(prefix) {
  const names = new Set([...state.lines, ...state.zones].map((x) => x.name));
  let n = 1;
  while (names.has(`${prefix}-${n}`)) n += 1;
  return `${prefix}-${n}`;
}

// --- server --------------------------------------------------------------------------------

function payload() {
  return {
    lines: state.lines.map((l) => ({ name: l.name, role: l.role, points: l.points })),
    zones: state.zones.map((z) => {
      const zone = { name: z.name, role: z.role, points: z.points };
      if (z.gerai) zone.gerai = z.gerai;
      return zone;
    }),
  };
}

async function save() {
  $("status").textContent = "Menyimpan…";
  $("status").className = "";
  const response = await api("/api/config", {
    method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(payload()),
  });
  const body = await response.json();
  if (response.ok) {
    state.dirty = false;
    $("status").textContent = `Tersimpan ke ${body.saved} (yang lama: ${body.backup}). Hitungan dimulai dari nol.`;
    document.body.dataset.saved = String(body.generation);
  } else {
    $("status").textContent = body.error;
    $("status").className = "error";
  }
}

// The device works the region out (edge.counting.region, in the picture's pixels) for the
// geometry being edited, so the page shows what a save would make the model look at. One
// question at a time; edits made meanwhile ask once more with the latest geometry.
async function refreshRegion() {
  if (state.regionAsking) { state.regionAgain = true; return; }
  state.regionAsking = true;
  try {
    do {
      state.regionAgain = false;
      const response = await api("/api/region", {
        method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(payload()),
      });
      state.region = response.ok ? (await response.json()).region : null;
    } while (state.regionAgain);
  } catch (e) { /* asked again on the next edit or picture size */ } finally { state.regionAsking = false; }
  document.body.dataset.region = JSON.stringify(state.region);
  draw();
}

async function refreshFrame() {
  if (state.stopped) return;
  try {
    const response = await api("/api/frame.jpg");
    if (response.ok) {
      const url = URL.createObjectURL(await response.blob());  // in memory only
      $("frame").src = url;
      if (state.frameUrl) URL.revokeObjectURL(state.frameUrl);
      state.frameUrl = url;
    }
  } catch (e) { /* shown by the live state */ }
  setTimeout(refreshFrame, 300);
}

async function refreshLive() {
  if (state.stopped) return;
  try {
    const response = await api("/api/live");
    state.live = await response.json();
    const size = JSON.stringify(state.live.size);
    if (size !== state.size) { state.size = size; refreshRegion(); }  // the first picture, or a new camera size
    $("source-error").hidden = !state.live.error;
    $("source-error").textContent = state.live.error ? `Kamera: ${state.live.error}` : "";
    renderCounts();
    if (!state.drag) draw();
  } catch (e) { /* retried */ }
  setTimeout(refreshLive, 500);
}

function renderCounts() {
  const body = $("counts").querySelector("tbody");
  body.replaceChildren();
  for (const [name, t] of Object.entries(state.live.lines)) {
    const row = body.insertRow();
    row.insertCell().textContent = name; row.insertCell().textContent = t.in; row.insertCell().textContent = t.out;
  }
  for (const [name, n] of Object.entries(state.live.zones)) {
    const row = body.insertRow();
    row.insertCell().textContent = name; row.insertCell().textContent = n; row.insertCell().textContent = "";
  }
}

async function start() {
  const response = await api("/api/config");
  const config = await response.json();
  if (!response.ok) { $("status").textContent = config.error; return; }
  Object.assign(state, { lines: config.lines, zones: config.zones, roles: config.roles, stopped: false });
  $("device").textContent = `${config.device} · ${config.config}`;
  $("login").hidden = true;
  $("app").hidden = false;
  renderItems(true);
  draw();
  refreshRegion();
  document.body.dataset.ready = "1";
  refreshFrame();
  refreshLive();
}

$("login-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const response = await api("/api/login", {
    method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ password: $("password").value }),
  });
  if (response.ok) {
    $("login-error").hidden = true;
    $("password").value = "";
    start();
  } else {
    $("login-error").textContent = "Kata sandi salah.";
    $("login-error").hidden = false;
  }
});

const overlay = $("overlay");
overlay.addEventListener("pointerdown", onDown);
overlay.addEventListener("pointermove", onMove);
overlay.addEventListener("pointerup", onUp);
overlay.addEventListener("pointercancel", onUp);
$("frame").addEventListener("load", draw);
window.addEventListener("resize", draw);
$("add-line").addEventListener("click", () => {
  state.lines.push({ name: freeName("garis"), role: "entrance", points: [[0.5, 0.3], [0.5, 0.7]] });
  markDirty(); renderItems(true); draw();
});
$("add-zone").addEventListener("click", () => {
  state.zones.push({ name: freeName("zona"), role: "queue", points: [[0.3, 0.3], [0.7, 0.3], [0.7, 0.7], [0.3, 0.7]] });
  markDirty(); renderItems(true); draw();
});
$("save").addEventListener("click", save);
window.addEventListener("beforeunload", (event) => { if (state.dirty) event.preventDefault(); });

start().catch(() => showLogin());
