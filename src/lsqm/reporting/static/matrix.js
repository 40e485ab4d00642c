// The emulator matrix page: the architecture x emulator grid and the list of disagreements
// come from the JSON block in the page (Matrix.page_data: index lists, every string once)
// and are drawn here a page of rows at a time, so thousands of architectures stay fast.
// Nothing is decided here: scores and disagreements are the Python side's. No innerHTML:
// every value is text.
(function () {
  "use strict";
  var PAGE = 100;
  var blob = document.getElementById("lsqm-matrix");
  if (!blob) return;
  var data = JSON.parse(blob.textContent);
  var R = positions(data.row), K = positions(data.cell);
  var archs = data.architectures;
  var el = function (id) { return document.getElementById(id); };

  function positions(names) {
    var at = {};
    names.forEach(function (name, i) { at[name] = i; });
    return at;
  }

  function signature(cell) { return data.signatures[cell[K.signature]]; }

  // What the search looks in: name, hash and the signatures of the architecture's cells.
  var gridText = archs.map(function (a) {
    var parts = [a[R.name], a[R.hash]];
    a[R.cells].forEach(function (c) { if (c && signature(c)) parts.push(signature(c)); });
    return parts.join(" ").toLowerCase();
  });
  var differs = new Uint8Array(archs.length);
  data.disagreements.forEach(function (d) { differs[d[0]] = 1; });

  function span(cls, text) {
    var s = document.createElement("span");
    s.className = cls;
    s.textContent = text;
    return s;
  }

  function td(tr, cls) {
    var cell = document.createElement("td");
    if (cls) cell.className = cls;
    tr.appendChild(cell);
    return cell;
  }

  function name(tr, a) {
    var cell = td(tr, "name");
    if (a[R.linked]) {
      var link = document.createElement("a");
      link.href = "arch/" + a[R.hash] + ".html";
      link.textContent = a[R.name];
      cell.appendChild(link);
    } else {
      cell.textContent = a[R.name];
    }
  }

  // The status badge, the category and the flaky flag, as the verdict macro draws them.
  function verdict(cell, c) {
    var status = data.statuses[c[K.status]];
    cell.appendChild(span("badge st-" + status.toLowerCase(), status));
    if (c[K.category] >= 0) {
      cell.appendChild(document.createTextNode(" "));
      cell.appendChild(span("cat", data.categories[c[K.category]]));
    }
    if (c[K.flaky]) {
      cell.appendChild(document.createTextNode(" "));
      cell.appendChild(span("flag", "flaky"));
    }
  }

  function short(text, length) {
    text = text.split(/\s+/).join(" ").trim();
    return text.length <= length ? text : text.slice(0, length - 1) + "…";
  }

  function gridRow(i) {
    var a = archs[i], tr = document.createElement("tr");
    tr.setAttribute("data-hash", a[R.hash]);
    name(tr, a);
    a[R.cells].forEach(function (c) {
      var cell = td(tr, "nowrap");
      if (c) {
        cell.setAttribute("data-score", data.scores[c[K.score]]);
        cell.title = signature(c);
        verdict(cell, c);
      } else {
        cell.setAttribute("data-score", "none");
        cell.title = "not in this run";
        cell.appendChild(span("muted", "–"));
      }
    });
    return tr;
  }

  function disagreementRow(i) {
    var d = data.disagreements[i], a = archs[d[0]], c = a[R.cells][d[2]];
    var tr = document.createElement("tr");
    tr.setAttribute("data-hash", a[R.hash]);
    name(tr, a);
    td(tr, "nowrap").textContent = data.columns[d[1]];
    td(tr, "nowrap").textContent = data.columns[d[2]];
    verdict(td(tr, "nowrap"), c);
    var code = document.createElement("code");
    code.textContent = short(signature(c), 160);
    var sig = td(tr, "sig");
    sig.title = signature(c);
    sig.appendChild(code);
    return tr;
  }

  // One paged table: `keep(i)` says whether item i is shown, `draw(i)` makes its row.
  function paged(prefix, total, noun, keep, draw) {
    var body = el(prefix + "-rows");
    if (!body) return null;
    var page = 0;
    function render() {
      var shown = [];
      for (var i = 0; i < total; i++) if (keep(i)) shown.push(i);
      var pages = Math.max(1, Math.ceil(shown.length / PAGE));
      if (page >= pages) page = pages - 1;
      var start = page * PAGE, frag = document.createDocumentFragment();
      shown.slice(start, start + PAGE).forEach(function (i) { frag.appendChild(draw(i)); });
      body.replaceChildren(frag);
      el(prefix + "-count").textContent = shown.length.toLocaleString("en") + " of " + total.toLocaleString("en") + " " + noun;
      el(prefix + "-page").textContent = shown.length ? (start + 1) + "–" + Math.min(start + PAGE, shown.length) + " · page " + (page + 1) + " of " + pages : "no match";
      el(prefix + "-prev").disabled = page === 0;
      el(prefix + "-next").disabled = page >= pages - 1;
    }
    el(prefix + "-prev").addEventListener("click", function () { page--; render(); });
    el(prefix + "-next").addEventListener("click", function () { page++; render(); });
    return { render: render, first: function () { page = 0; render(); } };
  }

  // A search box that re-renders its table a moment after typing stops.
  function searchBox(id, table, state) {
    var box = el(id), timer = null;
    if (!box || !table) return;
    box.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () { state.q = box.value.trim().toLowerCase(); table.first(); }, 80);
    });
  }

  var g = { q: "", differ: false };
  var grid = paged("g", archs.length, "architectures", function (i) {
    return (!g.differ || differs[i]) && (!g.q || gridText[i].indexOf(g.q) >= 0);
  }, gridRow);
  searchBox("g-search", grid, g);
  var differ = el("g-differ");
  if (differ && grid) differ.addEventListener("change", function () { g.differ = differ.checked; grid.first(); });

  var d = { q: "" };
  // A disagreement is found by its architecture's name and hash and the signature there.
  var listText = data.disagreements.map(function (x) {
    var a = archs[x[0]];
    return (a[R.name] + " " + a[R.hash] + " " + signature(a[R.cells][x[2]])).toLowerCase();
  });
  var list = paged("d", data.disagreements.length, "disagreements", function (i) {
    return !d.q || listText[i].indexOf(d.q) >= 0;
  }, disagreementRow);
  searchBox("d-search", list, d);

  if (list) list.render();
  if (grid) grid.render();
  if (window.performance && performance.mark) performance.mark("lsqm-matrix-rendered");
})();
