// Corner Shop demo: a fixed catalogue and a cart kept in localStorage (per browser context).
const PRODUCTS = [
  {id: "mug", name: "Blue mug", price: 8.5},
  {id: "tea", name: "Green tea, 50 bags", price: 4.25},
  {id: "lamp", name: "Desk lamp", price: 23.0},
  {id: "pen", name: "Fountain pen", price: 15.75},
];
function cart() { try { return JSON.parse(localStorage.getItem("cart") || "{}"); } catch (e) { return {}; } }
function saveCart(c) { localStorage.setItem("cart", JSON.stringify(c)); }
function cartCount() { return Object.values(cart()).reduce((a, b) => a + b, 0); }
function money(x) { return "$" + x.toFixed(2); }
