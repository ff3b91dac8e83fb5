// The ceasefire dashboard: a map (no tiles: OCHA boundaries and gazetteer names served by the
// app), a time slider over the agreement's days, the clock, incident drill-down, party
// scorecards and the printable daily report. Every piece of data comes from the API with the
// caller's token; the server filters what each role may see.
import L from "leaflet";
import "leaflet/dist/leaflet.css";
import Supercluster from "supercluster";
import "./style.css";

const QUAL_COLOURS = {
  violation: "#c0392b",
  undetermined: "#e6a100",
  not_violation: "#2e6fb7",
  out_of_scope: "#6b6b6b",
};
const QUAL_LABELS = {
  violation: "violation",
  undetermined: "undetermined",
  not_violation: "not a violation",
  out_of_scope: "out of scope",
};
const CONTROL_COLOURS = { SYR_GOV: "#d98c8c", SYR_INSURGENTS: "#8cc48c", YPG: "#e3d36b", ISIS: "#777" };
const $ = (id) => document.getElementById(id);
const state = {
  token: null,
  who: null,
  agreement: null,
  layer: null,
  dates: [],
  dateIndex: 0,
  index: null,
  actors: {},
  firstRenderDone: false,
};

// -- API --------------------------------------------------------------------------------------
async function api(path, asText = false) {
  const headers = state.token ? { Authorization: `Bearer ${state.token}` } : {};
  const response = await fetch(path, { headers });
  if (!response.ok) {
    let message = `${response.status}`;
    try {
      message = (await response.json()).error.message;
    } catch (_) {
      /* not JSON */
    }
    const error = new Error(message);
    error.status = response.status;
    throw error;
  }
  return asText ? response.text() : response.json();
}
const q = (params) => new URLSearchParams(params).toString();

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") node.className = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? "" : v);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function bilingual(en, ar) {
  return ar ? [en, " · ", el("span", { lang: "ar", dir: "rtl" }, ar)] : [en];
}

function actorName(id) {
  const a = state.actors[id];
  return a ? bilingual(a.name, a.name_ar) : [id];
}

function longDate(iso) {
  const [y, m, d] = iso.split("-").map(Number);
  const months = ["Jan", "Feb", "Mar", "Apr", "May", "June", "July", "Aug", "Sept", "Oct", "Nov", "Dec"];
  return `${d} ${months[m - 1]} ${y}`;
}

// -- login ------------------------------------------------------------------------------------
// timings of the first load (read by bench/bench_dashboard.py)
window.__timings = {};
function mark(name) {
  if (!(name in window.__timings)) window.__timings[name] = Math.round(performance.now());
}

async function start() {
  const mode = sessionStorage.getItem("cf-mode");
  if (!mode) return showLogin();
  state.token = mode === "token" ? sessionStorage.getItem("cf-token") : null;
  // the incident layer is the largest answer: ask for it at once, beside /whoami
  const asked = new URLSearchParams(location.search).get("agreement");
  state.layerPromise = api(`/dashboard/layer${asked ? `?${q({ agreement: asked })}` : ""}`);
  state.layerPromise.catch(() => {});
  try {
    state.who = await api("/whoami");
    mark("whoami");
  } catch (error) {
    sessionStorage.clear();
    return showLogin(error.message);
  }
  $("login").hidden = true;
  $("app").hidden = false;
  $("who").hidden = false;
  const w = state.who;
  $("role-badge").textContent =
    w.role === "public" ? "Public view" : `${w.name} — ${w.role}${w.party ? ` (${w.party})` : ""}`;
  const wanted = new URLSearchParams(location.search).get("agreement");
  state.agreement = w.agreements.includes(wanted) ? wanted : w.default_agreement || w.agreements[0];
  await startDashboard();
}

function showLogin(message = "") {
  $("app").hidden = true;
  $("who").hidden = true;
  $("login").hidden = false;
  $("login-error").textContent = message;
  $("token").focus();
}

$("login-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const token = $("token").value.trim();
  if (!token) {
    $("login-error").textContent = "Give a token, or continue as public.";
    return;
  }
  sessionStorage.setItem("cf-mode", "token");
  sessionStorage.setItem("cf-token", token);
  start();
});
$("public-btn").addEventListener("click", () => {
  sessionStorage.setItem("cf-mode", "public");
  sessionStorage.removeItem("cf-token");
  start();
});
$("logout-btn").addEventListener("click", () => {
  sessionStorage.clear();
  location.reload();
});

