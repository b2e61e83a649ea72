// agentcore console: every view runs a recipe through POST /api/run and reads its -o json
// events as server-sent events. No data is put in the page as HTML: text nodes only.
"use strict";
const token = document.querySelector('meta[name="agentcore-token"]').content;
const $ = (id) => document.getElementById(id);
const el = (tag, attrs, ...kids) => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") e.className = v; else if (k.startsWith("on")) e.addEventListener(k.slice(2), v); else e.setAttribute(k, v);
  }
  for (const k of kids) if (k != null) e.append(k instanceof Node ? k : String(k));
  return e;
};
const svg = (tag, attrs) => {
  const e = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  return e;
};

// run streams a recipe's events to onEvent and resolves with {result, error}.
async function run(recipe, args, onEvent, signal) {
  const resp = await fetch("/api/run", {
    method: "POST", signal,
    headers: { "Content-Type": "application/json", "X-Agentcore-Token": token },
    body: JSON.stringify({ recipe, args }),
  });
  if (!resp.ok) throw new Error(await resp.text());
  const reader = resp.body.getReader();
  const dec = new TextDecoder();
  let buf = "", result = null, error = null;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buf += dec.decode(value, { stream: true });
    let i;
    while ((i = buf.indexOf("\n\n")) >= 0) {
      const block = buf.slice(0, i); buf = buf.slice(i + 2);
      let ev = "message", data = "";
      for (const line of block.split("\n")) {
        if (line.startsWith("event: ")) ev = line.slice(7);
        else if (line.startsWith("data: ")) data += line.slice(6);
      }
      if (ev === "end") continue;
      let obj; try { obj = JSON.parse(data); } catch { continue; }
      if (obj.type === "result") { result = obj.result; if (!obj.ok && obj.error) error = obj.error; }
      else if (onEvent) onEvent(obj);
    }
  }
  if (error) { const e = new Error(error.message + (error.hint ? "\nhint: " + error.hint : "")); e.result = result; throw e; }
  return result;
}

// arr is a list from a result: an empty Lua table comes as {} in JSON.
const arr = (x) => Array.isArray(x) ? x : [];
const agent = () => $("agent").value;
const endpoint = () => $("endpoint").value.trim() || "DEFAULT";
const note = (id, text, bad) => { const n = $(id); n.textContent = text; n.classList.toggle("bad", !!bad); };

// ---- tabs: arrow keys move between them (WAI-ARIA tabs pattern)
const tabs = [...document.querySelectorAll('[role="tab"]')];
const loaders = {};
function select(tab) {
  for (const t of tabs) {
    const on = t === tab;
    t.setAttribute("aria-selected", on); t.tabIndex = on ? 0 : -1;
    $(t.getAttribute("aria-controls")).hidden = !on;
  }
  const name = tab.id.slice(4);
  if (loaders[name]) loaders[name]();
}
tabs.forEach((t, i) => {
  t.addEventListener("click", () => select(t));
  t.addEventListener("keydown", (e) => {
    let j = null;
    if (e.key === "ArrowRight") j = (i + 1) % tabs.length;
    if (e.key === "ArrowLeft") j = (i - 1 + tabs.length) % tabs.length;
    if (e.key === "Home") j = 0;
    if (e.key === "End") j = tabs.length - 1;
    if (j != null) { e.preventDefault(); tabs[j].focus(); select(tabs[j]); }
  });
});

