// herstel report: draw every chart container of the page with vega-embed.
//
// A container names its template (`data-spec`, from charts.js) and its data group
// (`data-group`, from the page's JSON block). Templates hold no data and read the page's
// period from the parameters x_start / x_end, so one template serves every athlete.
// When all charts are drawn, <body data-charts="ready"> (or "error") tells a test or a
// screenshot tool that the page is complete; the views stay in window.herstelViews.
(function () {
  "use strict";
  var page = JSON.parse(document.getElementById("herstel-data").textContent);
  var lib = window.HERSTEL;
  var views = (window.herstelViews = {});
  var options = {
    actions: false,
    renderer: "svg",
    formatLocale: lib.locale.format,
    timeFormatLocale: lib.locale.time,
    tooltip: { theme: "light" },
  };

  // Frames travel as columns ({"$cols": {name: [values]}}); Vega-Lite wants rows.
  function rows(value) {
    if (!value || !value.$cols) return value;
    var cols = value.$cols;
    var names = Object.keys(cols);
    var n = names.length ? cols[names[0]].length : 0;
    var out = new Array(n);
    for (var i = 0; i < n; i++) {
      var row = {};
      for (var k = 0; k < names.length; k++) row[names[k]] = cols[names[k]][i];
      out[i] = row;
    }
    return out;
  }
  Object.keys(page.data).forEach(function (group) {
    var datasets = page.data[group];
    Object.keys(datasets).forEach(function (name) { datasets[name] = rows(datasets[name]); });
  });

  function specFor(el) {
    var template = lib.specs[el.dataset.spec];
    var spec = Object.assign({}, template, { datasets: page.data[el.dataset.group] });
    if (template.params) {
      spec.params = template.params.map(function (p) {
        return p.name in page.params ? Object.assign({}, p, { value: page.params[p.name] }) : p;
      });
    }
    return spec;
  }

  function draw(el) {
    return vegaEmbed(el, specFor(el), options)
      .then(function (result) {
        views[el.id] = result.view;
        el.dataset.drawn = "yes";
      })
      .catch(function (error) {
        el.dataset.drawn = "error";
        el.textContent = "This chart could not be drawn: " + error;
        console.error("herstel chart " + el.id + ":", error);
        throw error;
      });
  }

  var jobs = Array.prototype.map.call(document.querySelectorAll("[data-spec]"), draw);
  Promise.all(jobs).then(
    function () { document.body.dataset.charts = "ready"; },
    function () { document.body.dataset.charts = "error"; }
  );
})();
