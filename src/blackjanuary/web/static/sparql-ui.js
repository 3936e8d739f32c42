/* The query UI: YASGUI on this endpoint, our prefixes, the competency questions as examples.
   No inline script (CSP): configuration comes from data- attributes and /sparql/ui-config.json. */
(function () {
  "use strict";

  function start(config) {
    var element = document.getElementById("yasgui");
    /* Query the server that served this page (the CSP allows no other origin); ui-config.json names
       the configured public URL, which may be another name for this server. */
    var endpoint = new URL(element.getAttribute("data-endpoint") || config.endpoint, window.location.href).href;
    var yasgui = new Yasgui(element, {
      requestConfig: { endpoint: endpoint, method: "POST" },
      copyEndpointOnNewTab: true,
      endpointCatalogueOptions: { getData: function () { return [{ endpoint: endpoint }]; } },
      persistenceId: "blackjanuary-yasgui",
      yasqe: { value: config.defaultQuery }
    });
    var byId = {};
    config.examples.forEach(function (example) { byId[example.id] = example; });
    document.querySelectorAll("button.example").forEach(function (button) {
      button.addEventListener("click", function () {
        var example = byId[button.getAttribute("data-example")];
        if (!example) { return; }
        var tab = yasgui.getTab();
        tab.setQuery(example.query);
        tab.query();
      });
    });
    var initial = element.getAttribute("data-initial-query");
    if (initial) {  /* a link to /sparql?query=…: open that query in a fresh tab and run it */
      var fresh = yasgui.addTab(true, { name: "Linked query" });
      fresh.setQuery(initial);
      fresh.query();
    }
    window.blackjanuaryYasgui = yasgui;
  }

  function init() {
    var element = document.getElementById("yasgui");
    if (!element || typeof Yasgui === "undefined") { return; }
    fetch(element.getAttribute("data-config-url"), { headers: { Accept: "application/json" } })
      .then(function (response) { return response.json(); })
      .then(start)
      .catch(function (error) { element.textContent = "The query UI could not start: " + error; });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
}());