// ---- agents
const memoryOf = {}; // agent: the [memories.NAME] it uses, from status
const mcpAgents = new Set(), gatewayNames = new Set(); // the Tools view's servers, from status
async function loadAgents() {
  const tbody = $("agents-table").tBodies[0];
  note("agents-note", "loading…");
  try {
    const r = await run("status", []);
    tbody.replaceChildren();
    const pick = $("agent"), was = pick.value;
    pick.replaceChildren();
    for (const a of arr(r.agents)) {
      pick.append(el("option", {}, a.agent));
      memoryOf[a.agent] = a.memory ? a.memory.name : "";
      if (a.protocol === "MCP") mcpAgents.add(a.agent);
      for (const g of arr(a.gateways)) gatewayNames.add(g.name);
      const versions = (arr(a.versions)).map((v) => `V${v.number} ${v.status}`).join(", ") || "-";
      const eps = arr(a.endpoints).length ? arr(a.endpoints) : [null];
      eps.forEach((ep, i) => {
        const h = ep && ep.health;
        tbody.append(el("tr", { "data-agent": a.agent },
          el("td", {}, i === 0 ? a.agent : ""), el("td", {}, i === 0 ? (a.deployed ? a.status : "not deployed") : ""),
          el("td", {}, i === 0 ? versions : ""),
          el("td", {}, ep ? ep.name : "-"), el("td", {}, ep && (ep.live_version || ep.version) ? "V" + (ep.live_version || ep.version) : "-"),
          el("td", {}, ep ? ep.status : "-"),
          el("td", { class: "num" }, h && h.available ? h.invocations : "-"), el("td", { class: "num" }, h && h.available ? h.errors : "-"),
          el("td", {}, h && h.last_error ? h.last_error : "-")));
      });
    }
    if (was) pick.value = was;
    if (!(arr(r.agents)).length) tbody.append(el("tr", {}, el("td", { colspan: 9 }, "no agents in agentcore.toml")));
    note("agents-note", `${(arr(r.agents)).length} agent(s) in ${r.environment} (${r.provider})`);
    // ms from navigation start to the table filled: the first-page benchmark reads it
    if (!document.body.dataset.agentsReady) document.body.dataset.agentsReadyMs = performance.now().toFixed(1);
    document.body.dataset.agentsReady = "1";
  } catch (e) { note("agents-note", e.message, true); }
}
$("agents-refresh").addEventListener("click", loadAgents);

// ---- chat
// delivery is how long a chunk took from the recipe's output (the event's time, this machine's
// clock) to the page, in ms: what the console adds over the terminal's write to stdout.
function delivery(t) {
  const m = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?Z$/.exec(t || "");
  if (!m) return "";
  const at = Date.parse(m[1] + "Z") + Number("0." + (m[2] || "0")) * 1000;
  return (performance.timeOrigin + performance.now() - at).toFixed(2);
}
let lastSession = {};
$("chat-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const prompt = $("chat-prompt").value, payload = $("chat-payload").value.trim();
  if (!prompt && !payload) { note("chat-note", "type a prompt or a JSON payload", true); return; }
  if (payload) { try { JSON.parse(payload); } catch (err) { note("chat-note", "the payload is not valid JSON: " + err.message, true); return; } }
  const args = [agent(), "--endpoint", endpoint()];
  if (payload) args.push("--payload", payload); else args.push("--prompt", prompt);
  const sess = $("chat-session").value.trim();
  if ($("chat-new").checked) args.push("--new-session"); else if (sess) args.push("--session", sess);
  const log = $("chat-log");
  log.append(el("div", { class: "msg user" }, el("span", { class: "who" }, "you"), payload || prompt));
  const answer = el("div", { class: "text" });
  const msg = el("div", { class: "msg agent", "aria-busy": "true" }, el("span", { class: "who" }, agent()), answer);
  log.append(msg); log.scrollTop = log.scrollHeight;
  $("chat-send").disabled = true; note("chat-note", "streaming…");
  let chunks = 0;
  const sent = performance.now();
  try {
    const r = await run("invoke", args, (ev) => {
      if (ev.type === "chunk") { chunks++; if (chunks === 1) { msg.dataset.firstChunkMs = (performance.now() - sent).toFixed(1); msg.dataset.deliveryMs = delivery(ev.time); } answer.append(ev.message); msg.dataset.chunks = chunks; log.scrollTop = log.scrollHeight; }
    });
    if (chunks === 0 && r && r.text) answer.append(r.text);
    $("chat-session").value = r.session_id || ""; $("chat-new").checked = false;
    lastSession[agent()] = r.session_id;
    msg.dataset.done = "1"; msg.dataset.session = r.session_id || "";
    note("chat-note", `session ${r.session_id || "-"} · HTTP ${r.status_code}`);
    $("chat-prompt").value = "";
  } catch (err) { answer.append(el("span", { class: "bad" }, err.message)); msg.dataset.done = "1"; note("chat-note", "failed", true); }
  msg.setAttribute("aria-busy", "false"); $("chat-send").disabled = false;
});
$("chat-prompt").addEventListener("keydown", (e) => { if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) $("chat-form").requestSubmit(); });

