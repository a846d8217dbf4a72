// SkyLark demo airline: deterministic flight data and tiny helpers shared by its pages.
const AIRLINES = [["Aurora Air", "AU"], ["Blue Heron", "BH"], ["Cobalt Airways", "CB"], ["Eastwind", "EW"], ["Fjord Jet", "FJ"]];

function fnv(s) {
  let h = 2166136261;
  for (const c of String(s)) { h ^= c.charCodeAt(0); h = Math.imul(h, 16777619); }
  return h >>> 0;
}

function params() { return new URLSearchParams(location.search); }

function pad(n) { return String(n).padStart(2, "0"); }

function flightsFor(from, to, date) {
  const key = from.trim().toUpperCase() + "|" + to.trim().toUpperCase() + "|" + date.trim();
  const out = [];
  for (let i = 0; i < AIRLINES.length; i++) {
    const h = fnv(key + "#" + i);
    const dep = 6 * 60 + (i * 170 + (h % 60)) % (15 * 60);
    const stops = h % 3;
    const dur = 95 + (h % 120) + stops * 70;
    const arr = dep + dur;
    out.push({
      id: AIRLINES[i][1] + (100 + (h % 900)),
      airline: AIRLINES[i][0],
      depart: pad(Math.floor(dep / 60) % 24) + ":" + pad(dep % 60),
      arrive: pad(Math.floor(arr / 60) % 24) + ":" + pad(arr % 60),
      stops: stops,
      price: 89 + ((h >>> 8) % 380) + i,  // "+ i" keeps prices distinct
    });
  }
  return out;  // in departure-slot order, not by price
}

function stopsText(n) { return n === 0 ? "nonstop" : n + (n === 1 ? " stop" : " stops"); }

function bookingRef(p) {
  const alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
  let h = fnv([p.get("flight"), p.get("date"), p.get("seat"), p.get("from"), p.get("to")].join("|"));
  let ref = "";
  for (let i = 0; i < 6; i++) { ref += alphabet[h % alphabet.length]; h = Math.floor(h / alphabet.length) + fnv(ref); }
  return "SL-" + ref;
}

function carry(p, names) {
  return names.map(n => `<input type="hidden" name="${n}" value="${(p.get(n) || "").replace(/"/g, "&quot;")}">`).join("");
}
