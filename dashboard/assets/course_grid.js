/* Cell renderers of the Course page's at-risk grid (dash-ag-grid finds them by name). Drawn here,
   offline: a learner link, the risk trajectory as a small SVG line, the change as a coloured arrow. */
var courseGridFunctions = (window.dashAgGridComponentFunctions = window.dashAgGridComponentFunctions || {});

courseGridFunctions.CourseLearnerLink = function (props) {
  if (!props.data) {
    return null;
  }
  return React.createElement(
    "a",
    { href: "/enrollment?id=" + encodeURIComponent(props.data.enrollment), className: "course-learner-link" },
    props.value
  );
};

courseGridFunctions.CourseSparkline = function (props) {
  if (!props.data) {
    return null;
  }
  var values = props.data.trajectory_values || [];
  var width = 72;
  var height = 22;
  var pad = 3;
  var step = values.length > 1 ? (width - 2 * pad) / (values.length - 1) : 0;
  var points = [];
  var last = null;
  values.forEach(function (value, index) {
    if (value === null || value === undefined) {
      return;
    }
    var x = values.length > 1 ? pad + index * step : width / 2;
    var y = pad + (1 - value) * (height - 2 * pad);
    points.push(x.toFixed(1) + "," + y.toFixed(1));
    last = [x, y];
  });
  var children = [
    React.createElement("title", { key: "t" }, "Risk at each checkpoint: " + props.value),
    React.createElement("polyline", {
      key: "l",
      points: points.join(" "),
      fill: "none",
      stroke: "#6c757d",
      strokeWidth: 1.5,
    }),
  ];
  if (last) {
    children.push(React.createElement("circle", { key: "c", cx: last[0], cy: last[1], r: 2.5, fill: "#c62828" }));
  }
  return React.createElement(
    "span",
    { className: "course-sparkline", "data-values": props.value },
    React.createElement(
      "svg",
      { width: width, height: height, viewBox: "0 0 " + width + " " + height, role: "img", "aria-label": props.value },
      children
    )
  );
};

courseGridFunctions.CourseChange = function (props) {
  if (!props.data) {
    return null;
  }
  var colours = { up: "text-danger", down: "text-success", same: "text-muted", new: "text-muted" };
  return React.createElement(
    "span",
    { className: "course-change " + (colours[props.data.change_direction] || "") },
    props.value
  );
};

/* The learner column as wide as the longest reference drawn, each time the grid draws rows: a
   reference cut off with an ellipsis cannot be told from its neighbours. */
window.courseGridFitLearners = function (gridId) {
  window.dash_ag_grid.getApiAsync(gridId).then(function (api) {
    if (api.__learnersFitted) {
      return;
    }
    api.__learnersFitted = true;
    api.addEventListener("modelUpdated", function () {
      api.autoSizeColumns(["learner"]);
    });
    api.autoSizeColumns(["learner"]);
  });
};
