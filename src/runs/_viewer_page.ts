// The run viewer's one page: plain HTML, CSS and a module script, no build
// step and nothing fetched from elsewhere. It reads the JSON API, inserts
// the run's SVG, draws the timeline with positioned divs, and listens to
// /api/events to refresh what it shows.

/** The page `GET /` answers. */
export const VIEWER_PAGE: string = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>braid runs</title>
<style>
  body { font: 13px/1.4 Helvetica, Arial, sans-serif; margin: 0; color: #222; }
  header { padding: 8px 12px; background: #f4f4f4; border-bottom: 1px solid #ddd; }
  header form { display: inline-flex; gap: 6px; margin-left: 16px; }
  main { display: flex; height: calc(100vh - 42px); }
  #runs { width: 46%; overflow: auto; border-right: 1px solid #ddd; }
  #run { flex: 1; overflow: auto; padding: 8px 12px; }
  table { border-collapse: collapse; width: 100%; }
  td, th { padding: 3px 6px; border-bottom: 1px solid #eee; text-align: left; white-space: nowrap; }
  tr.run { cursor: pointer; }
  tr.run:hover, tr.run.open { background: #eef4ff; }
  .status-succeeded { color: #2e7d32; } .status-failed { color: #c62828; }
  .status-running { color: #1565c0; } .status-cancelled { color: #b26a00; }
  .lane { position: relative; height: 20px; border-bottom: 1px dotted #ddd; }
  .lane-name { position: absolute; left: 0; width: 120px; overflow: hidden; color: #666; }
  .bar { position: absolute; height: 14px; top: 3px; border-radius: 3px; background: #b7e1b5;
         font-size: 10px; overflow: hidden; white-space: nowrap; }
  .bar.failed { background: #f3a7a0; } .bar.cached { background: #a9cbee; }
  .bar.cancelled { background: #f5d28e; }
  #graph svg { max-width: 100%; height: auto; }
  pre { background: #f8f8f8; padding: 6px; overflow: auto; }
  details { margin: 4px 0; }
</style>
</head>
<body>
<header><strong>braid runs</strong>
  <form id="filter">
    <select name="status"><option value="">any status</option>
      <option>running</option><option>succeeded</option>
      <option>failed</option><option>cancelled</option></select>
    <input name="tag" placeholder="tag key=value">
    <button>filter</button>
  </form>
  <span id="live"></span>
</header>
<main>
  <section id="runs"><table><thead><tr><th>run</th><th>status</th><th>kind</th>
    <th>started</th><th>duration</th><th>tags</th></tr></thead>
    <tbody id="run-list"></tbody></table></section>
  <section id="run"><p>Choose a run.</p></section>
</main>
<script type="module">
const $ = (tag, props = {}, ...children) => {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === "class") el.className = v; else if (k.startsWith("data-")) el.setAttribute(k, v);
    else el[k] = v;
  }
  for (const c of children) el.append(c);
  return el;
};
const ms = (v) => v === undefined ? "-" : v < 1000 ? v.toFixed(1) + " ms" : (v / 1000).toFixed(2) + " s";
const tags = (t) => Object.entries(t ?? {}).map(([k, v]) => k + "=" + v).join(", ");
let open = null;

async function loadRuns() {
  const form = new FormData(document.getElementById("filter"));
  const query = new URLSearchParams();
  if (form.get("status")) query.set("status", form.get("status"));
  if (form.get("tag")) query.set("tag", form.get("tag"));
  const response = await fetch("/api/runs?" + query);
  const { runs, error } = await response.json();
  const body = document.getElementById("run-list");
  body.replaceChildren();
  if (error) { body.append($("tr", {}, $("td", { colSpan: 6, textContent: error }))); return; }
  for (const run of runs) {
    const row = $("tr", { class: "run" + (run.id === open ? " open" : ""), "data-run-id": run.id },
      $("td", { textContent: run.id.slice(0, 8) }),
      $("td", { class: "status-" + run.status, textContent: run.status }),
      $("td", { textContent: run.kind }),
      $("td", { textContent: new Date(run.startedAt).toLocaleString() }),
      $("td", { textContent: ms(run.durationMs) }),
      $("td", { textContent: tags(run.tags) }));
    row.addEventListener("click", () => openRun(run.id));
    body.append(row);
  }
}

function timeline(run, nodes) {
  const ran = nodes.filter((n) => n.startedAt !== undefined);
  const start = run.startedAt;
  const end = Math.max(run.endedAt ?? Date.now(), ...ran.map((n) => n.startedAt + (n.durationMs ?? 0)));
  const span = Math.max(end - start, 1);
  const lanes = new Map();
  for (const n of ran) {
    const lane = (n.executor ?? "node") + (n.worker ? " / " + n.worker : "");
    if (!lanes.has(lane)) lanes.set(lane, []);
    lanes.get(lane).push(n);
  }
  const box = $("div", { id: "timeline" });
  for (const [name, list] of lanes) {
    const lane = $("div", { class: "lane", "data-lane": name }, $("span", { class: "lane-name", textContent: name }));
    for (const n of list) {
      const left = 120 + ((n.startedAt - start) / span) * 480;
      const width = Math.max(((n.durationMs ?? 0) / span) * 480, 2);
      const kind = n.cache === "hit" ? "cached" : n.status;
      lane.append($("div", { class: "bar " + kind, title: n.name + " " + ms(n.durationMs),
        textContent: n.name, style: "left:" + left + "px;width:" + width + "px" }));
    }
    box.append(lane);
  }
  return box;
}

function details(nodes) {
  const box = $("div", { id: "details" });
  for (const n of nodes) {
    const rows = [["status", n.status + (n.skipReason ? " (" + n.skipReason + ")" : "")],
      ["duration", ms(n.durationMs)], ["attempts", n.attempts], ["executor", n.executor],
      ["worker", n.worker], ["cache", n.cache], ["data version", n.dataVersion]]
      .filter(([, v]) => v !== undefined);
    const item = $("details", { class: "node status-" + n.status, "data-node": n.name, open: n.status === "failed" },
      $("summary", { textContent: n.name + " — " + n.status }),
      $("table", {}, ...rows.map(([k, v]) => $("tr", {}, $("th", { textContent: k }), $("td", { textContent: String(v) })))));
    if (n.error) {
      item.append($("p", { class: "error", textContent: n.error.name + ": " + n.error.message }));
      if (n.error.stack) item.append($("pre", { class: "stack", textContent: n.error.stack }));
    }
    if (n.logs) {
      item.append($("pre", { class: "logs", textContent: n.logs.map((l) =>
        new Date(l.timestamp).toISOString() + " " + l.message + (l.data === undefined ? "" : " " + JSON.stringify(l.data))).join("\\n") }));
    }
    box.append(item);
  }
  return box;
}

async function openRun(id) {
  open = id;
  for (const row of document.querySelectorAll("tr.run")) row.classList.toggle("open", row.dataset.runId === id);
  const [response, svg] = await Promise.all([fetch("/api/runs/" + encodeURIComponent(id)),
    fetch("/api/runs/" + encodeURIComponent(id) + "/svg").then((r) => r.ok ? r.text() : "")]);
  const { run, nodes } = await response.json();
  const graph = $("div", { id: "graph" });
  graph.innerHTML = svg;
  const head = $("h2", { class: "status-" + run.status, textContent: "Run " + run.id + ": " + run.status });
  const parts = [head, $("p", { textContent: run.kind + ", " + ms(run.durationMs) + ", requested " + run.finalVars.join(", ") +
    (run.parentRunId ? ", re-executes " + run.parentRunId : "") })];
  if (run.error) parts.push($("p", { class: "run-error", textContent: run.error.name + ": " + run.error.message }));
  parts.push(graph, $("h3", { textContent: "Timeline" }), timeline(run, nodes), $("h3", { textContent: "Nodes" }), details(nodes));
  document.getElementById("run").replaceChildren(...parts);
}

document.getElementById("filter").addEventListener("submit", (e) => { e.preventDefault(); loadRuns(); });
const live = new EventSource("/api/events");
live.addEventListener("runs", (e) => {
  document.getElementById("live").textContent = "live";
  loadRuns();
  const runs = JSON.parse(e.data);
  if (open && runs.some((r) => r.id === open)) openRun(open);
});
loadRuns();
</script>
</body>
</html>
`;
