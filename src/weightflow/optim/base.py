"""What every training rule is: an :class:`Optimizer` (an optax transformation plus how the engine drives it)."""

from __future__ import annotations

from typing import Any, Callable, NamedTuple, Sequence

import jax.numpy as jnp
import optax

from ..validate import positive

# the name of the population's vmapped member axis (weightflow.program vmaps with it): a rule whose
# members interact (SVGD) gathers every member with jax.lax.all_gather(x, MEMBERS)
MEMBERS = "members"


class Optimizer(NamedTuple):
    """A named update rule: ``tx`` the transformation, ``uses_gradients`` whether to compute grads."""

    name: str
    tx: optax.GradientTransformationExtraArgs
    uses_gradients: bool = True
    options: dict = {}
    # extra history columns: names, and a traceable function of the optimizer state giving one
    # scalar per name (e.g. a proposal rule's acceptance rate since the previous frame)
    stat_names: tuple[str, ...] = ()
    stats: Callable[[Any], Sequence] | None = None
    # options (and "lr") whose values live in the state's ``hyperparams`` dict rather than in the
    # compiled update: one program serves every value, and a population can give each member its own
    # (see set_hyperparams); these are the options a grid can range over
    in_state: tuple[str, ...] = ()
    # a gradient-free rule that keeps the cost of the parameters it returned (NaN when unknown): with
    # full batches the engine passes it back as ``value`` instead of evaluating the loss again
    carried_value: Callable[[Any], Any] | None = None
    # a rule whose members interact (its update gathers every member over MEMBERS): only a
    # population can run it, and resolve refuses a single run
    needs_population: bool = False

    @property
    def lr_in_state(self) -> bool:
        return "lr" in self.in_state


def check_lr(lr) -> float:
    """A learning rate: a finite number > 0."""
    return positive(lr, "lr", "--lr 1e-3", expected="a learning rate > 0")


def set_hyperparams(state, values: dict):
    """Put in-state option values (name -> a scalar, or one per member) into an optimizer's state;
    ``lr`` is stored as ``learning_rate``, as optax.inject_hyperparams names it."""
    hyper = dict(state.hyperparams)
    for name, value in values.items():
        key = "learning_rate" if name == "lr" else name
        hyper[key] = jnp.asarray(value, jnp.asarray(hyper[key]).dtype)
    return state._replace(hyperparams=hyper)
