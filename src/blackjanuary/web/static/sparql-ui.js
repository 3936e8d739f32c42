/* The query UI: YASGUI on this endpoint, our prefixes, the competency questions as examples.
   No inline script (CSP): configuration comes from data- attributes and /sparql/ui-config.json.
   - Results: our IRIs link to our own pages (/page/<key>) in the same tab and read as their labels
     in the page's language (the IRI stays in the tooltip).
   - Errors: a parser error reads as a sentence with its line and column and a button that puts the
     cursor there; the endpoint's JSON is shown only as the parser's own message.
   - Accessibility: YASGUI's unlabelled inputs get labels in the page's language. */
(function () {
  "use strict";

  var element = document.getElementById("yasgui");
  var words = {};
  var lang = "en";
  var base = "";
  var labelCache = {};

  function say(key, values) {
    var text = words[key] || key;
    Object.keys(values || {}).forEach(function (name) { text = text.replace("{" + name + "}", values[name]); });
    return text;
  }

  /* Our IRIs → our pages: …/id/<key> → /page/<key>, anything else under the base → the same path here. */
  function localPath(iri) {
    if (!base || iri.indexOf(base) !== 0) { return null; }
    var rest = iri.slice(base.length);
    if (rest.indexOf("id/") === 0) { return "/page/" + rest.slice(3); }
    return "/" + rest;
  }

  function pickLabel(values) {
    var order = [lang, "en", "de", ""];
    for (var i = 0; i < order.length; i += 1) {
      for (var j = 0; j < values.length; j += 1) {
        if ((values[j].lang || "") === order[i]) { return values[j].text; }
      }
    }
    return values.length ? values[0].text : null;
  }

  function fetchLabels(iris) {
    var missing = iris.filter(function (iri) { return !(iri in labelCache); }).slice(0, 500);
    if (!missing.length) { return Promise.resolve(); }
    var query = "SELECT ?s ?l WHERE { VALUES ?s { " +
      missing.map(function (iri) { return "<" + iri + ">"; }).join(" ") +
      " } ?s <http://www.w3.org/2000/01/rdf-schema#label> ?l }";
    var body = new URLSearchParams();
    body.set("query", query);
    return fetch(element.getAttribute("data-endpoint"), {
      method: "POST",
      headers: { Accept: "application/sparql-results+json" },
      body: body
    }).then(function (response) { return response.ok ? response.json() : { results: { bindings: [] } }; })
      .then(function (data) {
        var found = {};
        data.results.bindings.forEach(function (row) {
          (found[row.s.value] = found[row.s.value] || []).push({ text: row.l.value, lang: row.l["xml:lang"] || "" });
        });
        missing.forEach(function (iri) { labelCache[iri] = found[iri] ? pickLabel(found[iri]) : null; });
      })
      .catch(function () { missing.forEach(function (iri) { labelCache[iri] = null; }); });
  }

  function relinkResults(root) {
    var anchors = Array.prototype.slice.call(root.querySelectorAll("a.iri"));
    var ours = anchors.filter(function (a) { return localPath(a.getAttribute("href") || "") !== null; });
    anchors.forEach(function (a) { a.removeAttribute("target"); a.removeAttribute("ref"); });
    if (!ours.length) { return; }
    var iris = ours.map(function (a) { return a.getAttribute("href"); });
    fetchLabels(iris.filter(function (iri, i) { return iris.indexOf(iri) === i; })).then(function () {
      ours.forEach(function (a) {
        var iri = a.getAttribute("href");
        var label = labelCache[iri];
        a.setAttribute("href", localPath(iri));
        a.setAttribute("title", iri);
        if (label) { a.textContent = label; a.classList.add("labelled"); }
      });
    });
  }

  /* "the query does not parse: error at 7:47: expected …" → a sentence, a button, the parser's words. */
  function renderError(error) {
    var message = error && error.text ? String(error.text) : "";
    var hint = "";
    try {
      var parsed = JSON.parse(message);
      message = parsed.error || message;
      hint = parsed.hint || "";
    } catch (ignored) { /* not JSON: keep the text */ }
    var box = document.createElement("div");
    box.className = "friendly-error";
    box.setAttribute("role", "alert");
    var position = /error at (\d+):(\d+)/.exec(message);
    var heading = document.createElement("p");
    heading.className = "friendly-error-title";
    heading.textContent = position
      ? say("syntax", { line: position[1], column: position[2] })
      : say("failed") + (error && error.status ? " (" + error.status + ")" : "");
    box.appendChild(heading);
    if (position) {
      var go = document.createElement("button");
      go.type = "button";
      go.textContent = say("go_to");
      go.addEventListener("click", function () {
        var yasqe = window.blackjanuaryYasgui.getTab().getYasqe();
        yasqe.focus();
        yasqe.setCursor({ line: parseInt(position[1], 10) - 1, ch: Math.max(0, parseInt(position[2], 10) - 1) });
      });
      box.appendChild(go);
    }
    var detail = message.replace(/^.*?error at \d+:\d+:\s*/, "");
    if (detail) {
      var details = document.createElement("details");
      var summary = document.createElement("summary");
      summary.textContent = say("details");
      var pre = document.createElement("pre");
      pre.textContent = detail.length > 600 ? detail.slice(0, 600) + " …" : detail;
      details.appendChild(summary);
      details.appendChild(pre);
      if (!position) { details.open = true; }
      box.appendChild(details);
    }
    if (hint) {
      var p = document.createElement("p");
      p.textContent = say("hint") + ": " + hint;
      box.appendChild(p);
    }
    return Promise.resolve(box);
  }

  /* YASGUI's inputs without a label (tab names, endpoint, table filter, page size) get one; the tab list
     and the editor's scroll box get what axe-core asks of them. */
  function labelInputs(root) {
    var rules = [
      ["textarea", "editor"], [".tabName input, .tab input", "tab_name"],
      [".endpointText input, .autocomplete input, input.autocomplete", "endpoint"],
      ["input[type=search], .tableFilter, .dataTables_filter input", "search"],
      ["select.pageSizeSelect, .dataTables_length select, select", "page_size"]
    ];
    rules.forEach(function (rule) {
      root.querySelectorAll(rule[0]).forEach(function (input) {
        if (!input.getAttribute("aria-label") && !input.labels?.length) {
          input.setAttribute("aria-label", say(rule[1]));
        }
      });
    });
    /* YASGUI's own arrow-key order treats "+" as the last entry of the tab list: say so to assistive tech */
    root.querySelectorAll(".tabsList button.addTab").forEach(function (button) {
      if (button.getAttribute("role") !== "tab") {
        button.setAttribute("role", "tab");
        button.setAttribute("aria-selected", "false");
      }
    });
    /* the editor's scrolling box is reachable by keyboard (arrow keys scroll a long query) */
    root.querySelectorAll(".CodeMirror-scroll").forEach(function (box) {
      if (box.getAttribute("tabindex") !== "0") {  /* CodeMirror sets -1 */
        box.setAttribute("tabindex", "0");
        box.setAttribute("aria-label", say("editor"));
      }
    });
    root.querySelectorAll("input, select, textarea").forEach(function (input) {
      if (!input.getAttribute("aria-label") && !(input.labels && input.labels.length) && !input.id) {
        input.setAttribute("aria-label", say("control"));
      }
    });
  }

  function start(config) {
    /* Query the server that served this page (the CSP allows no other origin); ui-config.json names
       the configured public URL, which may be another name for this server. */
    var endpoint = new URL(element.getAttribute("data-endpoint") || config.endpoint, window.location.href).href;
    var yasgui = new Yasgui(element, {
      requestConfig: { endpoint: endpoint, method: "POST" },
      copyEndpointOnNewTab: true,
      endpointCatalogueOptions: { getData: function () { return [{ endpoint: endpoint }]; } },
      persistenceId: "blackjanuary-yasgui",
      tabName: say("query_tab"),
      yasqe: { value: config.defaultQuery },
      yasr: { errorRenderers: [renderError] }
    });
    function watch(tab) {
      var yasr = tab.getYasr && tab.getYasr();
      if (yasr && !yasr.blackjanuaryWatched) {
        yasr.blackjanuaryWatched = true;
        yasr.config.errorRenderers = [renderError];
        yasr.on("drawn", function () { relinkResults(yasr.resultsEl); labelInputs(element); });
      }
      labelInputs(element);
    }
    watch(yasgui.getTab());
    yasgui.on("tabSelect", function (instance, id) { setTimeout(function () { watch(yasgui.getTab(id)); }, 0); });
    yasgui.on("tabAdd", function () { setTimeout(function () { watch(yasgui.getTab()); }, 0); });
    var form = document.querySelector("form.examples");
    if (form) {
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        var select = form.querySelector("select");
        var tab = yasgui.getTab();
        watch(tab);
        tab.setQuery(select.value);
        tab.query();
      });
    }
    var initial = element.getAttribute("data-initial-query");
    if (initial) {  /* a link to /sparql?query=…: open that query in a fresh tab and run it */
      var fresh = yasgui.addTab(true, { name: say("linked") });
      watch(fresh);
      fresh.setQuery(initial);
      fresh.query();
    }
    new MutationObserver(function () { labelInputs(element); }).observe(element, { childList: true, subtree: true });
    window.blackjanuaryYasgui = yasgui;
  }

  function init() {
    if (!element || typeof Yasgui === "undefined") { return; }
    try { words = JSON.parse(element.getAttribute("data-words") || "{}"); } catch (ignored) { words = {}; }
    lang = element.getAttribute("data-lang") || "en";
    base = element.getAttribute("data-base") || "";
    fetch(element.getAttribute("data-config-url"), { headers: { Accept: "application/json" } })
      .then(function (response) { return response.json(); })
      .then(start)
      .catch(function (error) { element.textContent = say("start_failed") + ": " + error; });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
}());
