"""Benchmark the keyword classifier: cold start, latency, throughput, memory.

    python bench/classifier.py [--repeat 20] [--runs 5]

* cold start — a fresh interpreter per run, timed from just before
  ``from nlp import classify`` to the first answer (what a bot process pays
  when it starts). Reported for a first-ever start (empty jieba cache dir) and
  for ordinary starts (cache present), plus the whole subprocess wall time
  including interpreter start-up.
* latency — ``classify()`` per message over the dev set (and the held-out
  texts, for timing only), repeated; p50 / p99 in milliseconds, wall and
  this thread's CPU time (the CPU figures hold on a shared, loaded machine).
* throughput — messages per second over the same loop, one thread.
* memory — in a fresh subprocess: tracemalloc peak of Python allocations from
  import to the end of a full pass, and the process's peak RSS (ru_maxrss).

Targets from the issue: cold start < 1 s, p50 < 0.3 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # use this checkout's nlp/, not an installed one

from nlp import classify  # noqa: E402
from nlp.classifier import Classifier  # noqa: E402
from nlp.danger_ngrams import DEFAULT_DANGER_WEIGHTS, DangerScorer  # noqa: E402
from nlp.evaluate import load_jsonl  # noqa: E402

SHARED = Path(os.environ.get("WUYE_SHARED", REPO.parent / "shared"))
DEV = SHARED / "data" / "messages_dev.jsonl"
HELDOUT = REPO / "tests" / "nlp" / "data" / "heldout.jsonl"

COLD = r"""
import time, json
t0, c0 = time.perf_counter(), time.process_time()
from nlp import classify
r = classify("厨房水管爆了水流得到处都是")
t1, c1 = time.perf_counter(), time.process_time()
print(json.dumps({"cold": t1 - t0, "cold_cpu": c1 - c0, "kind": r.kind}))
"""

MEMORY = r"""
import json, resource, sys, tracemalloc
tracemalloc.start()
from nlp import classify
texts = json.load(sys.stdin)
for t in texts:
    classify(t)
