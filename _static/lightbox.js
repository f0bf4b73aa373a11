// Tap a figure to see it at its full resolution (scroll to pan, tap again to close). Offline: the
// image is the page's own, no library is loaded. On a phone, a figure scaled to the screen is too
// small to read; at full size its text has the size the figure check guarantees at 740 px.
document.addEventListener("DOMContentLoaded", function () {
  var box = document.createElement("div");
  box.id = "dp-lightbox";
  box.setAttribute("role", "dialog");
  box.setAttribute("aria-label", "figure at full size; tap to close");
  var big = document.createElement("img");
  box.appendChild(big);
  document.body.appendChild(box);
  box.addEventListener("click", function () { box.classList.remove("open"); });
  document.addEventListener("keydown", function (e) { if (e.key === "Escape") box.classList.remove("open"); });
  document.querySelectorAll("figure img, .cell_output img").forEach(function (img) {
    img.addEventListener("click", function () {
      big.src = img.currentSrc || img.src;
      big.alt = img.alt;
      // the figure's full size in CSS pixels: the PNG is drawn at 2x (book.figure sets 192 dpi)
      big.style.width = img.naturalWidth / 2 + "px";
      box.classList.add("open");
    });
  });
});
