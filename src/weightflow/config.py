"""A run's configuration as one typed, frozen object: what ``train`` resolved and ``run.json`` stores.

:class:`RunConfig` is built once, at the boundary (``training.resolve``), from the arguments of
``train`` or the flags of ``weightflow train``; everything after reads its attributes. It owns the
run.json form (``to_dict`` / ``from_dict``, which also reads run directories written before it existed)
and a population's grid: the axes, their points and the configuration each member would have had
alone. No jax here: run directories and pictures use it too.

Grid layout (see :mod:`weightflow.grid`): a population may range over the learning rate, any option the
optimizer keeps in its state, and ``init_scale``. In run.json the axes are named, in order, by
``grid``; their values stay where a single run keeps the scalar (``optimizer.lr``,
``optimizer.options[NAME]``, ``init_scale``), as lists. Member ``g * population + m`` has grid point
``g`` and seed ``seed + m``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import NamedTuple

from . import grid
from .errors import WeightflowError
from .model import MLP


def _test_size(value) -> float | str:
    return value if value == "given" else float(value)


class Schedule(NamedTuple):
    """Static shape of a run, fixed before compiling."""

    steps: int
    record_every: int
    eval_every: int
    batch_size: int | None  # None: full batch
    steps_per_epoch: int


@dataclass(frozen=True)
class OptimizerConfig:
    """The training rule: its name (``custom`` for an optax object), learning rate (a list along a grid
    axis; None for a custom rule) and options (a list along a grid axis)."""

    name: str
    lr: float | list | None
    options: dict = field(default_factory=dict)


@dataclass(frozen=True)
class DataConfig:
    """The data a run saw: the dataset's name and options, how it was split, and what it was."""

    name: str
    options: dict = field(default_factory=dict)
    test_size: float | str = 0.2  # a fraction, or "given": the dataset's own test set
    standardize: bool = False
    split_seed: int = 0
    description: str = ""
    feature_names: tuple[str, ...] = ()
    class_names: tuple[str, ...] = ()
    n_train: int = 0
    n_test: int = 0
    validation_split: float = 0.0  # the fraction of the training rows held out for validation (Keras')
    n_val: int = 0


