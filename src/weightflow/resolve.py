"""The boundary of training: ``train``'s arguments checked once and turned into a :class:`RunConfig`,
the data split, the rule, and what each member of a population gets (its seed and grid values)."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from . import grid, loss_names, losses
from .config import DataConfig, OptimizerConfig, RunConfig
from .datasets import Dataset, Split, load, split
from .datasets.splits import check_validation_split, resolve_test_size
from .errors import bad_input
from .model import MLP
from .optim import Optimizer, check_lr, make_optimizer, particles
from .schedule import make_schedule
from .validate import positive, positive_int, seed as check_seed

_LIST = (list, tuple, np.ndarray)


class Members(NamedTuple):
    """Per member (grid-point-major, seeds fastest): its seed, its in-state option values (name ->
    (members,)) and its init scale."""

    seeds: list[int]
    values: dict
    init_scale: list[float]


class Resolved(NamedTuple):
    """What training needs, all checked: the config, the split, the rule (``opt``, built with each grid
    axis' largest value: ``rule`` as given, ``lr`` and ``options``), and the members."""

    config: RunConfig
    split: Split
    opt: Optimizer
    rule: object
    lr: float
    options: dict
    members: Members


def as_split(data, test_size, seed, standardize, data_options, validation_split=None) -> tuple[Split, Dataset | None]:
    """``data`` (a name, a Dataset, an (X, y) pair or a ready Split) as a Split and its Dataset."""
    if isinstance(data, Split):
        if validation_split:
            raise bad_input("validation_split", "data to split (a name, a Dataset or an (X, y) pair)",
                            "a ready Split", "pass the Dataset, or make the Split with split(..., validation_split=)")
        return data, getattr(data, "dataset", None)
    if isinstance(data, str):
        data = load(data, **(data_options or {}))
    elif isinstance(data, tuple) and len(data) == 2:
        data = Dataset(*data)
    if not isinstance(data, Dataset):
        raise bad_input("data", "a dataset name, a Dataset or an (X, y) pair", type(data).__name__,
                        "e.g. train(model, 'xor') or train(model, (X, y))")
    return split(data, test_size=test_size, seed=seed, standardize=standardize,
                 validation_split=validation_split), data


def check_model_fits(model: MLP, sp: Split, loss: str | None) -> str:
    """Refuse a model whose inputs or outputs do not fit the data; returns the loss name."""
    d = sp.X_train.shape[1]
    if d != model.sizes[0]:
        raise bad_input("model", f"{d} inputs (the data has {d} features)", f"{model.sizes[0]} inputs",
                        f"start sizes with {d}, e.g. MLP([{d}, 4, {model.sizes[-1]}])")
    n_classes = int(max(sp.y_train.max(initial=0), sp.y_test.max(initial=0))) + 1
    if model.output == "sigmoid" and n_classes > 2:
        raise bad_input("output", f"softmax with {n_classes} output units for {n_classes} classes", "sigmoid",
                        f"use --output softmax (MLP([..., {n_classes}]))")
    if model.output == "softmax" and model.sizes[-1] != n_classes:
        raise bad_input("model", f"{n_classes} output units for {n_classes} classes", model.sizes[-1],
                        f"end sizes with {n_classes}")
    loss = losses.check_loss(loss, model.output)
    if loss_names.per_sample(loss) == "bce" and model.sizes[-1] != 1:
        raise bad_input("loss", "1 output unit for bce", model.sizes[-1], "use --loss ce with softmax")
    return loss


def as_scale(value) -> float:
    return positive(value, "init_scale", "--init-scale 0.5", expected="a factor > 0 on the initial weights")


def _list_axis(name: str, values, check, example: str) -> list:
    values = [check(v) for v in values]
    if not values:
        raise bad_input(name, f"a non-empty list of {name} values", [], f"e.g. {example}")
    return values


def grid_axes(optimizer, lr, options: dict, init_scale, population):
    """Resolve the grid axes among ``lr``, the in-state optimizer options and ``init_scale``: a list
    of values makes an axis (only with a population). Returns the optimizer built from each axis'
    largest value (a rule may drop work a zero value never needs, e.g. Langevin's noise at T = 0;
    the members' own values live in the state), that lr and options, and the axes (name -> values)."""
    axes = {}
    if isinstance(lr, _LIST):
        axes["lr"] = _list_axis("lr", lr, check_lr, "--lr 1e-3,1e-2")
    lr0 = max(axes["lr"]) if axes else lr
    in_state = make_optimizer(optimizer, lr0).in_state  # validates the name (and lr)
    axes.update({k: list(v) for k, v in options.items() if isinstance(v, _LIST) and k in in_state})
    plain = {k: v for k, v in options.items() if k not in axes}
    for k in axes.keys() - {"lr"}:
        def check(value, k=k):  # the rule's own checks, one value at a time
            make_optimizer(optimizer, lr0, **{**plain, k: value})
            return value

        _list_axis(k, axes[k], check, f"--{k.replace('_', '-')} 1,2")
    if isinstance(init_scale, _LIST):
        axes["init_scale"] = _list_axis("init_scale", init_scale, as_scale, "--init-scale 0.5,1,2")
    else:
        as_scale(init_scale)
    if "lr" in axes and "lr" not in in_state:
        raise bad_input("lr", f"one learning rate for optimizer {optimizer}", axes["lr"],
                        "grids of learning rates work with gd, sgd, adam, nadam, rmsprop, langevin")
    if axes and population is None:
        name, values = next(iter(axes.items()))
        raise bad_input(name, f"one value of {name} for a single run", values,
                        "give --population P to train P members per value")
    rep = {k: max(v) for k, v in axes.items() if k not in ("lr", "init_scale")}
    opt = make_optimizer(optimizer, lr0, **plain, **rep)  # the rules draw their default key in init
    return opt, lr0, {**plain, **rep}, axes


def _members(seed: int, per: int, axes: dict, init_scale) -> Members:
    """Grid-point-major members: all seeds of point 0, then point 1, ..."""
    points = grid.points(axes)
    values = {name: [pt[name] for pt in points for _ in range(per)] for name in axes}
    scale = values.pop("init_scale", [init_scale] * per * len(points))
    return Members([seed + m for m in range(per)] * len(points), values, scale)


def _data_config(dataset: Dataset | None, sp: Split, test_size, standardize, split_seed,
                 validation_split: float) -> DataConfig:
    sizes = dict(n_train=sp.n_train, n_test=sp.n_test, validation_split=validation_split, n_val=sp.n_val)
    if dataset is None:
        return DataConfig("split", {}, test_size, bool(standardize), split_seed, **sizes)
    return DataConfig(dataset.name, dict(dataset.options), test_size, bool(standardize), split_seed,
                      dataset.description, tuple(dataset.feature_names), tuple(dataset.class_names), **sizes)


def resolve(model: MLP, data, optimizer, lr, *, steps, epochs, batch_size, record_every, eval_every, test_size,
            seed, init, loss, standardize, data_options, optimizer_options, population, split_seed,
            init_scale, validation_split=None, l1=0.0, l2=0.0) -> Resolved:
    """Check every argument of ``train`` (see there) and resolve it into a :class:`Resolved`."""
    if not isinstance(model, MLP):
        raise bad_input("model", "a weightflow.MLP", type(model).__name__, "e.g. weightflow.MLP([2, 4, 1])")
    seed = check_seed(seed, "seed")
    split_seed = seed if split_seed is None else check_seed(split_seed, "split_seed")
    per = 1 if population is None else positive_int(population, "population", "--population 64")
    validation_split = check_validation_split(validation_split)
    sp, dataset = as_split(data, test_size, split_seed, standardize, data_options, validation_split)
    if isinstance(data, Split):
        validation_split = float(data.n_val and data.n_val / (data.n_val + data.n_train))
    loss = check_model_fits(model, sp, loss)
    if dataset is not None:
        test_size = resolve_test_size(dataset, test_size)  # recorded as used: "given" or the fraction
    sched = make_schedule(len(sp.y_train), steps, epochs, batch_size, record_every, eval_every)
    options = particles.with_data_size(optimizer, dict(optimizer_options or {}), len(sp.y_train))
    opt, lr, options, axes = grid_axes(optimizer, lr, options, init_scale, population)
    particles.require_population(opt, population)
    members = _members(seed, per, axes, init_scale)
    custom = opt.name == "custom"
    opt_cfg = OptimizerConfig(opt.name, None if custom else axes.get("lr", float(lr)),
                              {**opt.options, **{k: v for k, v in axes.items() if k not in ("lr", "init_scale")}})
    config = RunConfig(model=model, loss=loss, optimizer=opt_cfg, schedule=sched,
                       data=_data_config(dataset, sp, test_size, standardize, split_seed, validation_split),
                       seed=seed, epochs=epochs,
                       population=population, members=len(members.seeds),
                       init="given" if init is not None else str(model.init),
                       init_scale=axes.get("init_scale", init_scale), grid=tuple(axes),
                       l1=positive(l1, "l1", "--l1 1e-4", allow_zero=True, expected="a penalty rate >= 0"),
                       l2=positive(l2, "l2", "--l2 1e-4", allow_zero=True, expected="a penalty rate >= 0"))
    return Resolved(config, sp, opt, optimizer, lr, options, members)