// -- tabs -------------------------------------------------------------------------------------
const tabs = Array.from(document.querySelectorAll('[role="tab"]'));
function selectTab(tab, focus = true) {
  for (const t of tabs) {
    const on = t === tab;
    t.setAttribute("aria-selected", String(on));
    t.tabIndex = on ? 0 : -1;
    $(t.getAttribute("aria-controls")).hidden = !on;
  }
  if (focus) tab.focus();
  if (tab.id === "tab-report") loadReport();
}
for (const tab of tabs) {
  tab.addEventListener("click", () => selectTab(tab));
  tab.addEventListener("keydown", (event) => {
    const i = tabs.indexOf(tab);
    if (event.key === "ArrowRight") selectTab(tabs[(i + 1) % tabs.length]);
    else if (event.key === "ArrowLeft") selectTab(tabs[(i - 1 + tabs.length) % tabs.length]);
    else if (event.key === "Home") selectTab(tabs[0]);
    else if (event.key === "End") selectTab(tabs[tabs.length - 1]);
    else return;
    event.preventDefault();
  });
}

// -- the map ----------------------------------------------------------------------------------
let map;
let renderer;
let controlLayer;
let incidentLayer;

const IncidentCanvas = L.Layer.extend({
  onAdd(m) {
    this._canvas = L.DomUtil.create("canvas", "incident-canvas");
    m.getContainer().appendChild(this._canvas);
    m.on("move zoomend resize viewreset", this.redraw, this);
    m.on("click", this._click, this);
    this.redraw();
  },
  onRemove(m) {
    this._canvas.remove();
    m.off("move zoomend resize viewreset", this.redraw, this);
    m.off("click", this._click, this);
  },
  redraw() {
    if (!this._map || !this._canvas) return;
    const m = this._map;
    const size = m.getSize();
    const ratio = window.devicePixelRatio || 1;
    const canvas = this._canvas;
    if (canvas.width !== size.x * ratio || canvas.height !== size.y * ratio) {
      canvas.width = size.x * ratio;
      canvas.height = size.y * ratio;
      canvas.style.width = `${size.x}px`;
      canvas.style.height = `${size.y}px`;
    }
    const ctx = canvas.getContext("2d");
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.clearRect(0, 0, size.x, size.y);
    this._drawn = [];
    if (!state.index) return;
    const b = m.getBounds();
    const zoom = Math.round(m.getZoom());
    const items = state.index.getClusters([b.getWest() - 1, b.getSouth() - 1, b.getEast() + 1, b.getNorth() + 1], zoom);
    ctx.font = "bold 11px system-ui, sans-serif";
    ctx.textAlign = "center";
    ctx.textBaseline = "middle";
    for (const item of items) {
      const [lng, lat] = item.geometry.coordinates;
      const p = m.latLngToContainerPoint([lat, lng]);
      const props = item.properties;
      if (props.cluster) {
        const counts = props.c;
        const worst = counts[0] ? "violation" : counts[1] ? "undetermined" : counts[2] ? "not_violation" : "out_of_scope";
        const r = 9 + Math.min(16, Math.log2(props.point_count) * 2);
        ctx.beginPath();
        ctx.arc(p.x, p.y, r, 0, 2 * Math.PI);
        ctx.fillStyle = QUAL_COLOURS[worst];
        ctx.globalAlpha = 0.85;
        ctx.fill();
        ctx.globalAlpha = 1;
        ctx.lineWidth = 2;
        ctx.strokeStyle = "#111";
        ctx.stroke();
        ctx.fillStyle = worst === "undetermined" ? "#111" : "#fff";
        ctx.fillText(String(props.point_count_abbreviated), p.x, p.y);
        this._drawn.push({ p, r, cluster: item.id, lat, lng });
      } else {
        const qual = state.layer.qualifications[props.q];
        ctx.beginPath();
        ctx.arc(p.x, p.y, 6, 0, 2 * Math.PI);
        ctx.fillStyle = QUAL_COLOURS[qual];
        ctx.fill();
        ctx.lineWidth = 1.5;
        ctx.strokeStyle = "#111";
        ctx.stroke();
        this._drawn.push({ p, r: 7, i: props.i });
      }
    }
    if (!state.firstRenderDone) {
      state.firstRenderDone = true;
      window.__firstRender = performance.now();
      mark("first-render");
      document.body.dataset.firstRender = "done";
    }
  },
  _click(event) {
    const pt = event.containerPoint;
    let best = null;
    for (const d of this._drawn || []) {
      const dist = Math.hypot(d.p.x - pt.x, d.p.y - pt.y);
      if (dist <= d.r + 3 && (!best || dist < best.dist)) best = { ...d, dist };
    }
    if (!best) return;
    if (best.cluster !== undefined) {
      const zoom = Math.min(state.index.getClusterExpansionZoom(best.cluster), 18);
      this._map.setView([best.lat, best.lng], zoom);
    } else {
      openIncident(state.layer.keys[best.i]);
    }
  },
});

