"use strict";
(function () {
  const t0 = performance.now();
  const D = window.STRATA_DOCS, N = D.nodes;
  const COLORS = { model: "#93c5fd", seed: "#86efac", source: "#fde047", snapshot: "#d8b4fe", exposure: "#fca5a5" };
  const W = 240, H = 26, GX = 300, GY = 36;
  const down = N.map(() => []);
  N.forEach((n, i) => n.u.forEach(u => down[u].push(i)));
  const byName = new Map();
  N.forEach((n, i) => { if (!byName.has(n.n)) byName.set(n.n, i); });
  const grid = new Map();
  N.forEach((n, i) => grid.set(n.L + ":" + n.R, i));
  const $ = id => document.getElementById(id);
  const esc = s => String(s == null ? "" : s).replace(/[&<>"']/g, c => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
  const haystack = N.map(n => (n.n + " " + n.p + " " + n.t.join(" ") + " " + (n.c || []).map(c => c.n).join(" ")).toLowerCase());

  // ---- selection syntax (the subset of dbt's that makes sense in a browser) ----
  function walk(start, adj, depth) {
    const out = new Set(); let frontier = [start], d = 0;
    while (frontier.length && (depth == null || d < depth)) {
      const next = [];
      for (const x of frontier) for (const y of adj(x)) if (!out.has(y)) { out.add(y); next.push(y); }
      frontier = next; d++;
    }
    return out;
  }
  function globRe(p) { return new RegExp("^" + p.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".") + "$"); }
  function atom(raw) {
    let s = raw, at = false, up = null, dn = null, m;
    if (s.startsWith("@")) { at = true; s = s.slice(1); }
    if ((m = /^(\d*)\+/.exec(s))) { up = m[1] ? +m[1] : Infinity; s = s.slice(m[0].length); }
    if ((m = /\+(\d*)$/.exec(s))) { dn = m[1] ? +m[1] : Infinity; s = s.slice(0, -m[0].length); }
    let method = "name", value = s;
    const c = s.indexOf(":");
    if (c > 0) { method = s.slice(0, c); value = s.slice(c + 1); }
    const re = globRe(value);
    const base = [];
    N.forEach((n, i) => {
      let ok = false;
      if (method === "name" || method === "fqn") ok = re.test(n.n) || n.p.split("/").slice(1, -1).includes(value);
      else if (method === "tag") ok = n.t.some(t => re.test(t));
      else if (method === "path") ok = n.p === value || n.p.startsWith(value.replace(/\/$/, "") + "/");
      else if (method === "resource_type") ok = n.k === value;
      else if (method === "config.materialized") ok = n.m === value;
      else if (method === "source") ok = n.k === "source" && (re.test(n.n.split(".")[0]) || re.test(n.n));
      if (ok) base.push(i);
    });
    const out = new Set(base);
    for (const i of base) {
      if (up != null) walk(i, x => N[x].u, up === Infinity ? null : up).forEach(x => out.add(x));
      if (dn != null) walk(i, x => down[x], dn === Infinity ? null : dn).forEach(x => out.add(x));
      if (at) { const d = walk(i, x => down[x], null); d.forEach(x => { out.add(x); walk(x, y => N[y].u, null).forEach(y => out.add(y)); }); walk(i, x => N[x].u, null).forEach(x => out.add(x)); }
    }
    return out;
  }
  function select(expr) {
    const words = expr.trim().split(/\s+/).filter(Boolean);
    if (!words.length) return null;
    const out = new Set();
    for (const w of words) {
      let acc = null;
      for (const a of w.split(",")) { const s = atom(a); acc = acc ? new Set([...acc].filter(x => s.has(x))) : s; }
      acc.forEach(x => out.add(x));
    }
    return out;
  }

  // ---- graph ----
  const canvas = $("graph"), ctx = canvas.getContext("2d");
  let view = { x: 20, y: 20, k: 1 }, visible = null, focus = null, related = null;
  function fit() {
    const ids = visible ? [...visible] : N.map((_, i) => i);
    if (!ids.length) return;
    let minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
    for (const i of ids) { const x = N[i].L * GX, y = N[i].R * GY; minX = Math.min(minX, x); minY = Math.min(minY, y); maxX = Math.max(maxX, x + W); maxY = Math.max(maxY, y + H); }
    const w = canvas.clientWidth || 800, h = canvas.clientHeight || 600;
    view.k = Math.min(2, Math.max(0.002, Math.min((w - 40) / (maxX - minX), (h - 40) / (maxY - minY))));
    view.x = 20 - minX * view.k; view.y = 20 - minY * view.k;
  }
  let pending = false;
  function draw() { if (!pending) { pending = true; requestAnimationFrame(render); } }
  function render() {
    pending = false;
    const dpr = window.devicePixelRatio || 1, w = canvas.clientWidth, h = canvas.clientHeight;
    if (canvas.width !== w * dpr || canvas.height !== h * dpr) { canvas.width = w * dpr; canvas.height = h * dpr; }
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, w, h);
    ctx.setTransform(dpr * view.k, 0, 0, dpr * view.k, dpr * view.x, dpr * view.y);
    const x0 = -view.x / view.k, y0 = -view.y / view.k, x1 = x0 + w / view.k, y1 = y0 + h / view.k;
    const shown = i => !visible || visible.has(i);
    let drawn = 0;
    ctx.lineWidth = 1 / view.k;
    ctx.beginPath();
    ctx.strokeStyle = related ? "rgba(148,163,184,.25)" : "rgba(100,116,139,.55)";
    N.forEach((n, i) => {
      if (!shown(i)) return;
      for (const u of n.u) {
        if (!shown(u)) continue;
        const ax = N[u].L * GX + W, ay = N[u].R * GY + H / 2, bx = n.L * GX, by = n.R * GY + H / 2;
        if (Math.max(ax, bx) < x0 || Math.min(ax, bx) > x1 || Math.max(ay, by) < y0 || Math.min(ay, by) > y1) continue;
        if (related && related.has(i) && related.has(u)) continue;
        ctx.moveTo(ax, ay); ctx.bezierCurveTo(ax + 40, ay, bx - 40, by, bx, by);
      }
    });
    ctx.stroke();
    if (related) {
      ctx.beginPath(); ctx.strokeStyle = "#2563eb"; ctx.lineWidth = 2 / view.k;
      N.forEach((n, i) => { if (!related.has(i)) return; for (const u of n.u) if (related.has(u) && shown(u)) {
        const ax = N[u].L * GX + W, ay = N[u].R * GY + H / 2, bx = n.L * GX, by = n.R * GY + H / 2;
        ctx.moveTo(ax, ay); ctx.bezierCurveTo(ax + 40, ay, bx - 40, by, bx, by); } });
      ctx.stroke();
    }
    const labels = view.k > 0.35;
    ctx.font = "12px system-ui, sans-serif"; ctx.textBaseline = "middle";
    N.forEach((n, i) => {
      if (!shown(i)) return;
      const x = n.L * GX, y = n.R * GY;
      if (x > x1 || x + W < x0 || y > y1 || y + H < y0) return;
      drawn++;
      ctx.globalAlpha = related && !related.has(i) ? 0.25 : 1;
      ctx.fillStyle = COLORS[n.k] || "#e2e8f0";
      ctx.fillRect(x, y, W, H);
      if (i === focus) { ctx.strokeStyle = "#1d4ed8"; ctx.lineWidth = 3 / view.k; ctx.strokeRect(x, y, W, H); }
      if (labels) { ctx.fillStyle = "#0f172a"; ctx.fillText(n.n.length > 34 ? n.n.slice(0, 33) + "…" : n.n, x + 6, y + H / 2, W - 10); }
    });
    ctx.globalAlpha = 1;
    canvas.dataset.drawn = drawn;
    canvas.dataset.view = w + "x" + h + "@" + view.k.toFixed(4);
  }
  function nodeAt(px, py) {
    const x = (px - view.x) / view.k, y = (py - view.y) / view.k;
    const L = Math.floor(x / GX), R = Math.floor(y / GY);
    if (x - L * GX > W || y - R * GY > H) return null;
    const i = grid.get(L + ":" + R);
    return i != null && (!visible || visible.has(i)) ? i : null;
  }
  let drag = null, moved = false;
  canvas.addEventListener("mousedown", e => { drag = { x: e.clientX, y: e.clientY, vx: view.x, vy: view.y }; moved = false; });
  window.addEventListener("mousemove", e => { if (!drag) return; const dx = e.clientX - drag.x, dy = e.clientY - drag.y; if (Math.abs(dx) + Math.abs(dy) > 3) moved = true; view.x = drag.vx + dx; view.y = drag.vy + dy; userMoved = true; draw(); });
  window.addEventListener("mouseup", e => {
    if (drag && !moved) { const r = canvas.getBoundingClientRect(); const i = nodeAt(e.clientX - r.left, e.clientY - r.top); if (i != null) location.hash = "#!/node/" + i; }
    drag = null;
  });
  canvas.addEventListener("wheel", e => {
    e.preventDefault();
    const r = canvas.getBoundingClientRect(), px = e.clientX - r.left, py = e.clientY - r.top;
    const k = Math.min(4, Math.max(0.002, view.k * Math.exp(-e.deltaY * 0.0015)));
    view.x = px - (px - view.x) * k / view.k; view.y = py - (py - view.y) * k / view.k; view.k = k; userMoved = true; draw();
  }, { passive: false });
  // until the reader pans or zooms, the graph keeps fitting the window
  let userMoved = false;
  window.addEventListener("resize", () => { if (!userMoved && focus == null) fit(); draw(); });
  function highlight(i) {
    focus = i;
    if (i == null) { related = null; return; }
    related = new Set([i, ...walk(i, x => N[x].u, null), ...walk(i, x => down[x], null)]);
  }
  // column lineage in the graph: the nodes a column is computed from, transitively
  function highlightColumn(i, column) {
    const seen = new Set([i + ":" + column]), nodes = new Set([i]), stack = [[i, column]];
    while (stack.length) {
      const [x, col] = stack.pop();
      const c = (N[x].c || []).find(c => c.n === col);
      for (const [u, uc] of (c && c.l) || []) { const key = u + ":" + uc; if (!seen.has(key)) { seen.add(key); nodes.add(u); stack.push([u, uc]); } }
    }
    focus = i; related = nodes;
    $("page").dataset.columnNodes = nodes.size;
  }
  function centerOn(i) {
    const w = canvas.clientWidth, h = canvas.clientHeight;
    if (view.k < 0.5) view.k = 0.8;
    view.x = w * 0.12 - N[i].L * GX * view.k; view.y = h / 2 - N[i].R * GY * view.k;
  }

  // ---- list and search ----
  const LIMIT = 500;
  function renderList() {
    const q = $("search").value.trim().toLowerCase();
    const hits = [];
    for (let i = 0; i < N.length; i++) if (!q || haystack[i].includes(q)) { if (!visible || visible.has(i)) hits.push(i); }
    const order = hits.sort((a, b) => (N[a].k === "model" ? 0 : 1) - (N[b].k === "model" ? 0 : 1) || N[a].n.localeCompare(N[b].n));
    $("list").innerHTML = order.slice(0, LIMIT).map(i => `<a href="#!/node/${i}" data-node="${i}"${i === focus ? ' class="active"' : ""}><span class="kind">${esc(N[i].k)}</span>${esc(N[i].n)}</a>`).join("")
      + (order.length > LIMIT ? `<div class="more">${order.length - LIMIT} more: refine the search</div>` : "");
    $("list").dataset.matches = order.length;
    $("count").textContent = `${order.length} of ${N.length} nodes`;
  }

  // ---- node pages ----
  const sql = {};
  window.strataSQL = (k, rows) => { sql[k] = rows; if (focus != null && Math.floor(focus / D.chunk) === k) showSQL(focus); };
  function showSQL(i) {
    const k = Math.floor(i / D.chunk), rows = sql[k];
    const el = $("sql");
    if (!el) return;
    if (!rows) {
      if (!document.getElementById("chunk-" + k)) { const s = document.createElement("script"); s.id = "chunk-" + k; s.src = "sql/chunk-" + k + ".js"; document.body.appendChild(s); }
      el.textContent = "Loading…"; return;
    }
    const [raw, compiled] = rows[i % D.chunk];
    el.innerHTML = (raw ? `<h2>Source</h2><pre>${esc(raw)}</pre>` : "") + (compiled ? `<h2>Compiled SQL</h2><pre>${esc(compiled)}</pre>` : "");
  }
  const link = i => `<a class="node" href="#!/node/${i}">${esc(N[i].n)}</a>`;
  function showPage(i) {
    const n = N[i], page = $("page");
    const tests = n.ts || [];
    const run = n.run ? `<span class="pill ${esc(n.run[0])}">last run: ${esc(n.run[0])}</span> ${esc(n.run[1] || "")} (${esc(n.run[2])} s)` : "not run yet";
    const cols = (n.c || []).map(c => `<tr><td><a class="column" data-column="${esc(c.n)}" title="Show where this column comes from in the graph"><code>${esc(c.n)}</code></a></td><td>${esc(c.t || "")}</td><td>${c.d || ""}</td><td>${esc(c.k || "")}</td><td>${(c.x || []).map(x => `<span class="pill">${esc(x)}</span>`).join("")}</td><td>${(c.l || []).map(([u, col]) => `${link(u)}.<code>${esc(col)}</code>`).join("<br>")}</td></tr>`).join("");
    page.innerHTML = `<button class="close" title="Close">×</button>
      <div class="meta">${esc(n.k)} · ${esc(n.m)}${n.o ? " · owner " + esc(n.o) : ""}${n.g ? " · group " + esc(n.g) : ""}${n.a ? " · access " + esc(n.a) : ""}</div>
      <h1>${esc(n.n)}</h1>
      <div class="meta"><code>${esc(n.r || "")}</code> · ${esc(n.p)} ${n.t.map(t => `<span class="pill">${esc(t)}</span>`).join("")}</div>
      <p>${run}${n.cat ? ` · ${n.cat[0] != null ? Math.round(n.cat[0]) + " rows (estimate)" : ""}${n.cat[1] != null ? " · " + (n.cat[1] / 1024).toFixed(0) + " KiB" : ""}` : ""}</p>
      ${n.d ? `<div class="description">${n.d}</div>` : ""}
      ${n.mt ? `<p class="meta">${n.mt.map(m => `<span class="pill">${esc(m)}</span>`).join("")}</p>` : ""}
      ${n.ct ? `<h2>Contract</h2><p><strong>${esc(n.ct.name)}</strong> ${esc(n.ct.version || "")} ${esc(n.ct.status || "")} · <code>${esc(n.ct.file)}</code></p>${n.ct.d || ""}` : ""}
      <h2>Columns</h2>${cols ? `<table><tr><th>name</th><th>type</th><th>description</th><th>contract</th><th>tests</th><th>from</th></tr>${cols}</table>` : "<p class=meta>No columns known.</p>"}
      <h2>Tests</h2>${tests.length ? tests.map(([name, type, status, failures]) => `<div><span class="pill ${esc(status || "")}">${esc(status || "not run")}</span> ${esc(name)} <span class="meta">${esc(type)}${failures ? " · " + esc(failures) + " failing" : ""}</span></div>`).join("") : "<p class=meta>None.</p>"}
      <h2>Upstream</h2><p>${n.u.map(link).join(", ") || "—"}</p>
      <h2>Downstream</h2><p>${down[i].map(link).join(", ") || "—"}</p>
      <div id="sql"></div>`;
    page.hidden = false;
    page.querySelector(".close").onclick = () => { location.hash = ""; };
    page.querySelectorAll("a.column").forEach(a => a.onclick = () => { highlightColumn(i, a.dataset.column); draw(); });
    showSQL(i);
  }
  function route() {
    const h = decodeURIComponent(location.hash || "");
    let m;
    if ((m = /^#!\/node\/(\d+)(?:\/column\/(.+))?$/.exec(h)) && N[+m[1]]) {
      const i = +m[1]; highlight(i); showPage(i); if (m[2]) highlightColumn(i, m[2]); centerOn(i); renderList(); draw(); return;
    }
    if ((m = /^#search=(.*)$/.exec(h))) { $("search").value = m[1]; }
    if ((m = /^#select=(.*)$/.exec(h))) { $("select").value = m[1]; applySelect(); }
    highlight(null); $("page").hidden = true; renderList(); draw();
  }
  function applySelect() {
    try { visible = select($("select").value); $("select").style.borderColor = ""; } catch (e) { $("select").style.borderColor = "#ef4444"; }
    fit(); renderList(); draw();
  }
  $("search").addEventListener("input", renderList);
  $("select").addEventListener("change", applySelect);
  $("select").addEventListener("keyup", e => { if (e.key === "Enter") applySelect(); });
  window.addEventListener("hashchange", route);
  $("legend").innerHTML = Object.entries(COLORS).map(([k, c]) => `<span style="background:${c}"></span>${k}`).join("");
  fit();
  route();
  render();
  document.body.dataset.nodes = N.length;
  // time since navigation start: loading the data, building the list and drawing the graph
  document.body.dataset.renderMs = Math.round(performance.now());
  document.body.dataset.appMs = Math.round(performance.now() - t0);
})();