// Walks the page in reading order: visible text lines and interactive elements, each element
// tagged with a stable index in a per-owner data attribute. Called by snapshot.collect().
(args) => {
  const ATTR = args.attr;
  let next = args.next;
  let fresh = false;
  if (!window[args.docKey]) { window[args.docKey] = 1; fresh = true; }
  const INTERACTIVE = 'a[href],button,input,select,textarea,summary,[role=button],[role=link],[role=checkbox],' +
    '[role=radio],[role=tab],[role=menuitem],[role=option],[role=switch],[role=combobox],[role=textbox],' +
    '[contenteditable=""],[contenteditable=true],[onclick]';
  const SKIP = new Set(["SCRIPT", "STYLE", "NOSCRIPT", "TEMPLATE", "HEAD", "META", "LINK", "TITLE"]);
  const MAX_ITEMS = args.maxItems;
  const items = [];
  const seen = new Set();
  let line = [], lineY = null;
  const sy = window.scrollY;

  const clip = (s, n) => { s = (s || "").replace(/\s+/g, " ").trim(); return s.length > n ? s.slice(0, n - 1) + "…" : s; };
  function flush() {
    const t = line.join("").replace(/\s+/g, " ").trim();
    if (t) items.push({k: "text", text: t, y: lineY || 0});
    line = []; lineY = null;
  }
  function shown(el) {
    if (el.checkVisibility && !el.checkVisibility({checkOpacity: true, checkVisibilityCSS: true})) return false;
    return true;
  }
  function onPage(el) {
    const r = el.getBoundingClientRect();
    return r.width > 0 && r.height > 0 && r.right > 0 && r.bottom + sy > 0;
  }
  function name(el) {
    const aria = el.getAttribute("aria-label");
    if (aria) return aria;
    const by = el.getAttribute("aria-labelledby");
    if (by) { const t = by.split(/\s+/).map(id => document.getElementById(id)).filter(Boolean).map(e => e.innerText).join(" "); if (t.trim()) return t; }
    const tag = el.tagName;
    if (tag === "INPUT" || tag === "SELECT" || tag === "TEXTAREA") {
      if (el.labels && el.labels.length) {
        const l = el.labels[0].cloneNode(true);
        l.querySelectorAll("input,select,textarea,option").forEach(e => e.remove());
        if (l.textContent.trim()) return l.textContent;
      }
      if (tag === "INPUT" && ["submit", "button", "reset"].includes(el.type)) return el.value;
      return el.getAttribute("placeholder") || el.getAttribute("title") || "";
    }
    const t = el.innerText || el.textContent || "";
    if (t.trim()) return t;
    const img = el.querySelector("img[alt]");
    return (img && img.alt) || el.getAttribute("title") || "";
  }
  function kind(el) {
    const tag = el.tagName, role = el.getAttribute("role");
    if (tag === "A") return "link";
    if (tag === "BUTTON" || tag === "SUMMARY") return "button";
    if (tag === "SELECT") return "select";
    if (tag === "TEXTAREA") return "textarea";
    if (tag === "INPUT") {
      const t = el.type;
      if (["submit", "button", "reset", "image"].includes(t)) return "button";
      if (t === "checkbox" || t === "radio") return t;
      return "input";
    }
    if (role) return role;
    if (el.isContentEditable) return "textbox";
    return "clickable";
  }
  function describe(el) {
    let idx = el.getAttribute(ATTR);
    if (idx === null || seen.has(idx) || !/^\d+$/.test(idx)) { idx = String(next++); el.setAttribute(ATTR, idx); }
    seen.add(idx);
    const k = kind(el);
    const d = {k: "el", index: Number(idx), kind: k, label: clip(name(el), 100),
               y: el.getBoundingClientRect().top + sy, disabled: !!el.disabled};
    if (el.getAttribute("name")) d.name = clip(el.getAttribute("name"), 40);
    if (k === "link") d.href = el.href;
    if (k === "input" || k === "textarea") {
      d.value = el.type === "password" ? "•".repeat(Math.min(el.value.length, 8)) : clip(el.value, 100);
      if (el.type && !["text", "textarea"].includes(el.type)) d.type = el.type;
      const ph = el.getAttribute("placeholder");
      if (ph && ph !== name(el)) d.placeholder = clip(ph, 40);
    }
    if (k === "checkbox" || k === "radio") { d.checked = el.checked; if (el.value && el.value !== "on") d.value = clip(el.value, 40); }
    if (k === "select") {
      d.options = Array.from(el.options).slice(0, 25).map(o => clip(o.text, 40));
      if (el.options.length > 25) d.options.push(`… ${el.options.length - 25} more`);
      d.value = el.selectedIndex >= 0 ? clip(el.options[el.selectedIndex].text, 40) : "";
    }
    return d;
  }
  function walk(node) {
    for (const child of node.childNodes) {
      if (items.length >= MAX_ITEMS) return;
      if (child.nodeType === 3) {
        const t = child.textContent;
        if (t.trim()) {
          if (lineY === null && child.parentElement) lineY = child.parentElement.getBoundingClientRect().top + sy;
          line.push(t);
        }
        continue;
      }
      if (child.nodeType !== 1) continue;
      const el = child;
      if (SKIP.has(el.tagName) || !shown(el)) continue;
      if (el.matches(INTERACTIVE) && !(el.tagName === "INPUT" && el.type === "hidden")) {
        if (onPage(el)) { flush(); items.push(describe(el)); }
        continue;
      }
      if (el.tagName === "IFRAME" || el.tagName === "FRAME") {
        if (onPage(el)) { flush(); items.push({k: "frame", src: el.src, y: el.getBoundingClientRect().top + sy}); }
        continue;
      }
      const disp = getComputedStyle(el).display;
      const block = !disp.startsWith("inline") && disp !== "contents";
      if (block || el.tagName === "BR") flush();
      if (el.tagName === "BR") continue;
      walk(el.shadowRoot || el);
      if (block) flush();
    }
  }
  if (document.body) walk(document.body);
  flush();
  return {title: document.title, url: location.href, fresh: fresh, next: next, items: items,
          more: items.length >= MAX_ITEMS, scrollY: sy, viewport: window.innerHeight,
          height: document.documentElement.scrollHeight};
}