function setupMap() {
  renderer = L.canvas({ padding: 0.3 });
  map = L.map("map", {
    preferCanvas: true,
    renderer,
    zoomSnap: 1,
    attributionControl: true,
    keyboard: true,
    minZoom: 5,
    maxZoom: 17,
  }).setView([35.0, 38.4], 7);
  map.attributionControl.setPrefix(false);
  map.attributionControl.addAttribution("OCHA COD-AB; GeoNames (CC BY); UCDP GED");
  map.getContainer().style.background = "#eef2f5";
}

async function loadBasemap(layers) {
  const [admin1, neighbourhoods, places] = await Promise.all([
    api("/basemap/admin1"),
    api("/basemap/neighbourhoods"),
    api("/basemap/places"),
  ]);
  const gov = L.geoJSON(admin1, {
    renderer,
    interactive: false,
    style: { color: "#555", weight: 1, fillColor: "#fbfbf8", fillOpacity: 1 },
  }).addTo(map);
  const hoods = L.geoJSON(neighbourhoods, {
    renderer,
    style: { color: "#999", weight: 0.5, fill: false },
    onEachFeature: (f, layer) => layer.bindTooltip(`${f.properties.name} · ${f.properties.name_ar || ""}`),
  }).addTo(map);
  const labels = L.layerGroup(
    places.places.map((p) =>
      L.marker([p.lat, p.lon], {
        interactive: false,
        keyboard: false,
        icon: L.divIcon({
          className: p.kind === "admin1" ? "place-label gov" : "place-label",
          html: `<span>${escapeHtml(p.name)}</span>${p.name_ar ? ` <span lang="ar" dir="rtl">${escapeHtml(p.name_ar)}</span>` : ""}`,
          iconSize: null,
        }),
      }),
    ),
  ).addTo(map);
  map.fitBounds(gov.getBounds(), { animate: false });
  const zoomClass = () => map.getContainer().classList.toggle("zoomed-out", map.getZoom() < 8);
  map.on("zoomend", zoomClass);
  zoomClass();
  layers.addOverlay(gov, "Governorates (OCHA)");
  layers.addOverlay(hoods, "Aleppo neighbourhoods (OCHA)");
  layers.addOverlay(labels, "Place names (EN/AR)");
}

function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}

async function loadZones(layers) {
  const zones = await api(`/zones?${q({ agreement: state.agreement })}`);
  const drawn = zones.features.filter((f) => f.geometry);
  const layer = L.geoJSON(
    { type: "FeatureCollection", features: drawn },
    {
      renderer,
      style: (f) =>
        f.properties.part === "reference_line"
          ? { color: "#5b2c83", weight: 3, dashArray: "6 4" }
          : { color: "#5b2c83", weight: 1, fillColor: "#8e44ad", fillOpacity: 0.15 },
      onEachFeature: (f, l) =>
        l.bindTooltip(
          `${escapeHtml(f.properties.title)} — ${escapeHtml(f.properties.part)}${f.properties.approximate ? " (approximate)" : ""}`,
        ),
    },
  ).addTo(map);
  layers.addOverlay(layer, "Zones and bands");
  const undelineated = zones.features.filter((f) => !f.geometry).map((f) => f.properties);
  $("zones-note").textContent = undelineated.length
    ? "Zones never delineated (listed, not drawn): " + undelineated.map((z) => `${z.title} (${z.type}, ${z.status})`).join("; ") + "."
    : "";
}

