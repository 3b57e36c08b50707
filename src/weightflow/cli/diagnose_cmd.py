"""``weightflow diagnose``: what went wrong with a stored run, with the evidence and advice."""

from __future__ import annotations

import json

import click


def _evidence_text(evidence: dict, most: int = 6) -> str:
    """The scalar evidence as ``key=value`` pairs (lists and dicts are in --json)."""
    parts = []
    for k, v in evidence.items():
        if isinstance(v, bool) or v is None:
            continue
        if isinstance(v, float):
            parts.append(f"{k}={v:.4g}")
        elif isinstance(v, int):
            parts.append(f"{k}={v}")
    return ", ".join(parts[:most])


def table(findings: list, title: str = "") -> str:
    """A readable block per finding: severity, name, step, message, evidence, advice."""
    if not findings:
        return (title + ": " if title else "") + "no problems found"
    lines = [title] if title else []
    for f in findings:
        step = "" if f.step is None else f" at step {f.step}"
        lines.append(f"{f.severity.upper():7} {f.name}{step}: {f.message}")
        ev = _evidence_text(f.evidence)
        if ev:
            lines.append(f"        evidence: {ev}")
        lines.append(f"        advice: {f.advice}")
    return "\n".join(lines)


def population_summary(per_member: list[list]) -> str:
    """Per finding name: how many members have it (as an alarm) and which."""
    counts: dict[str, list[int]] = {}
    for m, fs in enumerate(per_member):
        for name in dict.fromkeys(f.name for f in fs if f.alarm):
            counts.setdefault(name, []).append(m)
    if not counts:
        return f"no problems found in any of the {len(per_member)} members"
    lines = [f"{len(per_member)} members; findings (errors and warnings) by member:"]
    for name, ms in sorted(counts.items(), key=lambda kv: -len(kv[1])):
        shown = ", ".join(map(str, ms[:20])) + (" ..." if len(ms) > 20 else "")
        lines.append(f"  {name:22} {len(ms):5} members: {shown}")
    lines.append("(weightflow diagnose RUN_DIR --member M shows one member's evidence)")
    return "\n".join(lines)


@click.command("diagnose")
@click.argument("run_dir", metavar="RUN_DIR")
@click.option("--json", "as_json", is_flag=True, help="Print the findings as a JSON list of dicts.")
@click.option("--member", type=int, default=None, help="Population runs: diagnose this member only.")
def command(run_dir, as_json, member):
    """Say what went wrong with a stored run: each finding with its evidence and advice.

    \b
    weightflow diagnose runs/xor            a readable table
    weightflow diagnose runs/xor --json     a list of {name, severity, step, message, advice, evidence}
    weightflow diagnose runs/pop --member 3 one member of a population (without: a summary per finding)

    Exits 0 whatever it finds; the checks are described in docs/diagnosis.md.
    """
    from ..diagnose import diagnose, diagnose_population
    from ..errors import bad_input
    from ..run import load_run

    run = load_run(run_dir)
    if member is not None:
        if run.population is None:
            raise bad_input("--member", "a population run", "a single run", "drop --member")
        run = run.member(member)
    if run.population is None:
        found = diagnose(run)
        click.echo(json.dumps([f.to_dict() for f in found], indent=1) if as_json else table(found))
        return 0
    per = diagnose_population(run)
    if as_json:
        click.echo(json.dumps([[f.to_dict() for f in fs] for fs in per], indent=1))
    else:
        click.echo(population_summary(per))
    return 0
