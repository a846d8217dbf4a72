"""Compare two eval reports: the difference in success and whether it is more than chance."""
from __future__ import annotations

from typing import Any

from .stats import mcnemar_exact, two_proportion


def _by_item(report: dict[str, Any]) -> dict[tuple[str, int], bool]:
    return {(i["id"], i.get("sample", 0)): bool(i["passed"]) for i in report["items"]}


def compare(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """Paired when the runs hold the same items (exact McNemar on the items that changed), else a
    two-proportion z test on the overall rates.  Per category, the same choice."""
    out = {"old": old["overall"], "new": new["overall"], "overall": _test(old["items"], new["items"]),
           "categories": {}}
    for cat in sorted({i["category"] for i in old["items"]} | {i["category"] for i in new["items"]}):
        a = [i for i in old["items"] if i["category"] == cat]
        b = [i for i in new["items"] if i["category"] == cat]
        out["categories"][cat] = _test(a, b)
    return out


def _test(a: list[dict], b: list[dict]) -> dict[str, Any]:
    ka, na = sum(i["passed"] for i in a), len(a)
    kb, nb = sum(i["passed"] for i in b), len(b)
    old, new = _by_item({"items": a}), _by_item({"items": b})
    shared = old.keys() & new.keys()
    res: dict[str, Any] = {"old": f"{ka}/{na}", "new": f"{kb}/{nb}",
                           "delta": round((kb / nb if nb else 0) - (ka / na if na else 0), 4)}
    if shared and old.keys() == new.keys():  # the same items (and samples): paired
        gained = sum(1 for key in shared if new[key] and not old[key])
        lost = sum(1 for key in shared if old[key] and not new[key])
        res.update(test="mcnemar_exact", paired=len(shared), gained=gained, lost=lost, p=round(mcnemar_exact(gained, lost), 4))
    else:
        z, p = two_proportion(ka, na, kb, nb)
        res.update(test="two_proportion_z", z=round(z, 3), p=round(p, 4))
    res["significant"] = res["p"] < 0.05
    return res


def markdown(c: dict[str, Any], old_name: str, new_name: str) -> str:
    o = c["overall"]
    word = "a significant" if o["significant"] else "no significant"
    lines = [f"## {new_name} against {old_name}", "",
             f"{o['old']} → {o['new']} (Δ {o['delta']:+.0%}): {word} difference at 5% ({o['test']}, p = {o['p']:.3g}"
             + (f"; {o['gained']} items gained, {o['lost']} lost" if o["test"] == "mcnemar_exact" else "") + ").", "",
             "| category | old | new | Δ | test | p |", "|---|---|---|---|---|---|"]
    for cat, r in c["categories"].items():
        lines.append(f"| {cat} | {r['old']} | {r['new']} | {r['delta']:+.0%} | {r['test']} | {r['p']:.3g}"
                     f"{' *' if r['significant'] else ''} |")
    return "\n".join(lines) + "\n"