async function loadControl() {
  const date = state.dates[state.dateIndex];
  const data = await api(`/control/map?${q({ date })}`);
  controlLayer.clearLayers();
  controlLayer.addData(data);
}

function controlStyle(f) {
  const p = f.properties;
  const colour = p.status === "held" && p.actors.length === 1 ? CONTROL_COLOURS[p.actors[0]] || "#b9a3d6" : null;
  if (p.status === "contested") return { color: "#333", weight: 0.5, fillColor: "#b084cc", fillOpacity: 0.55, dashArray: "2 2" };
  if (!colour) return { color: "#666", weight: 0.5, fillColor: "#ddd", fillOpacity: 0.4 };
  return { color: "#333", weight: 0.5, fillColor: colour, fillOpacity: 0.55 };
}

let convoyLayer;
async function loadHumanitarian(layers) {
  const data = await api("/humanitarian");
  state.humanitarian = data;
  convoyLayer = L.layerGroup().addTo(map);
  drawConvoys();
  layers.addOverlay(convoyLayer, "Humanitarian convoys");
  renderAid(data);
}

function drawConvoys() {
  if (!convoyLayer || !state.humanitarian) return;
  const group = convoyLayer;
  group.clearLayers();
  const date = state.dates[state.dateIndex];
  for (const convoy of state.humanitarian.convoys) {
    for (const e of convoy.events) {
      if (e.lat === null || e.lon === null || e.window.start.slice(0, 10) > date) continue;
      L.circleMarker([e.lat, e.lon], {
        renderer,
        radius: 8,
        color: "#111",
        weight: 2,
        fillColor: e.status === "attacked" ? "#c0392b" : e.status === "delivered" ? "#27ae60" : "#f1c40f",
        fillOpacity: 1,
      })
        .bindTooltip(`Convoy ${escapeHtml(convoy.id)} (${escapeHtml(convoy.organisation)}): ${escapeHtml(e.status)} at ${escapeHtml(e.place)}`)
        .addTo(group);
    }
  }
}

// -- incidents --------------------------------------------------------------------------------
function buildIndex() {
  const L_ = state.layer;
  const limit = state.dateIndex;
  const dayOnly = $("day-only").checked;
  const points = [];
  for (let i = 0; i < L_.keys.length; i++) {
    const d = L_.day[i];
    if (dayOnly ? d !== limit : d > limit) continue;
    points.push({ type: "Feature", properties: { i, q: L_.q[i] }, geometry: { type: "Point", coordinates: [L_.lon[i], L_.lat[i]] } });
  }
  const index = new Supercluster({
    radius: 50,
    maxZoom: 13,
    map: (p) => {
      const c = [0, 0, 0, 0];
      c[p.q] = 1;
      return { c };
    },
    reduce: (acc, p) => {
      for (let k = 0; k < 4; k++) acc.c[k] += p.c[k];
    },
  });
  index.load(points);
  state.index = index;
  state.shown = points.length;
  const counts = [0, 0, 0, 0];
  for (const p of points) counts[p.properties.q]++;
  $("map-status").textContent =
    `${points.length.toLocaleString("en")} incidents on the map (${dayOnly ? "this day" : "up to this day"}): ` +
    L_.qualifications.map((name, k) => `${QUAL_LABELS[name]}: ${counts[k].toLocaleString("en")}`).join(", ") +
    (L_.unlocated ? `; ${L_.unlocated} without coordinates not drawn` : "") + ".";
  if (incidentLayer) incidentLayer.redraw();
}

