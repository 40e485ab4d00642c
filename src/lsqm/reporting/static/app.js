// The architectures table: rows come from the JSON block in the page and are rendered here,
// one page of them at a time, so thousands of architectures stay fast. Filters (search,
// status, service, category, change) and sorting (status, name, duration) work on the data,
// then only the visible page is put into the DOM. No innerHTML: every value is text.
(function () {
  "use strict";
  var PAGE = 100;
  var blob = document.getElementById("lsqm-data");
  if (!blob) return;
  var data = JSON.parse(blob.textContent);
  var C = {};
  data.columns.forEach(function (name, i) { C[name] = i; });
  var rows = data.rows;
  var searchText = rows.map(function (r) {
    return (r[C.name] + " " + r[C.hash] + " " + r[C.signature]).toLowerCase();
  });
  var order = rows.map(function (_, i) { return i; });
  var rank = data.statuses.map(function (s) { return data.severity.indexOf(s); });

  var el = function (id) { return document.getElementById(id); };
  var body = el("rows");
  var search = el("search"), fStatus = el("f-status"), fService = el("f-service"),
      fCategory = el("f-category"), fChange = el("f-change");
  var state = { q: "", status: "", service: "", category: "", change: "", sort: "status", dir: 1, page: 0 };

  function fill(select, values, labels) {
    values.forEach(function (v, i) {
      var o = document.createElement("option");
      o.value = String(i);
      o.textContent = labels ? labels[i] : v;
      select.appendChild(o);
    });
  }
  fill(fStatus, data.statuses);
  fill(fService, data.services);
  fill(fCategory, data.categories);
  fill(fChange, data.changes, data.changes.map(function (c) { return data.change_titles[c]; }));

  var sorters = {
    // most severe first: FAILED, PARTIAL, TIMEOUT, ERROR (not the emulator), PASSED
    status: function (a, b) { return rank[rows[a][C.status]] - rank[rows[b][C.status]]; },
    name: function (a, b) {
      var x = rows[a][C.name].toLowerCase(), y = rows[b][C.name].toLowerCase();
      return x < y ? -1 : x > y ? 1 : 0;
    },
    duration: function (a, b) { return rows[a][C.duration] - rows[b][C.duration]; }
  };

  function visible() {
    var q = state.q, out = [];
    var st = state.status === "" ? -1 : +state.status;
    var sv = state.service === "" ? -1 : +state.service;
    var ct = state.category === "" ? -1 : +state.category;
    var ch = state.change === "" ? -1 : +state.change;
    for (var k = 0; k < order.length; k++) {
      var i = order[k], r = rows[i];
      if (st >= 0 && r[C.status] !== st) continue;
      if (ct >= 0 && r[C.category] !== ct) continue;
      if (ch >= 0 && r[C.change] !== ch) continue;
      if (sv >= 0 && r[C.services].indexOf(sv) < 0) continue;
      if (q && searchText[i].indexOf(q) < 0) continue;
      out.push(i);
    }
    return out;
  }

  function cell(tr, cls, child) {
    var td = document.createElement("td");
    if (cls) td.className = cls;
    if (child !== undefined && child !== null) {
      td.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    }
    tr.appendChild(td);
    return td;
  }

  function span(cls, text) {
    var s = document.createElement("span");
    s.className = cls;
    s.textContent = text;
    return s;
  }

  function render() {
    var shown = visible();
    var pages = Math.max(1, Math.ceil(shown.length / PAGE));
    if (state.page >= pages) state.page = pages - 1;
    var start = state.page * PAGE;
    var frag = document.createDocumentFragment();
    shown.slice(start, start + PAGE).forEach(function (i) {
      var r = rows[i];
      var status = data.statuses[r[C.status]];
      var tr = document.createElement("tr");
      tr.setAttribute("data-hash", r[C.hash]);
      cell(tr, "", span("badge st-" + status.toLowerCase(), status));
      var a = document.createElement("a");
      a.href = "arch/" + r[C.hash] + ".html";
      a.textContent = r[C.name];
      var name = cell(tr, "name", a);
      if (r[C.flaky]) name.appendChild(span("flag", "flaky"));
      if (r[C.change] >= 0) {
        var change = data.changes[r[C.change]];
        name.appendChild(span("chg-tag " + change, change === "regressions" ? "regression" : change === "fixes" ? "fix" : change.replace("_", " ")));
      }
      cell(tr, "svc", r[C.services].map(function (s) { return data.services[s]; }).join(", "));
      var why = cell(tr, "why");
      if (r[C.category] >= 0) {
        why.appendChild(span("cat", data.categories[r[C.category]]));
        why.appendChild(document.createTextNode(" "));
        var code = document.createElement("code");
        code.textContent = r[C.signature];
        why.appendChild(code);
      }
      cell(tr, "num", r[C.total] ? r[C.passed] + "/" + r[C.total] : "–");
      cell(tr, "num", r[C.mutation]);
      cell(tr, "num", r[C.duration].toFixed(1) + "s");
      frag.appendChild(tr);
    });
    body.replaceChildren(frag);
    el("count").textContent = shown.length.toLocaleString("en") + " of " + rows.length.toLocaleString("en") + " architectures";
    el("page").textContent = shown.length ? (start + 1) + "–" + Math.min(start + PAGE, shown.length) + " · page " + (state.page + 1) + " of " + pages : "no match";
    el("prev").disabled = state.page === 0;
    el("next").disabled = state.page >= pages - 1;
  }

  function resort() {
    var f = sorters[state.sort], dir = state.dir;
    order.sort(function (a, b) { return dir * f(a, b) || sorters.name(a, b); });
    document.querySelectorAll("th[data-sort]").forEach(function (th) {
      th.setAttribute("aria-sort", th.getAttribute("data-sort") === state.sort ? (dir > 0 ? "ascending" : "descending") : "none");
    });
  }

  var timer = null;
  search.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(function () { state.q = search.value.trim().toLowerCase(); state.page = 0; render(); }, 80);
  });
  [[fStatus, "status"], [fService, "service"], [fCategory, "category"], [fChange, "change"]].forEach(function (pair) {
    pair[0].addEventListener("change", function () { state[pair[1]] = pair[0].value; state.page = 0; render(); });
  });
  document.querySelectorAll("th[data-sort]").forEach(function (th) {
    th.addEventListener("click", function () {
      var key = th.getAttribute("data-sort");
      state.dir = state.sort === key ? -state.dir : 1;
      state.sort = key;
      state.page = 0;
      resort();
      render();
    });
  });
  el("prev").addEventListener("click", function () { state.page--; render(); });
  el("next").addEventListener("click", function () { state.page++; render(); });

  resort();
  render();
  if (window.performance && performance.mark) performance.mark("lsqm-table-rendered");
})();