// ---- sessions
async function loadSessions() {
  const tbody = $("sessions-table").tBodies[0];
  note("sessions-note", "loading…");
  try {
    const r = await run("sessions", [agent()]);
    tbody.replaceChildren();
    for (const s of arr(r.sessions)) {
      const id = s.session_id || s.id;
      const stop = el("button", { class: "stop", "aria-label": "Stop session " + id }, "Stop");
      stop.addEventListener("click", async () => {
        if (!confirm(`Stop session ${id}?`)) return;
        stop.disabled = true;
        try { await run("sessions", ["stop", agent(), id]); await loadSessions(); note("sessions-note", `stopped ${id}; ${$("sessions-note").textContent}`); }
        catch (err) { note("sessions-note", err.message, true); stop.disabled = false; }
      });
      tbody.append(el("tr", {}, el("td", { class: "mono" }, id), el("td", {}, s.endpoint || s.qualifier || "-"), el("td", {}, s.version != null ? "V" + s.version : "-"),
        el("td", {}, s.started || s.created_at || "-"), el("td", {}, s.last_request || s.last_invoked || "-"), el("td", {}, stop)));
    }
    note("sessions-note", `${(arr(r.sessions)).length} live session(s)`);
  } catch (e) { note("sessions-note", e.message, true); }
}
$("sessions-refresh").addEventListener("click", loadSessions);

// ---- logs
// display is a line as the terminal shows it (builtins/logs display): a JSON line's body,
// message or msg; anything else as is.
function display(msg) {
  if (!msg || msg[0] !== "{") return msg;
  try {
    const m = JSON.parse(msg);
    for (const k of ["body", "message", "msg"]) if (m[k] != null) return typeof m[k] === "string" ? m[k] : JSON.stringify(m[k]);
  } catch { /* not JSON: as is */ }
  return msg;
}
let logsAbort = null;
$("logs-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  if (logsAbort) logsAbort.abort();
  const ctl = new AbortController(); logsAbort = ctl;
  const args = [agent(), "--endpoint", endpoint(), "--since", $("logs-since").value || "10m"];
  if ($("logs-session").value) args.push("--session", $("logs-session").value);
  if ($("logs-grep").value) args.push("--grep", $("logs-grep").value);
  if ($("logs-follow").checked) args.push("--follow");
  const out = $("logs-out"); out.replaceChildren();
  $("logs-stop").disabled = false; note("logs-note", $("logs-follow").checked ? "following…" : "reading…");
  try {
    await run("logs", args, (ev) => {
      if (ev.type !== "log_event") return;
      const line = el("div", { class: "line" + (ev.level ? " " + ev.level.toLowerCase() : "") },
        el("span", { class: "ts" }, (ev.time || "").replace("T", " ").replace("Z", "")), " ",
        el("span", { class: "who" }, ev.session || ""), " ", display(ev.message));
      line.title = ev.message; // the whole JSON line, as stored
      out.append(line); out.scrollTop = out.scrollHeight;
    }, ctl.signal);
    note("logs-note", "done");
  } catch (err) { if (err.name !== "AbortError") note("logs-note", err.message, true); else note("logs-note", "stopped"); }
  $("logs-stop").disabled = true;
});
$("logs-stop").addEventListener("click", () => { if (logsAbort) logsAbort.abort(); });