function renderIncidentList() {
  const L_ = state.layer;
  const day = state.dateIndex;
  const list = $("incident-list");
  list.replaceChildren();
  const rows = [];
  for (let i = 0; i < L_.keys.length; i++) if (L_.day[i] === day) rows.push(i);
  const LIMIT = 300;
  $("incident-count").textContent =
    `${rows.length} incident(s) on ${longDate(state.dates[day])}` + (rows.length > LIMIT ? ` — the first ${LIMIT} are listed` : "") + ".";
  for (const i of rows.slice(0, LIMIT)) {
    const qual = L_.qualifications[L_.q[i]];
    list.append(
      el(
        "li",
        {},
        el(
          "button",
          { type: "button", class: "incident-item", "data-key": L_.keys[i], onclick: () => openIncident(L_.keys[i]) },
          el("span", { class: `qual q-${qual}` }, QUAL_LABELS[qual]),
          " ",
          el("strong", {}, L_.places[L_.place[i]] || "unnamed place"),
          " ",
          el("code", {}, L_.keys[i]),
          L_.fatalities[i] >= 0 ? ` — ${L_.fatalities[i]} killed (best estimate)` : "",
        ),
      ),
    );
  }
}

function whenText(w) {
  const start = w.start.slice(0, 16).replace("T", " ");
  const end = w.end.slice(0, 16).replace("T", " ");
  return `${start} to ${end} local time (precision: ${w.precision})`;
}

async function openIncident(key) {
  const panel = $("incident-detail");
  const body = $("detail-body");
  state.returnFocus = document.activeElement;
  body.replaceChildren(el("p", {}, `Loading ${key} …`));
  panel.hidden = false;
  let d;
  try {
    d = await api(`/incidents/${encodeURIComponent(key).replace(/%3A/g, ":").replace(/%2F/g, "/")}?${q({ agreement: state.agreement })}`);
  } catch (error) {
    body.replaceChildren(el("p", { class: "error" }, error.message));
    return;
  }
  const inc = d.incident;
  const f = d.finding;
  body.replaceChildren(
    el("h2", { id: "detail-title" }, `${inc.place.name || "Unnamed place"} — `, el("code", {}, inc.key)),
    el(
      "p",
      {},
      `${whenText(d.when)} · ${inc.category}${inc.sub_category ? ` / ${inc.sub_category}` : ""}` +
        (inc.fatalities.best !== null ? ` · ${inc.fatalities.best} killed (best; low ${inc.fatalities.low ?? "?"}, high ${inc.fatalities.high ?? "?"})` : ""),
    ),
    el("h3", {}, "Finding"),
    el(
      "p",
      { id: "detail-finding" },
      el("span", { class: `qual q-${f.qualification}` }, QUAL_LABELS[f.qualification] || f.qualification),
      ` · codes ${f.codes.join(", ") || "—"} · occurrence ${f.occurrence} · attribution ${f.attribution}`,
    ),
    el("p", { id: "detail-explanation", class: "explanation" }, f.explanation),
    el("h3", {}, "Actors"),
    el(
      "ul",
      { id: "detail-actors" },
      d.actors.map((a) =>
        el(
          "li",
          {},
          `${a.role}: ${a.name}`,
          a.resolved.length ? [" — ", ...a.resolved.flatMap((r, k) => [k ? "; " : "", ...bilingual(r.name, r.name_ar)])] : "",
        ),
      ),
    ),
    el("h3", {}, "Sources"),
    d.sources_withheld
      ? el("p", { id: "detail-sources" }, "The reporter of this report is not shown to your role.")
      : el(
          "ul",
          { id: "detail-sources" },
          d.sources.length
            ? d.sources.map((s) =>
                el(
                  "li",
                  {},
                  el("strong", {}, s.name),
                  s.date ? ` (${s.date})` : "",
                  s.span
                    ? [" — quoted span: document ", el("code", {}, s.span.document), `, characters ${s.span.start}–${s.span.end}`]
                    : s.reference
                      ? [" — ", el("code", {}, s.reference)]
                      : "",
                  s.quote ? el("blockquote", { class: "quote" }, s.quote) : "",
                ),
              )
            : el("li", {}, "No source named."),
        ),
    ...(d.stories && d.stories.length ? [el("h3", {}, "News story"), ...d.stories.map(storyBlock)] : []),
    el("h3", {}, "Judgements over time"),
    el(
      "ul",
      { id: "detail-history" },
      d.judgements.map((j) => el("li", {}, `${j.known_from.slice(0, 10)} — ${j.axis}: ${j.value} (by ${j.by})${j.note ? ` — ${j.note}` : ""}`)),
      d.qualification_over_time.map((t) => el("li", {}, `as of ${t.as_of.slice(0, 10)}: ${QUAL_LABELS[t.qualification] || t.qualification}; attribution ${t.attribution}`)),
    ),
    el("p", { class: "muted" }, `Revisions: ${d.revisions.map((r) => `${r.revision}${r.changed.length ? ` (changed ${r.changed.join(", ")})` : ""}`).join("; ")}`),
  );
  panel.focus();
}
// A news story's brief: every sentence with its sources (outlet, date, document), the sentence
// generated from the extracted counts marked as such, and the counts its sources disagree on.
function citedSources(sources) {
  return sources.flatMap((s, k) => [k ? "; " : "", `${s.outlet}, ${(s.published || "").slice(0, 10)}, `, el("code", {}, s.document)]);
}
function storyBlock(story) {
  return el(
    "div",
    { class: "story", "data-story": story.key },
    el("p", { class: "muted" }, "Story ", el("code", {}, story.key), ` · ${story.documents.length} article(s)`),
    el(
      "ol",
      { class: "story-brief" },
      story.brief.map((s) =>
        el(
          "li",
          { class: s.generated ? "sentence generated" : "sentence" },
          s.text,
          s.generated ? el("span", { class: "badge" }, " generated from the extracted counts") : "",
          el("span", { class: "sentence-sources" }, " — ", citedSources(s.sources)),
        ),
      ),
    ),
    story.conflicts.length
      ? el(
          "ul",
          { class: "story-conflicts" },
          story.conflicts.map((c) =>
            el(
              "li",
              {},
              `Conflicting ${c.quantity} counts (not averaged): `,
              c.sources.map((v, k) => `${k ? "; " : ""}${v.qualifier.replace(/_/g, " ")} ${v.value} (${v.outlets.join(", ")}: ${v.documents.join(", ")})`),
            ),
          ),
        )
      : "",
  );
}
$("detail-close").addEventListener("click", closeIncident);
$("incident-detail").addEventListener("keydown", (event) => {
  if (event.key === "Escape") closeIncident();
});
function closeIncident() {
  $("incident-detail").hidden = true;
  if (state.returnFocus && state.returnFocus.focus) state.returnFocus.focus();
}

