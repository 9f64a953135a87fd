"use strict";
// Paged, sortable, filterable tables and sample cards drawn from the page's inline JSON.

function el(tag, attrs, text) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
  if (text !== undefined) node.textContent = text;
  return node;
}

function readJson(id) {
  return JSON.parse(document.getElementById(id).textContent);
}

function cellText(v) {
  return v === null || v === undefined ? "" : String(v);
}

function toTsv(columns, rows) {
  const clean = (v) => cellText(v).replace(/[\t\n\r]/g, " ");
  return [columns.map(clean).join("\t")]
    .concat(rows.map((r) => r.map(clean).join("\t")))
    .join("\n") + "\n";
}

function download(name, text) {
  const url = URL.createObjectURL(new Blob([text], { type: "text/tab-separated-values" }));
  const a = el("a", { href: url, download: name });
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

function compare(a, b) {
  if (a === null || a === "") return b === null || b === "" ? 0 : 1;
  if (b === null || b === "") return -1;
  if (typeof a === "number" && typeof b === "number") return a - b;
  return String(a).localeCompare(String(b), undefined, { numeric: true });
}

function pager(total, size, state, redraw, noun = "rows") {
  const pages = Math.max(1, Math.ceil(total / size));
  state.page = Math.min(state.page, pages - 1);
  const box = el("span", { class: "pager" });
  if (pages === 1) {
    box.textContent = `${total} ${total === 1 ? noun.replace(/s$/, "") : noun}`;
    return box;
  }
  const prev = el("button", { type: "button" }, "\u25C0 prev");
  const next = el("button", { type: "button" }, "next \u25B6");
  prev.disabled = state.page === 0;
  next.disabled = state.page >= pages - 1;
  prev.onclick = () => { state.page -= 1; redraw(); };
  next.onclick = () => { state.page += 1; redraw(); };
  box.append(prev, el("span", {}, ` page ${state.page + 1} of ${pages} (${total} ${noun}) `), next);
  return box;
}

function dataTable(host) {
  const id = host.dataset.table;
  const data = readJson("data-" + id);
  const state = { page: 0, sortCol: -1, sortDir: 1, filter: "" };
  const index = data.rows.map((_, i) => i);
  const lower = data.rows.map((r) => r.map(cellText).join("\u0001").toLowerCase());
  const controls = el("div", { class: "controls" });
  const filter = el("input", { type: "search", placeholder: "filter rows\u2026", "aria-label": "filter " + id });
  const save = el("button", { type: "button" }, "Download TSV");
  const pagerSlot = el("span");
  controls.append(filter, save, pagerSlot);
  const scroll = el("div", { class: "scroll" });
  const table = el("table", { class: "dt" });
  scroll.append(table);
  host.append(controls, scroll);

  function visible() {
    const f = state.filter;
    let rows = f ? index.filter((i) => lower[i].includes(f)) : index.slice();
    if (state.sortCol >= 0) {
      const c = state.sortCol;
      rows.sort((a, b) => state.sortDir * compare(data.rows[a][c], data.rows[b][c]));
    }
    return rows;
  }

  function draw() {
    const rows = visible();
    table.replaceChildren();
    const head = el("tr");
    data.columns.forEach((name, c) => {
      const th = el("th", { scope: "col", title: "sort by " + name }, name);
      if (c === state.sortCol) th.className = state.sortDir > 0 ? "asc" : "desc";
      th.onclick = () => {
        state.sortDir = state.sortCol === c ? -state.sortDir : 1;
        state.sortCol = c;
        state.page = 0;
        draw();
      };
      head.append(th);
    });
    const thead = el("thead");
    thead.append(head);
    const tbody = el("tbody");
    pagerSlot.replaceChildren(pager(rows.length, PAGE_SIZE, state, draw));
    const start = state.page * PAGE_SIZE;
    for (const i of rows.slice(start, start + PAGE_SIZE)) {
      const tr = el("tr");
      const marks = data.marks[i];
      if (marks !== undefined && marks.length === 0) tr.className = "hit";
      data.rows[i].forEach((v, c) => {
        const td = el("td", {}, cellText(v));
        if (marks !== undefined && marks.includes(c)) td.className = "flag";
        tr.append(td);
      });
      tbody.append(tr);
    }
    table.append(thead, tbody);
  }

  filter.oninput = () => { state.filter = filter.value.toLowerCase(); state.page = 0; draw(); };
  save.onclick = () => {
    const rows = visible().map((i) => data.rows[i]);
    download(id + ".tsv", toTsv(data.columns, rows));
  };
  draw();
}

// The SVG namespace name (an identifier, never fetched), spelt so that no URL appears in the page.
const SVG = ["http:", "", "www.w3.org", "2000", "svg"].join("/");

function svgEl(tag, attrs, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
  if (text !== undefined) node.textContent = text;
  return node;
}

function bytesOf(b64) {
  const raw = atob(b64);
  const out = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
  return out;
}

const CALL_FILL = { gain: "#f6c6c0", loss: "#c6dbef", LOH: "#dcd3ec", cnLOH: "#dcd3ec" };

// RNA karyotype: per arm the dosage (log2 ratio; points: gene bins; line: the arm) above the
// minor-allele fraction of heterozygous sites (points: site bins; line: the arm's peak), with
// the called copy number; arms that could not be assessed are greyed, never drawn as lesions.
function karyotypePlot(card, K) {
  const bytes = bytesOf(card.k);
  const per = 5 + K.gene_bins + K.site_bins;
  const n = K.arms.length;
  const W = 1000, left = 46, right = 8, slot = (W - left - right) / n;
  const top = [16, 136], bottom = [160, 240], H = 262;
  const yLog = (v) => top[0] + (top[1] - top[0]) * (1 - (Math.max(-1.2, Math.min(1.2, v)) + 1.2) / 2.4);
  const yMaf = (v) => bottom[0] + (bottom[1] - bottom[0]) * (1 - v / 0.5);
  const svg = svgEl("svg", { viewBox: `0 0 ${W} ${H}`, class: "karyo", role: "img",
    "aria-label": "RNA karyotype of " + card.sample });
  const grid = svgEl("g", { class: "grid" });
  for (const v of [-1, -0.585, 0, 0.585, 1]) {
    grid.append(svgEl("line", { x1: left, x2: W - right, y1: yLog(v), y2: yLog(v),
      class: v === 0 ? "mid" : "ref" }));
  }
  for (const v of [0.5, 1 / 3, 0.25]) {
    grid.append(svgEl("line", { x1: left, x2: W - right, y1: yMaf(v), y2: yMaf(v),
      class: v === 0.5 ? "mid" : "ref" }));
  }
  for (const [v, label] of [[1, "1"], [0.585, "+1/2"], [0, "0"], [-1, "-1"]]) {
    grid.append(svgEl("text", { x: left - 4, y: yLog(v) + 3, class: "tick" }, label));
  }
  for (const [v, label] of [[0.5, ".5"], [1 / 3, ".33"], [0, "0"]]) {
    grid.append(svgEl("text", { x: left - 4, y: yMaf(v) + 3, class: "tick" }, label));
  }
  grid.append(svgEl("text", { x: 10, y: (top[0] + top[1]) / 2, class: "axis",
    transform: `rotate(-90 10 ${(top[0] + top[1]) / 2})` }, "log2 ratio"));
  grid.append(svgEl("text", { x: 10, y: (bottom[0] + bottom[1]) / 2, class: "axis",
    transform: `rotate(-90 10 ${(bottom[0] + bottom[1]) / 2})` }, "minor AF"));
  svg.append(grid);
  let lastChrom = null, assessed = 0, stripe = false;
  for (let i = 0; i < n; i++) {
    const b = bytes.subarray(i * per, (i + 1) * per);
    const x0 = left + i * slot;
    const arm = K.arms[i];
    const chrom = arm.replace(/^chr/, "").slice(0, -1);
    const g = svgEl("g", { class: "arm", "data-arm": arm });
    const call = b[0] === 255 ? "absent" : (K.calls[b[0]] || "other");
    if (chrom !== lastChrom) {
      stripe = !stripe;
      g.append(svgEl("text", { x: x0 + 1, y: H - 4, class: "chrom" }, chrom));
      lastChrom = chrom;
    }
    if (stripe) {
      g.append(svgEl("rect", { x: x0, y: top[0], width: slot, height: bottom[1] - top[0], class: "stripe" }));
    }
    g.dataset.call = call;
    if (call === "not assessable" || call === "absent") {
      g.append(svgEl("rect", { x: x0, y: top[0], width: slot, height: bottom[1] - top[0], class: "na" }));
      g.append(svgEl("title", {}, `${arm}: ${call}`));
      svg.append(g);
      continue;
    }
    assessed += 1;
    if (CALL_FILL[call]) {
      g.append(svgEl("rect", { x: x0, y: top[0], width: slot, height: bottom[1] - top[0],
        fill: CALL_FILL[call], class: "called" }));
    }
    const w = slot / K.gene_bins;
    for (let j = 0; j < K.gene_bins; j++) {
      const v = b[5 + j];
      if (v !== 0) g.append(svgEl("circle", { cx: x0 + (j + 0.5) * w, cy: yLog((v - 128) / 50), r: 1.8, class: "gene" }));
    }
    const ws = slot / K.site_bins;
    for (let j = 0; j < K.site_bins; j++) {
      const v = b[5 + K.gene_bins + j];
      if (v !== 255) g.append(svgEl("circle", { cx: x0 + (j + 0.5) * ws, cy: yMaf(v / 200), r: 1.8, class: "site" }));
    }
    if (b[3] !== 0) {
      const y = yLog((b[3] - 128) / 50);
      g.append(svgEl("line", { x1: x0 + 1, x2: x0 + slot - 1, y1: y, y2: y, class: "seg" }));
    }
    if (b[4] !== 255) {
      const y = yMaf(b[4] / 200);
      g.append(svgEl("line", { x1: x0 + 1, x2: x0 + slot - 1, y1: y, y2: y, class: "seg" }));
    }
    const cn = b[2] === 255 ? null : b[2] / 10;
    if (cn !== null && call !== "normal") {
      g.append(svgEl("text", { x: x0 + slot / 2, y: top[0] - 4, class: "cn" }, String(Math.round(cn * 10) / 10)));
    }
    const conf = K.confidences[b[1]] || "";
    const log2 = b[3] === 0 ? "NA" : ((b[3] - 128) / 50).toFixed(2);
    const maf = b[4] === 255 ? "NA" : (b[4] / 200).toFixed(2);
    g.append(svgEl("title", {}, `${arm}: ${call}${conf ? " (" + conf + ")" : ""}, copy number ${cn ?? "NA"}, log2 ratio ${log2}, minor AF peak ${maf}`));
    svg.append(g);
  }
  const fig = el("figure", { class: "karyo-figure" });
  fig.append(svg);
  const points = K.binned
    ? `points: median log2 ratio of the genes in each ${K.gene_bins}th of the arm and median minor-allele fraction of the heterozygous sites in each ${K.site_bins}th`
    : "no gene or site points (karyotype_genes / karyotype_sites not in the results): lines only";
  fig.append(el("figcaption", {}, `RNA karyotype of ${card.sample}: ${n} arms, ${assessed} assessed. ` +
    `Top: dosage (log2 ratio against the cohort; line: the arm's value; dashed: one copy more, ` +
    `one less); bottom: minor-allele fraction (line: the arm's peak; 0.5 two balanced copies, ` +
    `0.33 a gain); ${points}. Shaded: called gain (red), loss (blue), LOH (purple), with the ` +
    `called copy number above; grey: not assessable.`));
  return fig;
}

function miniTable(columns, rows, flagCol) {
  const t = el("table", { class: "mini" });
  const head = el("tr");
  for (const c of columns) head.append(el("th", {}, c));
  const thead = el("thead");
  thead.append(head);
  const tbody = el("tbody");
  for (const r of rows) {
    const tr = el("tr");
    r.forEach((v, c) => tr.append(el("td", c === flagCol && v ? { class: "flag" } : {}, cellText(v))));
    tbody.append(tr);
  }
  t.append(thead, tbody);
  return t;
}

function block(title, ...children) {
  const div = el("div", { class: "card-block" });
  div.append(el("h4", {}, title), ...children);
  return div;
}

function drawCard(card, K) {
  const box = el("article", { class: "card", id: "sample-" + card.sample });
  const h = el("h3", {}, card.sample);
  if (card.sub) {
    const [subtype, confidence, risk] = card.sub;
    h.append(el("span", { class: "tag" }, subtype));
    h.append(el("span", { class: "tag risk-" + risk }, "risk " + risk));
    if (confidence === "low") h.append(el("span", { class: "tag flag" }, "low confidence"));
  }
  if (card.qcflag) h.append(el("span", { class: "tag flag" }, "QC flag"));
  box.append(h);
  const top = el("div", { class: "card-grid" });
  if (card.sub) {
    const p = el("p", {}, `${card.sub[0]} (${card.sub[1]} confidence), risk group ${card.sub[2]}.`);
    const ev = el("p", { class: "evidence" }, card.ev ? "Evidence: " + card.ev + "." : "No evidence items.");
    const dl = el("dl");
    for (const [k, v] of card.subx || []) dl.append(el("dt", {}, k), el("dd", {}, v));
    top.append(block("Subtype", p, ev, dl));
  }
  if (card.drug) {
    top.append(block("Drug response", miniTable(["drug", "AUC", "z", "class"],
      card.drug.map((r) => [r[0], r[1], r[2], r[3]]))));
  }
  const lesion = [];
  if (card.prof) {
    const dl = el("dl");
    for (const [k, v] of card.prof) dl.append(el("dt", {}, k), el("dd", {}, v));
    lesion.push(dl);
  }
  lesion.push(card.les && card.les.length
    ? miniTable(["lesion", "source", "evidence"], card.les)
    : el("p", { class: "note" }, "No lesion found."));
  top.append(block("Lesions", ...lesion));
  const qc = el("dl");
  for (const [label, text, flagged] of card.qc) {
    qc.append(el("dt", {}, label), el("dd", flagged ? { class: "flag" } : {}, cellText(text)));
  }
  top.append(block("QC", qc));
  box.append(top);
  if (card.fus !== undefined) {
    box.append(block("Fusions", card.fus.length
      ? miniTable(["fusion", "breakpoint 5'", "breakpoint 3'", "split reads", "spanning pairs",
          "isoform", "frame", "filters"], card.fus)
      : el("p", { class: "note" }, "No fusion call.")));
  }
  if (card.var !== undefined) {
    box.append(block("PASS variants", card.var.length
      ? miniTable(["gene", "change", "VAF", "alt/depth", "TKI resistance (drugs defeated)"], card.var, 4)
      : el("p", { class: "note" }, "No PASS variant.")));
  }
  if (card.k) box.append(karyotypePlot(card, K));
  else box.append(el("p", { class: "missing" }, "No RNA karyotype for this sample (subtypes/karyotype.tsv)."));
  return box;
}

function sampleCards(host) {
  const cards = readJson("data-cards");
  const K = readJson("data-karyotype");
  const state = { page: 0, filter: "", all: false };
  const controls = el("div", { class: "controls" });
  const filter = el("input", { type: "search", placeholder: "find a sample, subtype, gene\u2026", "aria-label": "filter samples" });
  const pagerSlot = el("span");
  controls.append(filter, pagerSlot);
  const grid = el("div", { class: "cards" });
  host.append(controls, grid);
  const lower = cards.map((c) => JSON.stringify([c.sample, c.sub, c.ev, c.les, c.fus, c.var]).toLowerCase());
  const shownCards = () => cards.filter((_, i) => !state.filter || lower[i].includes(state.filter));

  function draw() {
    const shown = shownCards();
    pagerSlot.replaceChildren(pager(shown.length, CARDS_PER_PAGE, state, draw, "samples"));
    grid.replaceChildren();
    const start = state.all ? 0 : state.page * CARDS_PER_PAGE;
    const end = state.all ? shown.length : start + CARDS_PER_PAGE;
    for (const card of shown.slice(start, end)) grid.append(drawCard(card, K));
  }

  function goTo() {
    const id = decodeURIComponent(location.hash.replace(/^#sample-/, ""));
    if (!location.hash.startsWith("#sample-")) return;
    const i = cards.findIndex((c) => c.sample === id);
    if (i < 0) return;
    state.filter = "";
    filter.value = "";
    state.page = Math.floor(i / CARDS_PER_PAGE);
    draw();
    document.getElementById("sample-" + id).scrollIntoView();
  }

  filter.oninput = () => { state.filter = filter.value.toLowerCase(); state.page = 0; draw(); };
  window.addEventListener("hashchange", goTo);
  window.addEventListener("beforeprint", () => { state.all = true; draw(); });
  window.addEventListener("afterprint", () => { state.all = false; draw(); });
  draw();
  goTo();
}

document.querySelectorAll(".datatable").forEach(dataTable);
sampleCards(document.getElementById("cards"));