// ---- traces
const ms = (x) => x >= 1000 ? (x / 1000).toFixed(2) + " s" : x.toFixed(1) + " ms";
async function loadTraces() {
  const tbody = $("traces-table").tBodies[0];
  note("traces-note", "loading…");
  try {
    const r = await run("traces", [agent(), "--since", $("traces-since").value || "1h"]);
    tbody.replaceChildren();
    for (const t of (arr(r.traces)).slice().reverse()) {
      const open = el("button", { class: "link", "aria-label": "Open trace " + t.trace_id }, t.trace_id.slice(0, 12) + "…");
      open.addEventListener("click", () => openTrace(t.trace_id));
      tbody.append(el("tr", { "data-trace": t.trace_id, "data-session": t.session || "" }, el("td", { class: "mono" }, open), el("td", {}, t.root),
        el("td", {}, t.start), el("td", { class: "num" }, ms(t.duration_ms)), el("td", {}, t.status), el("td", { class: "mono" }, t.session || "-"), el("td", { class: "num" }, t.spans)));
    }
    note("traces-note", `${(arr(r.traces)).length} trace(s)`);
  } catch (e) { note("traces-note", e.message, true); }
}
async function openTrace(id) {
  const view = $("trace-view");
  view.replaceChildren(el("p", {}, "loading trace " + id + "…"));
  try {
    const r = await run("traces", [agent(), id]);
    const spans = arr(r.spans);
    const t0 = Math.min(...spans.map((s) => s.start_ms)), total = Math.max(1, r.duration_ms);
    // order as a tree: children after their parent, indented by depth
    const kids = {}, ids = new Set(spans.map((s) => s.span_id)), rows = [];
    for (const s of spans) { const p = s.parent_span_id && ids.has(s.parent_span_id) ? s.parent_span_id : ""; (kids[p] = kids[p] || []).push(s); }
    const walk = (p, d) => { for (const s of (kids[p] || []).sort((a, b) => a.start_ms - b.start_ms)) { rows.push([s, d]); walk(s.span_id, d + 1); } };
    walk("", 0);
    const wf = el("div", { class: "waterfall", role: "list", "aria-label": "Spans of trace " + id });
    const detail = el("pre", { class: "attrs", "aria-live": "polite" });
    for (const [s, d] of rows) {
      const left = ((s.start_ms - t0) / total) * 100, width = Math.max(0.5, (s.duration_ms / total) * 100);
      const bar = el("div", { class: "bar-track" }, el("div", { class: "span-bar " + (s.status || "").toLowerCase() }));
      bar.firstChild.style.marginLeft = left + "%"; bar.firstChild.style.width = width + "%";
      const row = el("button", { class: "span-row", role: "listitem", "data-span": s.span_id },
        el("span", { class: "span-name" }, "\u00a0".repeat(d * 2) + s.name), bar, el("span", { class: "span-dur" }, ms(s.duration_ms)));
      row.addEventListener("click", () => { detail.textContent = JSON.stringify({ name: s.name, span_id: s.span_id, kind: s.kind, status: s.status, start: s.start, attributes: s.attributes, resource: s.resource }, null, 2); });
      wf.append(row);
    }
    view.replaceChildren(el("h2", {}, `Trace ${id}`), el("p", { class: "note" }, `${spans.length} span(s), ${ms(r.duration_ms)}, ${r.status}${r.session ? ", session " + r.session : ""} · select a span for its attributes`), wf, detail);
    if (rows.length) wf.firstChild.click();
  } catch (e) { view.replaceChildren(el("p", { class: "bad" }, e.message)); }
}
$("traces-refresh").addEventListener("click", loadTraces);

// ---- metrics: one SVG line/bar chart per series
function chart(id, minutes, series) {
  const s = $(id), W = 480, H = 160, P = 28;
  s.setAttribute("viewBox", `0 0 ${W} ${H}`); s.replaceChildren();
  const now = Date.now(), from = now - 3600e3;
  const x = (t) => P + ((new Date(t).getTime() - from) / 3600e3) * (W - P - 6);
  let max = 1;
  for (const m of minutes) for (const [k] of series) if (m[k] != null) max = Math.max(max, m[k]);
  const y = (v) => H - P + 4 - (v / max) * (H - P - 10);
  s.append(svg("line", { x1: P, y1: y(0), x2: W - 4, y2: y(0), class: "axis" }), svg("line", { x1: P, y1: y(0), x2: P, y2: 6, class: "axis" }));
  const lbl = svg("text", { x: 2, y: 14, class: "tick" }); lbl.textContent = String(Math.round(max * 10) / 10); s.append(lbl);
  const l0 = svg("text", { x: P, y: H - 4, class: "tick" }); l0.textContent = "-60 min"; s.append(l0);
  const l1 = svg("text", { x: W - 40, y: H - 4, class: "tick" }); l1.textContent = "now"; s.append(l1);
  for (const [k, cls, name] of series) {
    const pts = minutes.filter((m) => m[k] != null);
    for (const m of pts) {
      const c = svg("rect", { x: x(m.time) - 2, y: y(m[k]), width: 4, height: Math.max(1, y(0) - y(m[k])), class: "pt " + cls, "data-value": m[k] });
      const t = svg("title", {}); t.textContent = `${name} ${m[k]} at ${m.time}`; c.append(t); s.append(c);
    }
  }
  s.dataset.total = minutes.reduce((a, m) => a + (m[series[0][0]] || 0), 0);
}
async function loadMetrics() {
  note("metrics-note", "loading…");
  try {
    const r = await run("metrics", [agent(), "--endpoint", endpoint()]);
    const m = arr(r.minutes);
    chart("chart-invocations", m, [["invocations", "inv", "invocations"]]);
    chart("chart-errors", m, [["errors", "err", "errors"]]);
    chart("chart-latency", m, [["latency_p99_ms", "p99", "p99"], ["latency_p50_ms", "p50", "p50"]]);
    note("metrics-note", `${r.invocations} invocation(s), ${r.errors} error(s) in the last hour at ${r.endpoint}`);
    $("view-metrics").dataset.invocations = r.invocations;
  } catch (e) { note("metrics-note", e.message, true); }
}
$("metrics-refresh").addEventListener("click", loadMetrics);