// -- the clock, scorecards, aid, decisions, report ----------------------------------------------
async function loadDay() {
  const date = state.dates[state.dateIndex];
  const d = await api(`/dashboard/day?${q({ agreement: state.agreement, date })}`);
  if (date !== state.dates[state.dateIndex]) return; // the slider moved on
  const c = d.clock;
  const box = $("clock");
  const of = c.target_days ? ` of ${c.target_days}` : "";
  const day = c.day ? `Day ${c.day}${of}` : "No agreement day";
  $("slider-label").textContent = `${longDate(date)} — ${c.day ? `day ${c.day}${of}` : "no agreement day in force at its end"}`;
  box.replaceChildren(
    el("h2", {}, `Clock on ${longDate(date)} (as of the end of the day)`),
    el("p", { class: "big", id: "clock-day" }, `${day} · phase: ${c.phase || "none in force"}`),
    el("p", {}, `${c.consecutive_days} of ${c.target_days} consecutive days counted.`),
    el("h3", {}, "Conditions"),
    el(
      "ul",
      { id: "clock-conditions" },
      Object.entries(c.conditions).map(([id, cond]) =>
        el("li", {}, el("span", { class: `state s-${cond.state}` }, cond.state.replace(/_/g, " ")), " ", el("code", {}, id), ` — ${cond.title}`),
      ),
    ),
    el("h3", {}, "Phases"),
    el(
      "ul",
      {},
      Object.entries(c.phases).map(([id, ph]) =>
        el("li", {}, el("code", {}, id), `: ${ph.state.replace(/_/g, " ")}`, ph.end ? ` (until ${ph.end.replace("T", " ").slice(0, 16)})` : ""),
      ),
    ),
    el("h3", {}, "Decisions in effect"),
    c.decisions.length
      ? el("ul", {}, c.decisions.map((x) => el("li", {}, `${x.id}: ${x.kind} ${x.subject} (approved by ${x.approvals.join(" and ")}; decided ${x.decided_at.slice(0, 10)})`)))
      : el("p", {}, "None yet."),
    el("h3", {}, "The day"),
    el(
      "p",
      {},
      `${d.summary.incidents.total} incidents: ${d.summary.incidents.violation} violations, ${d.summary.incidents.undetermined} undetermined, ` +
        `${d.summary.incidents.not_violation} not violations, ${d.summary.incidents.out_of_scope} out of scope. ` +
        `Convoys: ${d.humanitarian.delivered} delivered, ${d.humanitarian.blocked} blocked, ${d.humanitarian.attacked} attacked.`,
    ),
  );
}

