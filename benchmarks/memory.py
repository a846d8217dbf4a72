"""Memory benchmark: embedding throughput, recall latency and recall@5 at 10k/100k items, eviction cost."""
from __future__ import annotations

import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a script: python benchmarks/memory.py
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np

SUBJECTS = ["my sister", "the landlord", "our team lead", "the dentist", "a neighbour", "the plumber", "my manager",
            "the bank", "the school", "my cousin", "the airline", "the doctor", "our accountant", "the gym",
            "the library", "my friend Sam", "the council", "the vet", "the garage", "the nursery"]
VERBS = ["called about", "emailed about", "asked about", "complained about", "reminded me about", "wrote about",
         "changed", "cancelled", "rescheduled", "confirmed", "paid for", "forgot about", "mentioned", "approved"]
OBJECTS = ["the invoice", "the appointment", "the parking permit", "the birthday dinner", "the quarterly report",
           "the roof repair", "the insurance claim", "the flight to Madrid", "the school trip", "the lease renewal",
           "the broken boiler", "the team offsite", "the tax return", "the car service", "the concert tickets",
           "the wedding gift", "the gym membership", "the new laptop", "the garden fence", "the phone contract",
           "the hotel booking", "the train pass", "the dog's vaccination", "the kitchen tiles", "the book club"]
TIMES = ["on Monday", "yesterday", "last week", "this morning", "on Friday afternoon", "in March", "at noon",
         "two days ago", "tonight", "over the weekend", "before lunch", "after the meeting"]
DETAILS = ["and it costs {n} euros", "and the reference is {n}", "with {n} people involved", "for {n} minutes",
           "and wants an answer by the {d}th", "and said it is urgent", "but nothing is decided", "again"]

FACTS = [  # (planted fact, a query that paraphrases it)
    ("The wifi password at the beach house is heliotrope-88.", "what's the beach house wifi password?"),
    ("My passport number is X7Q-4410 and it expires in March 2031.", "when does my passport expire?"),
    ("The spare key is hidden under the blue flowerpot by the back door.", "where is the spare key?"),
    ("Ann is allergic to peanuts and carries an epipen.", "does Ann have any food allergies?"),
    ("I prefer aisle seats on long-haul flights.", "which seat should I book on the plane?"),
    ("The storage unit combination is 3-19-27.", "code for the storage unit lock"),
    ("Grandma's birthday is on the 14th of August.", "when is grandma's birthday?"),
    ("Our home insurance policy number is HX-99812-B with Lumen Mutual.", "home insurance policy number"),
    ("The bike lock code is 5521.", "what is the code of my bicycle lock?"),
    ("Tom takes his coffee black with no sugar.", "how does Tom like his coffee?"),
    ("The car is due for its MOT inspection on 2 November.", "when is the car inspection due?"),
    ("The cat's vet is Dr. Okafor at Riverside Animal Clinic.", "who is the cat's veterinarian?"),
    ("My blood type is O negative.", "what blood type am I?"),
    ("The router admin login is admin / marigold42.", "router administrator password"),
    ("Lena's shoe size is 38.", "what size shoes does Lena wear?"),
    ("The office door code changed to 7788 in September.", "what is the new office door code?"),
    ("I am vegetarian but eat fish occasionally.", "what are my dietary restrictions?"),
    ("The piano tuner comes every six months, next in May.", "when is the piano tuner coming next?"),
    ("Our wedding anniversary is on the 3rd of June.", "when is our wedding anniversary?"),
    ("The boiler model is Vaillant ecoTEC plus 832.", "which boiler model do we have?"),
]


def corpus(n: int, seed: int = 1) -> list[str]:
    """``n`` distinct everyday distractor sentences (deterministic)."""
    rng = random.Random(seed)
    out, seen = [], set()
    while len(out) < n:
        s = (f"{rng.choice(SUBJECTS).capitalize()} {rng.choice(VERBS)} {rng.choice(OBJECTS)} {rng.choice(TIMES)} "
             + rng.choice(DETAILS).format(n=rng.randint(2, 9999), d=rng.randint(1, 28)) + ".")
        if s not in seen:
            seen.add(s)
            out.append(s)
    return out


def pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


