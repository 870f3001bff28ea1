/* Fixes to Dash's own components that axe-core finds (WCAG 2.1 AA), applied as they are drawn.
   - dcc.Dropdown (Dash 4) takes Tab on a hidden input (aria-hidden, yet focusable) that hands focus on
     to its button: give Tab to the button itself, which the dropdown's <label for> names.
   - dcc.Upload's file input has no name: name it by the drop zone's own words.
   - A Plotly chart is a figure named by its title; an AG Grid is named by the heading above it. */
(function () {
  function fix() {
    document.querySelectorAll('.dash-dropdown-focus-target[tabindex="0"]').forEach(function (target) {
      target.setAttribute("tabindex", "-1");
      var button = target.parentElement && target.parentElement.querySelector("button");
      if (button && !button.disabled) {
        button.setAttribute("tabindex", "0");
      }
    });
    document.querySelectorAll('input[type="file"]:not([aria-label])').forEach(function (input) {
      var zone = input.parentElement;
      var words = zone ? zone.innerText.trim() : "";
      input.setAttribute("aria-label", words || "Choose a file");
    });
  }
  function headingBefore(element) {
    for (var node = element; node && node !== document.body; node = node.parentElement) {
      for (var sibling = node.previousElementSibling; sibling; sibling = sibling.previousElementSibling) {
        var heading = sibling.matches("h1, h2, h3, h4, h5, h6") ? sibling : sibling.querySelector("h2, h3, h4, h5, h6");
        if (heading && heading.innerText.trim()) {
          return heading.innerText.trim();
        }
      }
    }
    return "";
  }

  function nameCharts() {
    document.querySelectorAll(".dash-graph").forEach(function (graph) {
      var title = graph.querySelector(".gtitle");
      var words = title ? title.textContent.trim() : headingBefore(graph);
      var name = "Chart" + (words ? ": " + words : "");
      if (graph.getAttribute("aria-label") !== name) {
        graph.setAttribute("role", "figure");
        graph.setAttribute("aria-label", name);
      }
    });
    document.querySelectorAll('.ag-root[role="grid"], .ag-root [role="grid"], [role="treegrid"]').forEach(function (grid) {
      if (!grid.getAttribute("aria-label")) {
        var words = headingBefore(grid.closest(".ag-theme-alpine, .ag-theme-quartz, [class*='ag-theme']") || grid);
        grid.setAttribute("aria-label", words ? "Table: " + words : "Table");
      }
    });
  }

  var queued = false;
  function schedule() {
    if (!queued) {
      queued = true;
      window.requestAnimationFrame(function () {
        queued = false;
        fix();
        nameCharts();
      });
    }
  }
  new MutationObserver(schedule).observe(document.documentElement, {
    subtree: true,
    childList: true,
    attributes: true,
    attributeFilter: ["tabindex"],
  });
})();