async function loadScores() {
  const s = await api(`/scorecards?${q({ agreement: state.agreement })}`);
  const box = $("scores");
  const days = s.days;
  const max = Math.max(1, ...s.parties.flatMap((p) => p.days.map((x) => x.violation + x.undetermined)));
  box.replaceChildren(
    el("h2", {}, "Parties"),
    el(
      "p",
      { class: "muted" },
      `Per party (in order of id): violations it bore and undetermined incidents it was part of, per day from ${days.length ? longDate(days[0]) : "—"} to ${days.length ? longDate(days[days.length - 1]) : "—"}. Bars: dark = violations, light = undetermined.`,
    ),
    el(
      "table",
      { class: "scores" },
      el("thead", {}, el("tr", {}, el("th", { scope: "col" }, "Party"), el("th", { scope: "col" }, "Violations"), el("th", { scope: "col" }, "Undetermined"), el("th", { scope: "col" }, "Per day"))),
      el(
        "tbody",
        {},
        s.parties
          .filter((p) => p.violation + p.undetermined > 0)
          .map((p) => el("tr", {}, el("th", { scope: "row" }, ...bilingual(p.name, p.name_ar)), el("td", {}, p.violation), el("td", {}, p.undetermined), el("td", {}, trend(p, max)))),
      ),
    ),
  );
}

function trend(party, max) {
  const w = 6;
  const h = 30;
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("width", String(party.days.length * w));
  svg.setAttribute("height", String(h));
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", `${party.name}: ` + party.days.filter((x) => x.violation + x.undetermined).map((x) => `${x.date} ${x.violation} violations, ${x.undetermined} undetermined`).join("; "));
  party.days.forEach((x, k) => {
    let y = h;
    for (const [value, colour] of [[x.violation, "#8b1a1a"], [x.undetermined, "#e6a100"]]) {
      if (!value) continue;
      const bar = document.createElementNS(ns, "rect");
      const height = Math.max(1, (value / max) * h);
      y -= height;
      bar.setAttribute("x", String(k * w));
      bar.setAttribute("y", String(y));
      bar.setAttribute("width", String(w - 1));
      bar.setAttribute("height", String(height));
      bar.setAttribute("fill", colour);
      svg.append(bar);
    }
  });
  return svg;
}

function convoyStatus(convoy) {
  const date = state.dates[state.dateIndex];
  const known = convoy.events.filter((e) => e.window.start.slice(0, 10) <= date);
  return known.length ? known[known.length - 1].status : "not yet recorded";
}

function renderAid(data) {
  $("aid").replaceChildren(
    el("h2", {}, "Humanitarian routes and convoys"),
    el("ul", {}, data.routes.map((r) => el("li", {}, el("strong", {}, r.name), ` — from ${r.from} to ${r.to}`))),
    el(
      "ul",
      { id: "convoys" },
      data.convoys.map((c) =>
        el("li", {}, el("strong", {}, c.id), ` (${c.organisation}, ${c.trucks ?? "?"} trucks, ${c.from} → ${c.to}): status on the date `, el("em", {}, convoyStatus(c))),
      ),
    ),
  );
}

async function loadDecisions() {
  const d = await api(`/decisions?${q({ agreement: state.agreement })}`);
  $("decisions").replaceChildren(
    el("h2", {}, "Joint decisions of the guarantors"),
    el(
      "ul",
      {},
      d.decisions.map((x) =>
        el(
          "li",
          {},
          el("strong", {}, x.id),
          ` — ${x.kind} ${x.subject}, effective ${x.effective.slice(0, 16).replace("T", " ")}${x.until ? ` until ${x.until.slice(0, 16).replace("T", " ")}` : ""}; approvals: ${x.approvals.map((a) => a.guarantor).join(", ") || "none"}; ${x.in_effect ? "in effect" : "not in effect"} (${x.recorded}).`,
        ),
      ),
    ),
  );
}

