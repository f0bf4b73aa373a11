// Click a column header of a table with class "sortable" to sort by it (again to reverse).
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("table.sortable").forEach(function (table) {
    var headers = table.querySelectorAll("thead th");
    headers.forEach(function (th, col) {
      th.style.cursor = "pointer";
      th.title = "click to sort";
      th.addEventListener("click", function () {
        var body = table.tBodies[0];
        var rows = Array.from(body.rows);
        var asc = th.dataset.order !== "asc";
        th.dataset.order = asc ? "asc" : "desc";
        var key = function (row) {
          var cell = row.cells[col];
          var text = cell ? cell.innerText.replace(/,/g, "") : "";
          var num = parseFloat(text);
          return isNaN(num) ? text.toLowerCase() : num;
        };
        rows.sort(function (a, b) {
          var x = key(a), y = key(b);
          if (typeof x !== typeof y) { x = String(x); y = String(y); }
          return (x < y ? -1 : x > y ? 1 : 0) * (asc ? 1 : -1);
        });
        rows.forEach(function (r) { body.appendChild(r); });
      });
    });
  });
});
