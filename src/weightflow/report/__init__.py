"""A run's self-contained HTML report with a frame player (no jax; see docs/report.md).

``build_report(run)`` gives the page, ``write_report(run, path)`` writes it, ``repr_html(run)`` is the
compact notebook version, and ``write_sweep_report(sweep_dir)`` the page of a sweep directory.
"""

from .page import build_report, repr_html, write_report
from .sweep_page import build_sweep_report, write_sweep_report

__all__ = ["build_report", "repr_html", "write_report", "build_sweep_report", "write_sweep_report"]