def bench_embedding(n: int = 2000, threads: int | None = None) -> dict:
    from drivers.vectors import OfflineEmbedding

    e = OfflineEmbedding(threads=threads)
    texts = corpus(n, seed=99)
    e.embed(texts[:32])  # load and warm up
    t = time.perf_counter()
    e.embed(texts)
    dt = time.perf_counter() - t
    return {"sentences": n, "threads": e.threads, "sentences_per_s": round(n / dt, 1)}


def bench_recall(sizes=(10_000, 100_000), queries: int = 200, workdir: str | None = None,
                 threads: int | None = None) -> dict:
    """Build a store of each size (facts planted among distractors, embeddings computed once
    and reused), then time ``queries`` end-to-end queries (query embedding + search)."""
    from drivers.vectors import Item, OfflineEmbedding, VectorStore

    work = Path(workdir or tempfile.mkdtemp(prefix="llmos-bench-mem-"))
    e = OfflineEmbedding(threads=threads)
    biggest = max(sizes)
    texts = corpus(biggest - len(FACTS))
    cache = work / f"emb-{biggest}.npy"
    t = time.perf_counter()
    if cache.exists():
        vecs = np.load(cache)
        embed_s = None
    else:
        vecs = e.embed(texts)
        np.save(cache, vecs)
        embed_s = time.perf_counter() - t
    fact_vecs = e.embed([f for f, _ in FACTS])
    out = {"embed_corpus_s": round(embed_s, 1) if embed_s else "cached", "sizes": {}}
    rng = random.Random(5)
    for size in sorted(sizes):
        n = size - len(FACTS)
        slots = sorted(rng.sample(range(n), len(FACTS)))  # where each fact goes among the distractors
        store = VectorStore(work / f"store-{size}", embedding=e)
        name = "user:bench"
        t = time.perf_counter()
        if store.count(name) != size:
            store.drop(name)
            items = [Item(f"d{i}", texts[i], {"kind": "fact", "pid": 0}) for i in range(n)]
            embs = list(vecs[:n])
            for j, (i, (fact, _)) in enumerate(zip(slots, FACTS)):
                items.insert(i + j, Item(f"fact{j}", fact, {"kind": "preference", "pid": 0}))
                embs.insert(i + j, fact_vecs[j])
            store.add(name, items, embeddings=embs)
        build_s = time.perf_counter() - t
        qs = [q for _, q in FACTS] + [t_ for t_ in rng.sample(texts[:n], max(0, queries - len(FACTS)))]
        store.query(name, qs[0], 5)  # warm
        lat, found = [], 0
        for qi, q in enumerate(qs):
            t = time.perf_counter()
            hits = store.query(name, q, 5)
            lat.append((time.perf_counter() - t) * 1000)
            if qi < len(FACTS) and f"fact{qi}" in [h.id for h in hits]:
                found += 1
        # the baseline, measured alongside: exact search (embed the query, score every vector in numpy)
        mat = np.vstack([vecs[:n], fact_vecs])
        fact_rows = set(range(n, n + len(FACTS)))
        exact_lat, exact_found = [], 0
        for qi, q in enumerate(qs):
            t = time.perf_counter()
            top = np.argpartition(-(mat @ e.embed([q])[0]), 5)[:5]
            exact_lat.append((time.perf_counter() - t) * 1000)
            if qi < len(FACTS) and n + qi in set(top.tolist()) & fact_rows:
                exact_found += 1
        out["sizes"][size] = {
            "items": store.count(name), "build_s": round(build_s, 1), "queries": len(qs),
            "query_p50_ms": round(statistics.median(lat), 2), "query_p95_ms": round(pct(lat, 95), 2),
            "recall_at_5": round(found / len(FACTS), 3),
            "exact_p50_ms": round(statistics.median(exact_lat), 2),
            "exact_recall_at_5": round(exact_found / len(FACTS), 3)}
        store.close()
    out["workdir"] = str(work)
    return out


