"""The diagnosis benchmark: train (or load from cache/) every scenario as a population, diagnose
each member with weightflow and with the three baselines on the same recorded run, and print the
table. Usage:

    PYTHONPATH=src python bench/diagnosis/run_bench.py [--fault-members 8] [--clean-members 32] [--json out.json]

Detection is replayed at 10 checkpoints (10%, 20%, ... of the frames) as the online monitor sees
them during training; a symptom weightflow names only after the run counts at 100%.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from baselines import BASELINES  # noqa: E402
from scenarios import ACCEPT, Scenario, all_scenarios, make_data  # noqa: E402

CACHE = Path(__file__).resolve().parent / "cache"
CHECKPOINTS = 10


def recorded(sc: Scenario, members: int):
    """The scenario's population run, trained once and cached under cache/NAME."""
    import weightflow as wf

    where = CACHE / f"{sc.name}-p{members}"
    if (where / "run.json").exists():
        return wf.load_run(where)
    X, y = make_data(sc.data)
    kw = {"optimizer": "adam", "test_size": 0.3, **sc.train}
    total = kw.get("steps") or kw["epochs"] * int(np.ceil(len(y) * (1 - kw["test_size"]) / kw["batch_size"]))
    kw.setdefault("record_every", max(1, total // 100))
    run = wf.train(wf.MLP(**sc.model), (X, y), population=members, seed=0, progress=False, **kw)
    run.save(where)
    return wf.load_run(where)


def prefixes(run):
    """Contexts of the member run at each checkpoint (the last one is the whole, final run)."""
    from weightflow.diagnose.context import Context

    F = len(run.steps)
    whole = Context.from_run(run)
    for k in range(1, CHECKPOINTS + 1):
        end = max(1, round(F * k / CHECKPOINTS))
        if k == CHECKPOINTS:
            yield whole
            return
        hist = {c: np.asarray(v)[:end] for c, v in run.history.items()}
        yield Context(run.model, whole.config, run.split, np.asarray(run.steps[:end]), hist,
                      [p[:end] for p in run.frames], whole.total_steps, final=False)


def assess(run) -> dict:
    """Per method: {"named": set of names flagged, "first_at": name -> share of the run, "first": name}."""
    from weightflow.diagnose import diagnose_context
    from weightflow.diagnose.online import Monitor

    mon = Monitor(run.model, len(run.split.y_train), run.split, run.config, include_info=True)
    res = {m: {"first_at": {}, "first": None} for m in ["weightflow", *BASELINES]}
    total = max(run.config.schedule.steps, 1)
    for ctx in prefixes(run):
        share = min(1.0, ctx.done / total) if not ctx.final else 1.0
        if ctx.final:
            found = diagnose_context(ctx)
            names = [f.name for f in found if f.alarm or f.name == "ignored_inputs"]
            res["weightflow"]["ordered"] = names
        else:
            found = mon.update(ctx.history, ctx.frames, ctx.done)
            names = [f.name for f in found if f.alarm or f.name == "ignored_inputs"]
        _note(res["weightflow"], names, share)
        for m, rule in BASELINES.items():
            _note(res[m], sorted(rule(ctx)), share)
    wf = res["weightflow"]
    wf["first"] = wf["ordered"][0] if wf["ordered"] else None
    return res


def _note(r: dict, names, share: float) -> None:
    for n in names:
        r["first_at"].setdefault(n, share)
    if r["first"] is None and names:
        r["first"] = names[0]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--fault-members", type=int, default=8)
    ap.add_argument("--clean-members", type=int, default=32)
    ap.add_argument("--only", default="")
    ap.add_argument("--json", default="")
    a = ap.parse_args(argv)
    from weightflow.diagnose.context import one_blas_thread

    with one_blas_thread():  # small matrices: BLAS threads only contend (see one_blas_thread)
        rows = collect(a)
    if a.json:
        Path(a.json).write_text(json.dumps(rows, indent=1, default=list))
    print(table(rows))
    return 0


def collect(a) -> list[dict]:
    """One row per member of every scenario (``--only`` filters by name)."""
    rows, t0 = [], time.perf_counter()
    for sc in all_scenarios():
        if a.only and a.only not in sc.name:
            continue
        run = recorded(sc, a.clean_members if sc.fault is None else a.fault_members)
        for m in range(run.population):
            member = run.member(m)
            rows.append({"scenario": sc.name, "fault": sc.fault, "strength": sc.strength, "member": m,
                         "status": member.status, **assess(member)})
        print(f"{sc.name}: {run.population} members, {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    return rows


def table(rows: list[dict]) -> str:
    methods = ["weightflow", *BASELINES]
    faults = sorted({r["fault"] for r in rows if r["fault"]})
    head = "| symptom | runs | " + " | ".join(f"{m} recall" for m in methods) + \
        " | weightflow first detection (median share of run) | weightflow right symptom first |"
    lines = [head, "|" + " --- |" * (len(methods) + 4)]
    for fault in faults:
        rs = [r for r in rows if r["fault"] == fault]
        acc = set(ACCEPT[fault])
        rec = [np.mean([bool(acc & set(r[m]["first_at"])) for r in rs]) for m in methods]
        at = [min(r["weightflow"]["first_at"][n] for n in acc if n in r["weightflow"]["first_at"])
              for r in rs if acc & set(r["weightflow"]["first_at"])]
        first = np.mean([r["weightflow"]["first"] in acc for r in rs])
        lines.append(f"| {fault} | {len(rs)} | " + " | ".join(f"{x:.2f}" for x in rec)
                     + f" | {np.median(at) if at else float('nan'):.2f} | {first:.2f} |")
    clean = [r for r in rows if not r["fault"]]
    fa = [np.mean([bool(_alarms(r[m])) for r in clean]) for m in methods]
    lines.append(f"| **false alarms on clean runs** | {len(clean)} | " + " | ".join(f"{x:.2f}" for x in fa) + " | | |")
    faulty = [r for r in rows if r["fault"]]
    first_all = np.mean([r["weightflow"]["first"] in ACCEPT[r["fault"]] for r in faulty])
    lines.append(f"\nright symptom named first (weightflow, all {len(faulty)} faulty runs): {first_all:.2f}")
    return "\n".join(lines)


def _alarms(r: dict) -> list[str]:
    return [n for n in r["first_at"] if n != "ignored_inputs"]


if __name__ == "__main__":
    raise SystemExit(main())