_, peak = tracemalloc.get_traced_memory()
rss_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"tracemalloc_peak": peak, "maxrss_kb": rss_kb}))
"""


def _subprocess(code: str, env: dict[str, str], stdin: str = "") -> tuple[dict, float]:
    start = time.perf_counter()
    p = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, input=stdin,
                       capture_output=True, text=True, encoding="utf-8", check=True)
    wall = time.perf_counter() - start
    return json.loads(p.stdout.strip().splitlines()[-1]), wall


def cold_start(runs: int) -> dict[str, float]:
    env = dict(os.environ)
    with tempfile.TemporaryDirectory() as empty:
        env["WUYE_CACHE_DIR"] = empty  # first-ever start: jieba builds its cache
        first, first_wall = _subprocess(COLD, env)
        colds, cpus, walls = [], [], []
        for _ in range(runs):  # same dir now holds the cache: ordinary starts
            out, wall = _subprocess(COLD, env)
            colds.append(out["cold"])
            cpus.append(out["cold_cpu"])
            walls.append(wall)
    return {
        "first_ever_s": first["cold"],
        "first_ever_wall_s": first_wall,
        "median_s": statistics.median(colds),
        "max_s": max(colds),
        "median_wall_s": statistics.median(walls),
        "median_cpu_s": statistics.median(cpus),
    }


def latency(texts: list[str], repeat: int) -> dict[str, float]:
    for t in texts:  # warm the default instance and caches
        classify(t)
    # Wall time per call, and this thread's CPU time per call: on a shared
    # machine the wall figures include waiting for a core, the CPU ones do not.
    samples, cpu = [], []
    clock, thread_clock = time.perf_counter, time.thread_time
    start = clock()
    for _ in range(repeat):
        for t in texts:
            c0, t0 = thread_clock(), clock()
            classify(t)
            samples.append(clock() - t0)
            cpu.append(thread_clock() - c0)
    total = clock() - start
    samples.sort()

    def pct(p: float) -> float:
        return samples[min(len(samples) - 1, int(p * len(samples)))] * 1000

    return {
        "messages": len(samples),
        "p50_ms": pct(0.50),
        "p90_ms": pct(0.90),
        "p99_ms": pct(0.99),
        "max_ms": samples[-1] * 1000,
        "cpu_p50_ms": statistics.median(cpu) * 1000,
        "cpu_mean_ms": statistics.fmean(cpu) * 1000,
        "msgs_per_s": len(samples) / total,
        "mean_chars": sum(map(len, texts)) / len(texts),
    }


def danger_share(texts: list[str], repeat: int) -> dict[str, float]:
    """The n-gram danger scorer's part of the figures above: loading its table
    (in every cold start) and scoring one normalized message (in every call)."""
    loads = []
    for _ in range(3):
        t0 = time.perf_counter()
        scorer = DangerScorer.load(DEFAULT_DANGER_WEIGHTS)
        loads.append(time.perf_counter() - t0)
    norm = [Classifier.default().normalize(t) for t in texts]
    samples = []
    for _ in range(repeat):
        for n in norm:
            t0 = time.perf_counter()
            scorer.probability(n)
            samples.append(time.perf_counter() - t0)
    return {"load_ms": statistics.median(loads) * 1000, "pieces": len(scorer.weights),
            "p50_us": statistics.median(samples) * 1e6}


def memory(texts: list[str]) -> dict[str, float]:
    out, _ = _subprocess(MEMORY, dict(os.environ), stdin=json.dumps(texts, ensure_ascii=False))
    return {"tracemalloc_peak_mb": out["tracemalloc_peak"] / 2**20, "maxrss_mb": out["maxrss_kb"] / 1024}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=20, help="passes over the messages for latency")
    ap.add_argument("--runs", type=int, default=5, help="fresh subprocesses for cold start")
    args = ap.parse_args()

    texts = [r["text"] for path in (DEV, HELDOUT) if path.exists() for r in load_jsonl(path)]
    if not texts:
        sys.exit(f"no messages found ({DEV}, {HELDOUT})")

    cold = cold_start(args.runs)
    lat = latency(texts, args.repeat)
    mem = memory(texts)
    dng = danger_share(texts, args.repeat)

    print("keyword classifier benchmark")
    print(f"  python {sys.version.split()[0]}, {os.cpu_count()} cpu(s)")
    print(f"  cold start, first ever (no jieba cache)  {cold['first_ever_s']:.3f} s "
          f"(process wall {cold['first_ever_wall_s']:.3f} s)")
    print(f"  cold start, import → first answer        {cold['median_s']:.3f} s median, "
          f"{cold['max_s']:.3f} s max of {args.runs} (process wall {cold['median_wall_s']:.3f} s, "
          f"CPU {cold['median_cpu_s']:.3f} s)")
    print(f"  latency per message ({lat['messages']} calls, {lat['mean_chars']:.0f} chars avg)  "
          f"p50 {lat['p50_ms']:.3f} ms  p90 {lat['p90_ms']:.3f} ms  p99 {lat['p99_ms']:.3f} ms  "
          f"max {lat['max_ms']:.3f} ms")
    print(f"  CPU per message (this thread)            p50 {lat['cpu_p50_ms']:.3f} ms  "
          f"mean {lat['cpu_mean_ms']:.3f} ms")
    print(f"  throughput                               {lat['msgs_per_s']:.0f} messages/s (1 thread)")
    print(f"  memory                                   tracemalloc peak {mem['tracemalloc_peak_mb']:.1f} MB, "
          f"process max RSS {mem['maxrss_mb']:.1f} MB")
    print(f"  of which the n-gram danger scorer        load {dng['load_ms']:.1f} ms ({dng['pieces']} pieces), "
          f"p50 {dng['p50_us']:.1f} µs per message")
    ok_cold = cold["max_s"] < 1.0
    ok_p50 = lat["p50_ms"] < 0.3
    print(f"  targets: cold start < 1 s {'OK' if ok_cold else 'MISSED'}; "
          f"p50 < 0.3 ms {'OK' if ok_p50 else 'MISSED'}")


if __name__ == "__main__":
    main()