def bench_eviction(pages: int = 300, limit: int = 400, workdir: str | None = None) -> dict:
    """Cost of evicting a page to the real disk (embedding + chromadb write), per page."""
    from drivers.vectors import VectorStore
    from kernel.memory import MemoryRegistry, Page

    work = Path(workdir or tempfile.mkdtemp(prefix="llmos-bench-evict-"))
    store = VectorStore(work / "evict")
    svc = MemoryRegistry(store, kernel_id="bench")
    pm = svc.open(1, app="bench", user="u", limit=limit, count_tokens=lambda s: len(s.split()),
                  system="You are a benchmark.")
    texts = corpus(pages, seed=3)
    with_evict, without = [], []  # (seconds, pages evicted) per add
    for text in texts:
        before = pm.context.stats()["evicted_pages"]
        t = time.perf_counter()
        pm.add(Page(text=text))
        dt = time.perf_counter() - t
        n = pm.context.stats()["evicted_pages"] - before
        (with_evict if n else without).append((dt, n))
    store.close()
    ev_s, ev_n = sum(d for d, _ in with_evict), sum(n for _, n in with_evict)
    return {"pages_added": pages, "adds_that_evicted": len(with_evict), "pages_evicted": ev_n,
            "ms_per_evicted_page": round(ev_s / max(1, ev_n) * 1000, 2),
            "evicting_add_p50_ms": round(statistics.median(d for d, _ in with_evict) * 1000, 2) if with_evict else None,
            "add_without_eviction_p50_ms": round(statistics.median(d for d, _ in without) * 1000, 3) if without else None}


def _safetensors(path: str) -> dict[str, np.ndarray]:
    import struct

    raw = Path(path).read_bytes()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    out = {}
    for key, v in header.items():
        if key != "__metadata__" and v["dtype"] == "F32":
            a, b = v["data_offsets"]
            out[key.removeprefix("bert.")] = np.frombuffer(raw[8 + n + a:8 + n + b], np.float32).reshape(v["shape"])
    return out


