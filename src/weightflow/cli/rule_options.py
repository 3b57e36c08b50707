"""Flags of the gradient-free and particle training rules (--eta, --temperature, --kernel, ...), kept
apart from train_cmd.

``rule_options`` adds the flags to a command (all default None: "not given"); ``rule_option_values``
turns the ones the user gave into optimizer options for the chosen rule, and refuses a flag the
chosen optimizer does not take or a malformed value, with one line saying what and how to fix it.
The rules themselves live in ``weightflow.optim`` (``gradient_free``, ``evolution``, ``particles``;
imported here only when a command runs, so ``--help`` stays fast).
"""

from __future__ import annotations

import click

from ..errors import bad_input

_GRID = " With --population, a comma list is a grid (one program)."
# (flag, option name, click type, help)
FLAGS = (
    ("--eta", "eta", str, "random-walk: lattice step of every W move [default: 1]." + _GRID),
    ("--p-w", "p_w", str, "random-walk: P(-eta),P(0),P(+eta) of each W entry's move, e.g. 1/3,1/3,1/3."),
    ("--p-b", "p_b", str, "random-walk: P(-bias_step),P(+bias_step) of each b entry's move, e.g. 1/2,1/2."),
    ("--bias-step", "bias_step", str,
     "Size of a bias move (random-walk [default: 2]; metropolis [default: --step])." + _GRID),
    ("--temperature", "temperature", str, "metropolis, langevin: temperature T >= 0 (0: greedy / plain GD) "
                                          "[default: 0.001]; svgd: T > 0 in log p = -n L / T - prior "
                                          "[default: 1]." + _GRID),
    ("--schedule", "schedule", str, "metropolis, langevin: temperature schedule, constant, geometric (T*decay^t) "
                                    "or logarithmic (T*log2/log(t+2)) [default: constant]."),
    ("--decay", "decay", float, "Temperature factor per step for --schedule geometric [default: 0.995]."),
    ("--lr-decay", "lr_decay", float, "langevin: step size lr*(1+lr_decay*t)^-0.55 [default: 0, constant]."),
    ("--step", "step", str, "metropolis: proposal size, lattice step or Gaussian std [default: 1]." + _GRID),
    ("--proposal", "proposal", str, "metropolis: lattice (-step, 0, +step per entry) or gaussian [default: lattice]."),
    ("--bound", "bound", float, "metropolis: reject proposals with any |weight| > BOUND [default: none]."),
    ("--sigma", "sigma", str, "es: std of the antithetic perturbations [default: 0.1]." + _GRID),
    ("--pairs", "pairs", int, "es: antithetic pairs per step [default: 16]."),
    ("--shaping", "shaping", str, "es: fitness shaping, ranks (centred) or none [default: ranks]."),
    ("--sigma0", "sigma0", str, "one-plus-one-es: initial step size, adapted by the 1/5 rule [default: 0.1]." + _GRID),
    ("--damping", "damping", float, "one-plus-one-es: step-size damping D [default: sqrt(n + 1), n the number of parameters]."),
    ("--kernel", "kernel", str, "svgd: the particles' kernel, rbf or linear [default: rbf]."),
    ("--bandwidth", "bandwidth", str, "svgd: rbf bandwidth h, median (med^2 / log(n + 1)) or a number [default: median]."),
    ("--prior-std", "prior_std", float, "svgd: std of the Gaussian prior on every weight [default: 1]."),
    ("--data-size", "data_size", int, "svgd: n in log p = -n L / T - prior [default: the training samples]."),
)
_FLAG_OF = {option: flag for flag, option, _, _ in FLAGS}


def rule_options(f):
    """Decorate a click command with the rule flags."""
    for flag, option, kind, text in reversed(FLAGS):
        f = click.option(flag, option, default=None, type=kind, help=text)(f)
    return f


def _rules_taking(option: str, names, option_defaults) -> list[str]:
    return [n for n in names() if option in option_defaults(n)]


def _each(value, check):
    """A checked number, or a list of them from a comma list (a grid axis)."""
    values = [check(v) for v in str(value).split(",")] if isinstance(value, str) else [check(value)]
    return values[0] if len(values) == 1 else values


def _checked(option: str, value, flag: str):
    """One flag's value, checked (a comma list of numbers is a grid axis where the rule allows it)."""
    from .. import validate as checks
    from ..optim import evolution as ev
    from ..optim import gradient_free as gf
    from ..optim import particles as pt

    if option == "p_w":
        return checks.probabilities(value, 3, flag, "--p-w 1/3,1/3,1/3 (P(-eta), P(0), P(+eta))")
    if option == "p_b":
        return checks.probabilities(value, 2, flag, "--p-b 1/2,1/2 (P(-bias_step), P(+bias_step))")
    if option in ("eta", "bias_step", "step", "bound", "sigma", "sigma0", "damping", "prior_std"):
        return _each(value, lambda x: checks.positive(x, flag, f"{flag} 1"))
    if option in ("temperature", "lr_decay"):
        return _each(value, lambda x: checks.positive(x, flag, f"{flag} 0.01", allow_zero=True))
    if option in ("pairs", "data_size"):
        return checks.positive_int(value, flag, f"{flag} 16")
    if option == "decay":
        return checks.unit_factor(value, flag, "--decay 0.995")
    if option == "bandwidth":
        if str(value).strip().lower() == "median":
            return "median"
        return checks.positive(value, flag, "--bandwidth median", expected="median or a number h > 0")
    choices = {"schedule": gf.SCHEDULES, "shaping": ev.SHAPINGS, "proposal": gf.PROPOSALS, "kernel": pt.KERNELS}
    return checks.choice(value, choices[option], flag, f"{flag} {choices[option][0]}")


def rule_option_values(optimizer: str, flags: dict) -> dict:
    """The optimizer options given on the command line for ``optimizer`` (unset flags left out).

    Raises WeightflowError when a given flag does not belong to ``optimizer`` or its value is malformed.
    """
    given = {k: v for k, v in flags.items() if k in _FLAG_OF and v is not None}
    if not given:
        return {}
    from .options import load_engine

    load_engine()  # optim imports jax: with Ctrl-C held while it loads (see signals.interrupts_held)
    from ..optim import names, option_defaults

    name = str(optimizer).strip().lower()
    if name not in names():
        return {}  # make_optimizer reports the unknown name (with a suggestion)
    takes = option_defaults(name)
    for option, value in given.items():
        if option not in takes:
            flag = _FLAG_OF[option]
            own = ", ".join(_FLAG_OF[o] for o in takes if o in _FLAG_OF) or "no rule flags"
            users = _rules_taking(option, names, option_defaults)
            raise bad_input(flag, f"a flag that --optimizer {name} takes ({own})", value,
                            f"drop {flag}, or use --optimizer {' / '.join(users)}")
    out = {option: _checked(option, value, _FLAG_OF[option]) for option, value in given.items()}
    if "decay" in out and out.get("schedule", takes.get("schedule")) != "geometric":
        raise bad_input("--decay", "--schedule geometric (decay is its factor per step)",
                        out.get("schedule", takes.get("schedule")), "add --schedule geometric, or drop --decay")
    return out