@dataclass(frozen=True)
class RunConfig:
    """Everything needed to make a run again (and to read its directory).

    population: members per grid point (None for a single run); members: every member (1 alone);
    devices: devices the members were sharded over; init: the initialiser spec, or ``given``;
    grid: the names of the grid axes, in order; member: the index this config had in a population.
    """

    model: MLP
    loss: str
    optimizer: OptimizerConfig
    schedule: Schedule
    data: DataConfig
    seed: int = 0
    epochs: int | None = None
    population: int | None = None
    members: int = 1
    devices: int = 1
    init: str = "glorot-uniform"
    init_scale: float | list = 1.0
    grid: tuple[str, ...] = ()
    member: int | None = None
    l1: float = 0.0  # penalties on the weight matrices (not the biases), added to the loss as Keras'
    l2: float = 0.0  # kernel_regularizer: l1 * sum |W| + l2 * sum W^2

    def replace(self, **changes) -> "RunConfig":
        return dataclasses.replace(self, **changes)

    # --- the grid ---------------------------------------------------------------------------------
    def axes(self) -> dict[str, list]:
        """The grid axes in order: name -> list of values ({} for no grid)."""
        out = {}
        for name in self.grid:
            if name == "lr":
                out[name] = list(self.optimizer.lr)
            elif name == "init_scale":
                out[name] = list(self.init_scale)
            else:
                out[name] = list(self.optimizer.options[name])
        return out

    def points(self) -> list[dict]:
        """Every grid point as {name: value}, first axis slowest ([{}] for no grid)."""
        return grid.points(self.axes())

    def member_point(self, m: int) -> dict:
        """The grid point of member ``m`` ({} for no grid)."""
        return self.points()[m // (self.population or 1)] if self.grid else {}

    def member_config(self, m: int) -> "RunConfig":
        """The config member ``m`` of a population would have had alone: its seed, and the scalar
        values of its grid point in place of the lists."""
        point = self.member_point(m)
        options = {**self.optimizer.options, **{k: v for k, v in point.items() if k not in ("lr", "init_scale")}}
        opt = OptimizerConfig(self.optimizer.name, point.get("lr", self.optimizer.lr), options)
        return self.replace(optimizer=opt, population=None, members=None, seed=self.seed + m % (self.population or 1),
                            member=m, grid=(), init_scale=point.get("init_scale", self.init_scale))

    # --- run.json ------------------------------------------------------------------------------------
    def to_dict(self) -> dict:
        """The run.json ``config`` object (the keys of format version 1)."""
        d, s = self.data, self.schedule
        out = {
            "model": self.model.to_dict(), "loss": self.loss,
            "optimizer": {"name": self.optimizer.name, "lr": self.optimizer.lr, "options": dict(self.optimizer.options)},
            "steps": s.steps, "epochs": self.epochs, "batch_size": s.batch_size, "steps_per_epoch": s.steps_per_epoch,
            "record_every": s.record_every, "eval_every": s.eval_every, "test_size": d.test_size,
            "seed": self.seed, "split_seed": d.split_seed, "population": self.population, "members": self.members,
            "devices": self.devices, "standardize": d.standardize, "init": self.init, "init_scale": self.init_scale,
            "grid": list(self.grid) if self.member is None else None,
            "data": {"name": d.name, "options": dict(d.options), "description": d.description,
                     "feature_names": list(d.feature_names), "class_names": list(d.class_names),
                     "n_train": d.n_train, "n_test": d.n_test},
        }
        if d.validation_split:  # only then: runs without one keep format version 1's keys exactly
            out["validation_split"] = d.validation_split
            out["data"]["n_val"] = d.n_val
        if self.l1 or self.l2:  # only then, as validation_split
            out["regularization"] = {"l1": self.l1, "l2": self.l2}
        if self.member is not None:
            out["member"] = self.member
        return out

    @classmethod
    def from_dict(cls, d: dict, where: str = "run.json config") -> "RunConfig":
        """Read a ``to_dict`` object, or one written before ``grid`` existed (at most a list of learning
        rates). A missing or malformed key raises one line naming it."""
        try:
            return cls._from_dict(d)
        except KeyError as e:
            raise WeightflowError(f"{where}: expected key {e.args[0]!r}, got none; the run directory is damaged "
                                  "(rerun it)") from None
        except (TypeError, ValueError, AttributeError) as e:
            raise WeightflowError(f"{where}: expected a weightflow run configuration, got one that does not read "
                                  f"({e}); the run directory is damaged (rerun it)") from None

    @classmethod
    def _from_dict(cls, d: dict) -> "RunConfig":
        opt, data = d["optimizer"], d["data"]
        names = d.get("grid")
        if names is None:
            names = ["lr"] if isinstance(opt.get("lr"), list) else []
        schedule = Schedule(int(d["steps"]), int(d["record_every"]), int(d["eval_every"]),
                            None if d.get("batch_size") is None else int(d["batch_size"]),
                            int(d.get("steps_per_epoch") or 1))
        dc = DataConfig(str(data["name"]), dict(data.get("options") or {}), _test_size(d.get("test_size", 0.2)),
                        bool(d.get("standardize", False)), int(d.get("split_seed", d["seed"])),
                        str(data.get("description", "")), tuple(data.get("feature_names") or ()),
                        tuple(data.get("class_names") or ()), int(data.get("n_train", 0)), int(data.get("n_test", 0)),
                        float(d.get("validation_split", 0.0)), int(data.get("n_val", 0)))
        return cls(model=MLP.from_dict(d["model"]), loss=str(d["loss"]),
                   optimizer=OptimizerConfig(str(opt["name"]), opt.get("lr"), dict(opt.get("options") or {})),
                   schedule=schedule, data=dc, seed=int(d["seed"]), epochs=d.get("epochs"),
                   population=d.get("population"), members=d.get("members") or 1, devices=int(d.get("devices") or 1),
                   init=str(d.get("init", "glorot-uniform")), init_scale=d.get("init_scale", 1.0),
                   grid=tuple(names), member=d.get("member"),
                   l1=float((d.get("regularization") or {}).get("l1", 0.0)),
                   l2=float((d.get("regularization") or {}).get("l2", 0.0)))