def _bert_fp32(w: dict[str, np.ndarray], ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """all-MiniLM-L6-v2 in plain numpy (6 layers, 12 heads, GELU), mean-pooled and normalised."""
    from math import erf

    verf = np.vectorize(erf, otypes=[np.float32])

    def ln(x, name):
        m = x.mean(-1, keepdims=True)
        return (x - m) / np.sqrt(((x - m) ** 2).mean(-1, keepdims=True) + 1e-12) * w[name + ".weight"] + w[name + ".bias"]

    B, T = ids.shape
    x = (w["embeddings.word_embeddings.weight"][ids] + w["embeddings.position_embeddings.weight"][:T][None]
         + w["embeddings.token_type_embeddings.weight"][0])
    x = ln(x, "embeddings.LayerNorm")
    bias = (1.0 - mask[:, None, None, :]) * -1e9
    for layer in range(6):
        p = f"encoder.layer.{layer}."

        def lin(h, name, p=p):
            return h @ w[p + name + ".weight"].T + w[p + name + ".bias"]

        q, k, v = (lin(x, f"attention.self.{n}").reshape(B, T, 12, 32).transpose(0, 2, 1, 3)
                   for n in ("query", "key", "value"))
        a = q @ k.transpose(0, 1, 3, 2) / np.sqrt(32) + bias
        a = np.exp(a - a.max(-1, keepdims=True))
        a /= a.sum(-1, keepdims=True)
        ctx = (a @ v).transpose(0, 2, 1, 3).reshape(B, T, 384)
        x = ln(x + lin(ctx, "attention.output.dense"), p + "attention.output.LayerNorm")
        h = lin(x, "intermediate.dense")
        x = ln(x + lin(0.5 * h * (1 + verf(h / np.sqrt(2))), "output.dense"), p + "output.LayerNorm")
    m = mask[..., None]
    pooled = (x * m).sum(1) / m.sum(1)
    return pooled / np.linalg.norm(pooled, axis=1, keepdims=True)


def verify_fp32(safetensors_path: str, docs: int = 1000, queries: int = 30) -> dict:
    """Compare the int8 model with the original fp32 weights (a ``model.safetensors`` of
    sentence-transformers/all-MiniLM-L6-v2, sha256 53aa5117...): per-vector cosine and
    top-1/top-5 agreement of rankings.  One-off check; the fp32 file is not a dependency."""
    from drivers.vectors import OfflineEmbedding

    w = _safetensors(safetensors_path)
    e = OfflineEmbedding()
    tok, _ = e._ensure()

    def fp32(texts):
        out = []
        for i in range(0, len(texts), 16):
            enc = tok.encode_batch(texts[i:i + 16])
            out.append(_bert_fp32(w, np.array([x.ids for x in enc]),
                                  np.array([x.attention_mask for x in enc], dtype=np.float32)))
        return np.concatenate(out)

    d = corpus(docs, seed=11) + [f for f, _ in FACTS]
    q = [q for _, q in FACTS] + corpus(queries, seed=12)
    d32, q32, d8, q8 = fp32(d), fp32(q), e.embed(d), e.embed(q)
    cos = (d32 * d8).sum(1)
    t32, t8 = np.argsort(-(q32 @ d32.T), 1)[:, :5], np.argsort(-(q8 @ d8.T), 1)[:, :5]
    return {"docs": len(d), "queries": len(q), "cosine_min": round(float(cos.min()), 4),
            "cosine_mean": round(float(cos.mean()), 4), "top1_agreement": round(float(np.mean(t32[:, 0] == t8[:, 0])), 3),
            "top5_overlap": round(float(np.mean([len(set(a) & set(b)) / 5 for a, b in zip(t32, t8)])), 3)}


def run(sizes=(10_000, 100_000), workdir: str | None = None) -> dict:
    """Everything, as one dict (``make bench`` can dump it as JSON)."""
    started = time.time()
    res = {"embedding": bench_embedding(), "embedding_2_threads": bench_embedding(threads=2),
           "eviction": bench_eviction(workdir=workdir), "recall": bench_recall(sizes, workdir=workdir),
           "cpus": os.cpu_count()}
    res["wall_s"] = round(time.time() - started, 1)
    return res


def section(console=None) -> tuple[dict, str]:
    """``make bench``'s memory section: 10k items by default; ``LLMOS_BENCH_MEMORY_SIZES=10000,100000``
    adds the 100k case (its corpus is embedded once and cached in ``LLMOS_BENCH_MEMORY_DIR``,
    default ``~/.cache/llmos/bench-memory``).  Returns the raw numbers and a markdown table."""
    sizes = tuple(int(x) for x in os.environ.get("LLMOS_BENCH_MEMORY_SIZES", "10000").split(","))
    work = Path(os.environ.get("LLMOS_BENCH_MEMORY_DIR") or Path.home() / ".cache" / "llmos" / "bench-memory")
    work.mkdir(parents=True, exist_ok=True)
    res = run(sizes, workdir=str(work))
    ev, e1, e2 = res["eviction"], res["embedding"], res["embedding_2_threads"]
    rows = [("embedding, 1 thread (sentences/s)", f"{e1['sentences_per_s']}", "baseline"),
            ("embedding, 2 threads (sentences/s)", f"{e2['sentences_per_s']}",
             f"{e2['sentences_per_s'] / e1['sentences_per_s']:.2f}x 1 thread")]
    for size, r in sorted(res["recall"]["sizes"].items()):
        rows += [(f"recall query p50 / p95 at {size:,} items (ms)", f"{r['query_p50_ms']} / {r['query_p95_ms']}",
                  f"{r['query_p50_ms'] / r['exact_p50_ms']:.2f}x exact search ({r['exact_p50_ms']} ms)"),
                 (f"recall@5 at {size:,} items (20 planted facts)", f"{r['recall_at_5']}",
                  f"exact search: {r['exact_recall_at_5']}")]
    rows += [("eviction, per evicted page (ms)", f"{ev['ms_per_evicted_page']}",
              f"{ev['ms_per_evicted_page'] / max(ev['add_without_eviction_p50_ms'] or 0.001, 0.001):.0f}x an add "
              f"that evicts nothing ({ev['add_without_eviction_p50_ms']} ms)")]
    if console is not None:
        from rich.table import Table
        t = Table(title="Memory: embedding, recall, eviction")
        for c in ("measure", "value", "ratio"):
            t.add_column(c)
        for row in rows:
            t.add_row(*row)
        console.print(t)
    md = "\n".join(["| measure | value | ratio |", "|---|---|---|"] + [f"| {a} | {b} | {c} |" for a, b, c in rows])
    return res, md


if __name__ == "__main__":
    sizes = tuple(int(s) for s in (sys.argv[1].split(",") if len(sys.argv) > 1 else ["10000", "100000"]))
    print(json.dumps(run(sizes, workdir=sys.argv[2] if len(sys.argv) > 2 else None), indent=2))
