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

function sampleCards(host) {
  const cards = readJson("data-cards");
  const state = { page: 0, filter: "" };
  const controls = el("div", { class: "controls" });
  const filter = el("input", { type: "search", placeholder: "find a sample, subtype, gene\u2026", "aria-label": "filter samples" });
  const pagerSlot = el("span");
  controls.append(filter, pagerSlot);
  const grid = el("div", { class: "grid" });
  host.append(controls, grid);
  const lower = cards.map((c) => (c.sample + " " + c.items.map((i) => i[1]).join(" ")).toLowerCase());

  function draw() {
    const shown = cards.filter((_, i) => !state.filter || lower[i].includes(state.filter));
    pagerSlot.replaceChildren(pager(shown.length, CARDS_PER_PAGE, state, draw, "samples"));
    grid.replaceChildren();
    const start = state.page * CARDS_PER_PAGE;
    for (const card of shown.slice(start, start + CARDS_PER_PAGE)) {
      const box = el("div", { class: "card", id: "card-" + card.sample });
      box.append(el("h4", {}, card.sample));
      const dl = el("dl");
      for (const [label, text, flagged] of card.items) {
        dl.append(el("dt", {}, label), el("dd", flagged ? { class: "flag" } : {}, cellText(text)));
      }
      box.append(dl);
      grid.append(box);
    }
  }

  filter.oninput = () => { state.filter = filter.value.toLowerCase(); state.page = 0; draw(); };
  draw();
}

document.querySelectorAll(".datatable").forEach(dataTable);
sampleCards(document.getElementById("cards"));
