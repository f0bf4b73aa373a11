// The WCAG contrast of every visible text of the page's main part (links, paragraphs, table cells,
// every output): its colour against the background it sits on (the ancestors' backgrounds composited,
// the page's at the bottom). Run by tests/test_browser.py in dark mode.
() => {
  const parse = (c) => { const m = c.match(/rgba?\(([^)]+)\)/); if (!m) return null;
    const v = m[1].split(/[ ,/]+/).filter(Boolean).map(Number); return [v[0], v[1], v[2], v.length > 3 ? v[3] : 1]; };
  const lum = ([r, g, b]) => { const f = (x) => { x /= 255; return x <= 0.03928 ? x / 12.92 : Math.pow((x + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b); };
  const background = (el) => { const layers = [];
    for (let e = el; e; e = e.parentElement) { const c = parse(getComputedStyle(e).backgroundColor);
      if (c && c[3] > 0) { layers.push(c); if (c[3] >= 1) break; } }
    let out = [255, 255, 255];
    if (!layers.length || layers[layers.length - 1][3] < 1) out = parse(getComputedStyle(document.body).backgroundColor) || out;
    for (let i = layers.length - 1; i >= 0; i--) { const [r, g, b, a] = layers[i]; out = [r * a + out[0] * (1 - a), g * a + out[1] * (1 - a), b * a + out[2] * (1 - a)]; }
    return out; };
  const describe = (el) => el.tagName.toLowerCase() + (el.className && typeof el.className === "string" ? "." + el.className.trim().split(/\s+/).join(".") : "");
  const out = [];
  const els = document.querySelectorAll("main a, main .cell_output *, main figcaption *, main p, main td, main th, main li");
  for (const el of els) {
    if (!el.checkVisibility()) continue;
    const own = [...el.childNodes].filter((n) => n.nodeType === 3 && n.textContent.trim()).map((n) => n.textContent.trim()).join(" ");
    if (!own) continue;
    const s = getComputedStyle(el); const fg = parse(s.color); if (!fg) continue;
    const bg = background(el);
    const f = [fg[0] * fg[3] + bg[0] * (1 - fg[3]), fg[1] * fg[3] + bg[1] * (1 - fg[3]), fg[2] * fg[3] + bg[2] * (1 - fg[3])];
    const [l1, l2] = [lum(f), lum(bg)].sort((a, b) => b - a);
    out.push({ sel: describe(el), fg: s.color, bg: "rgb(" + bg.map(Math.round).join(",") + ")", ratio: (l1 + 0.05) / (l2 + 0.05), text: own });
  }
  return out;
}