// ---- memory
$("memory-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const verb = $("memory-verb").value, name = $("memory-name").value.trim() || memoryOf[agent()];
  if (!name) { note("memory-note", `${agent()} uses no memory: name one of agentcore.toml's [memories.NAME]`, true); return; }
  const args = [verb, name];
  if (verb === "search") args.push($("memory-text").value);
  if ($("memory-actor").value && verb === "events") args.push("--actor", $("memory-actor").value);
  note("memory-note", "loading…");
  try {
    const r = await run("memory", args);
    $("memory-out").textContent = JSON.stringify(r, null, 2);
    const n = arr(r.events || r.records).length;
    note("memory-note", `${r.memory.name}: ${n} ${verb === "events" ? "event(s)" : "record(s)"}`);
  }
  catch (err) { note("memory-note", err.message, true); }
});

// ---- tools: an MCP agent's (invoke --tools / --call) or a gateway's (gateway tools / call),
// a form per tool made from its inputSchema; the recipes check the arguments again.
function toolServers() {
  const pick = $("tools-server"), was = pick.value;
  pick.replaceChildren();
  for (const a of [...mcpAgents].sort()) pick.append(el("option", { value: "agent:" + a }, `agent ${a}`));
  for (const g of [...gatewayNames].sort()) pick.append(el("option", { value: "gateway:" + g }, `gateway ${g}`));
  if ([...pick.options].some((o) => o.value === was)) pick.value = was;
  else if (mcpAgents.has(agent())) pick.value = "agent:" + agent();
  return pick.value;
}
// toolRun runs the recipe of the chosen server: list (no tool) or call one.
function toolRun(server, tool, args) {
  const [kind, name] = [server.slice(0, server.indexOf(":")), server.slice(server.indexOf(":") + 1)];
  if (kind === "gateway") return run("gateway", tool ? ["call", name, tool, "--args", args] : ["tools", name]);
  return run("invoke", tool ? [name, "--endpoint", endpoint(), "--call", tool, "--args", args] : [name, "--endpoint", endpoint(), "--tools"]);
}
// kindOf is a property's form control: string, number, integer, boolean, enum, or json.
function kindOf(p) {
  if (Array.isArray(p.enum) && p.enum.length) return "enum";
  const t = Array.isArray(p.type) ? p.type.filter((x) => x !== "null") : [p.type];
  return t.length === 1 && ["string", "number", "integer", "boolean"].includes(t[0]) ? t[0] : "json";
}
function toolForm(server, t, n) {
  const schema = t.inputSchema || {}, props = schema.properties || {}, required = new Set(arr(schema.required));
  const form = el("form", { class: "tool", "data-tool": t.name, "aria-label": "Tool " + t.name });
  form.append(el("h2", {}, t.name), t.description ? el("p", { class: "note" }, t.description) : null);
  const fields = [];
  Object.keys(props).forEach((k, i) => {
    const p = props[k] || {}, kind = kindOf(p), id = `tool-${n}-${i}`, req = required.has(k);
    let input;
    if (kind === "boolean") input = el("input", { type: "checkbox", id });
    else if (kind === "enum") {
      input = el("select", { id });
      if (!req) input.append(el("option", { value: "" }, "(none)"));
      p.enum.forEach((v, j) => input.append(el("option", { value: String(j) }, JSON.stringify(v))));
    } else if (kind === "json") input = el("textarea", { id, rows: 3, spellcheck: "false", placeholder: "JSON" + (p.type ? " (" + [].concat(p.type).join(" or ") + ")" : "") });
    else input = el("input", kind === "string" ? { id, type: "text" } : { id, type: "number", step: kind === "integer" ? "1" : "any" });
    if (req) { input.required = kind !== "boolean"; input.setAttribute("aria-required", "true"); }
    input.dataset.name = k;
    const label = el("label", { for: id }, k, req ? el("span", { class: "req", title: "required" }, " *") : null,
      p.description ? el("span", { class: "note" }, " " + p.description) : null);
    form.append(el("div", { class: "field " + kind }, label, input));
    fields.push([k, kind, input, p, req]);
  });
  if (!fields.length) form.append(el("p", { class: "note" }, "no arguments"));
  const out = el("div", { class: "tool-result", "aria-live": "polite" });
  const send = el("button", { type: "submit" }, "Call " + t.name);
  form.append(el("div", { class: "bar" }, send), out);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const args = {};
    for (const [k, kind, input, p, req] of fields) {
      const v = input.value;
      if (kind === "boolean") { args[k] = input.checked; continue; }
      if (v.trim() === "" && !req) continue;
      if (kind === "enum") args[k] = p.enum[Number(v)];
      // what is not a number goes as typed: the tool's own schema check says what is wrong
      else if (kind === "number" || kind === "integer") args[k] = v.trim() !== "" && Number.isFinite(Number(v)) ? Number(v) : v;
      else if (kind === "json") {
        try { args[k] = JSON.parse(v); } catch (err) { out.replaceChildren(el("p", { class: "bad" }, `${k} is not valid JSON: ${err.message}`)); input.focus(); return; }
      } else args[k] = v;
    }
    send.disabled = true; form.setAttribute("aria-busy", "true"); delete form.dataset.done;
    out.replaceChildren(el("p", { class: "note" }, "calling…"));
    try {
      const r = await toolRun(server, t.name, JSON.stringify(args));
      const parts = [];
      for (const c of arr(r.content)) parts.push(c.type === "text" ? el("pre", { class: "text" }, c.text) : el("p", { class: "note" }, `(${c.type} content${c.mimeType ? ", " + c.mimeType : ""})`));
      if (r.structuredContent != null) parts.push(el("p", { class: "note" }, "structured content"), el("pre", { class: "json" }, JSON.stringify(r.structuredContent, null, 2)));
      if (!parts.length) parts.push(el("p", { class: "note" }, "(no content)"));
      out.replaceChildren(...parts);
      form.dataset.done = "ok";
    } catch (err) {
      // isError: the recipe fails with the tool's text (exit 1), as in the terminal
      out.replaceChildren(el("p", { class: "bad", role: "alert" }, err.message));
      form.dataset.done = "error";
    }
    send.disabled = false; form.setAttribute("aria-busy", "false");
  });
  return form;
}
let toolsLoad = 0; // the last list asked for: an older one answering late is dropped
async function loadTools() {
  const server = toolServers(), list = $("tools-list"), n = ++toolsLoad;
  if (!server) { list.replaceChildren(); note("tools-note", "no MCP agent (protocol = \"MCP\") or gateway in agentcore.toml", true); return; }
  note("tools-note", "loading…"); delete list.dataset.server;
  try {
    const r = await toolRun(server);
    if (n !== toolsLoad) return;
    const tools = arr(r.tools);
    list.dataset.server = server;
    list.replaceChildren(...tools.map((t, n) => toolForm(server, t, n)));
    note("tools-note", `${tools.length} tool(s) of ${server.replace(":", " ")}`);
  } catch (e) { if (n === toolsLoad) { list.replaceChildren(); note("tools-note", e.message, true); } }
}
$("tools-refresh").addEventListener("click", loadTools);
$("tools-server").addEventListener("change", loadTools);

// another agent or endpoint: the open view shows it
for (const id of ["agent", "endpoint"]) $(id).addEventListener("change", () => {
  const t = tabs.find((x) => x.getAttribute("aria-selected") === "true");
  if (t && t.id !== "tab-agents" && loaders[t.id.slice(4)]) loaders[t.id.slice(4)]();
});
loaders.agents = loadAgents; loaders.sessions = loadSessions; loaders.traces = loadTraces; loaders.metrics = loadMetrics;
loaders.tools = loadTools;
loadAgents();