async function loadReport() {
  const date = state.dates[state.dateIndex];
  const frame = $("report-frame");
  if (frame.dataset.date === date) return;
  frame.dataset.date = date;
  try {
    frame.srcdoc = await api(`/dashboard/report?${q({ agreement: state.agreement, date })}`, true);
  } catch (error) {
    frame.srcdoc = `<p>${escapeHtml(error.message)}</p>`;
  }
}
$("print-btn").addEventListener("click", () => $("report-frame").contentWindow.print());

// -- the slider -------------------------------------------------------------------------------
function onDateChange() {
  state.dateIndex = Number($("slider").value);
  $("slider-label").textContent = longDate(state.dates[state.dateIndex]);
  buildIndex();
  renderIncidentList();
  loadDay().catch(showError);
  loadControl().catch(showError);
  drawConvoys();
  if (state.humanitarian) renderAid(state.humanitarian);
  if (!$("pane-report").hidden) loadReport();
}
$("slider").addEventListener("input", onDateChange);
$("day-only").addEventListener("change", () => buildIndex());

function showError(error) {
  $("map-status").textContent = `Could not load: ${error.message}`;
}

function renderLegend() {
  $("legend").replaceChildren(
    ...Object.entries(QUAL_LABELS).map(([k, label]) => el("span", { class: "key" }, el("i", { style: `background:${QUAL_COLOURS[k]}` }), label)),
    el("span", { class: "key" }, el("i", { style: "background:#8e44ad;opacity:.5" }), "zone / band"),
    el("span", { class: "key" }, el("i", { style: `background:${CONTROL_COLOURS.SYR_GOV}` }), "held: government"),
    el("span", { class: "key" }, el("i", { style: `background:${CONTROL_COLOURS.SYR_INSURGENTS}` }), "held: opposition"),
    el("span", { class: "key" }, el("i", { style: "background:#b084cc" }), "contested"),
    el("span", { class: "key" }, el("i", { style: "background:#f1c40f;border-radius:50%" }), "convoy"),
  );
}

async function startDashboard() {
  setupMap();
  renderLegend();
  const layers = L.control.layers(null, null, { collapsed: true }).addTo(map);
  const [layer, actors] = await Promise.all([
    state.layerPromise
      .then((data) => (data.agreement === state.agreement ? data : api(`/dashboard/layer?${q({ agreement: state.agreement })}`)))
      .then((data) => {
        mark("layer-loaded");
        return data;
      }),
    api("/basemap/actors"),
    loadBasemap(layers),
  ]);
  for (const a of actors.actors) state.actors[a.id] = a;
  state.layer = layer;
  state.dates = layer.slider;
  const slider = $("slider");
  slider.max = String(state.dates.length - 1);
  const wanted = new URLSearchParams(location.search).get("date");
  state.dateIndex = Math.max(0, state.dates.includes(wanted) ? state.dates.indexOf(wanted) : state.dates.length - 1);
  slider.value = String(state.dateIndex);
  $("slider-label").textContent = longDate(state.dates[state.dateIndex]);
  controlLayer = L.geoJSON(null, {
    renderer,
    style: controlStyle,
    onEachFeature: (f, l) => l.bindTooltip(`${escapeHtml(f.properties.name)}: ${escapeHtml(f.properties.status)} ${escapeHtml(f.properties.actors.join(", "))}`),
  }).addTo(map);
  layers.addOverlay(controlLayer, "Control on the date (Aleppo)");
  buildIndex();
  mark("index-built");
  incidentLayer = new IncidentCanvas().addTo(map);
  layers.addOverlay(incidentLayer, "Incidents by qualification");
  renderIncidentList();
  await Promise.all([loadDay(), loadControl(), loadZones(layers), loadHumanitarian(layers), loadScores(), loadDecisions()]).catch(showError);
  document.body.dataset.ready = "yes";
}

start();
