"""Keeping a playground run: a normal run directory under the server's runs folder, with its report
page, its experiment file and its exported weights beside it, served back as downloads.

Names are made here (``playground-<session>-<time>``), never taken from a request, and every path
served is checked to lie inside the runs folder.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

from ..errors import WeightflowError

DOWNLOADS = {"report.html": "text/html; charset=utf-8", "experiment.toml": "text/plain; charset=utf-8",
             "model.npz": "application/octet-stream"}
NAME = re.compile(r"playground-[a-z0-9]+-[0-9]{8}-[0-9]{6}")


def keep(session, runs: Path, timeout: float = 30.0) -> dict:
    """Stop ``session`` if it still trains, write its run directory and downloads; returns
    ``{"name", "dir", "downloads": {file: url}, "notes": [...]}``."""
    if session.kept:
        return session.kept
    session.control("stop")
    session.thread.join(timeout)
    if session.run is None:
        raise WeightflowError(f"keep: expected a run that trained, got one that {session.state}"
                              f"{': ' + session.error if session.error else ''}; press play first")
    name = f"playground-{session.id}-{time.strftime('%Y%m%d-%H%M%S')}"
    where = session.run.save(runs / name)
    notes = _downloads(session.run, where)
    files = {f: f"/runs/{name}/{f}" for f in DOWNLOADS if (where / _stored(f)).is_file()}
    session.kept = {"name": name, "dir": str(where.resolve()), "downloads": files, "notes": notes}
    return session.kept


def _stored(file: str) -> str:
    return "export/model.npz" if file == "model.npz" else file


def _downloads(run, where: Path) -> list[str]:
    """Write the report page, the experiment file and the weights; a note for each that cannot be."""
    from ..experiment import to_toml
    from ..export import save_npz
    from ..report import write_report
    from ..report.findings import findings_of

    write_report(run, where / "report.html", findings_of(run), source=str(where))
    notes = []
    try:
        (where / "experiment.toml").write_text(to_toml(run.config, where.name))
    except WeightflowError:
        why = ("it starts from given weights (a branch)" if run.config.init == "given" else
               "its data are not a named dataset (crossed features)")
        notes.append(f"no experiment file: {why}, which a file cannot name")
    if run.population is None:
        save_npz(run, where / "export" / "model.npz")
    else:
        notes.append("no weights file for a population (export one member: weightflow export RUN_DIR)")
    return notes


def download(runs: Path, name: str, file: str) -> tuple[Path, str] | None:
    """The file ``file`` of the kept run ``name`` and its content type, or None (never outside ``runs``)."""
    if not NAME.fullmatch(name or "") or file not in DOWNLOADS:
        return None
    path = (runs / name / _stored(file)).resolve()
    if runs.resolve() not in path.parents or not path.is_file():
        return None
    return path, DOWNLOADS[file]
