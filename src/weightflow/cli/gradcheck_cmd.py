"""``weightflow gradcheck``: the engine's gradients against finite differences and the textbook."""

from __future__ import annotations

import click

from .options import build_model, load_dataset, model_options


@click.command("gradcheck")
@click.argument("run_dir", required=False, metavar="[RUN_DIR]")
@model_options
@click.option("--params", "params_path", default=None, metavar="FILE.npz",
              help="Check at these parameters (keys W1, b1, ...) instead of the initial ones.")
@click.option("--eps", default=1e-6, show_default=True, type=float, help="Finite-difference step.")
@click.option("--tol", default=1e-6, show_default=True, type=float, help="Largest relative error accepted.")
@click.option("--atol", default=1e-8, show_default=True, type=float,
              help="Largest absolute error accepted (an array passes within either tolerance).")
@click.option("--initial", is_flag=True, help="With RUN_DIR: check at the run's initial parameters.")
def command(run_dir, data, data_options, label, hidden, activation, output, loss, init, bias_init, no_bias,
            test_size, standardize, seed, params_path, eps, tol, atol, initial):
    """Check gradients in float64: autodiff against central differences and the textbook delta rule.

    \b
    weightflow gradcheck --data xor --hidden 2 --activation tanh       a fresh net, at its initial weights
    weightflow gradcheck runs/xor                                      a stored run, at its final weights

    Prints a table per parameter (largest absolute and relative error); exits with 1 when any
    relative error is above --tol and its absolute error above --atol.
    """
    from ..check import check_run, gradients
    from ..errors import WeightflowError

    if run_dir is not None:
        if data is not None or params_path is not None:
            raise WeightflowError("gradcheck: expected RUN_DIR or --data (model and data flags), got both; "
                                  "drop one of them")
        result = check_run(run_dir, eps=eps, tol=tol, initial=initial, atol=atol)
    else:
        if data is None:
            raise WeightflowError("gradcheck: expected RUN_DIR or --data, got neither; "
                                  "e.g. weightflow gradcheck --data xor --hidden 2")
        if initial:
            raise WeightflowError("--initial: expected RUN_DIR, got model flags; drop --initial")
        model, X, y, params, _ = setup(data, data_options, label, hidden, activation, output, init, bias_init,
                                    no_bias, test_size, standardize, seed, params_path)
        result = gradients(model, (X, y), params, loss=loss, eps=eps, tol=tol, atol=atol)
    click.echo(result.table())
    return 0 if result.ok else 1


def setup(data, data_options, label, hidden, activation, output, init, bias_init, no_bias, test_size,
          standardize, seed, params_path):
    """The model, the training part of the data, the parameters the flags describe (the same initial
    parameters ``weightflow train`` draws with the same --seed) and the dataset."""
    import jax

    from ..datasets import split
    from ..export import read_npz

    dataset = load_dataset(data, data_options, label)
    model = build_model(dataset, hidden, activation, output, init, bias_init, no_bias)
    sp = split(dataset, test_size=test_size, seed=seed, standardize=standardize)
    if params_path is not None:
        params = read_npz(params_path, model)
    else:
        params = model.init_params(jax.random.split(jax.random.PRNGKey(seed), 3)[0])  # as train() does
    return model, sp.X_train, sp.y_train, params, dataset


def _loosen(cmd):
    """Model flags are optional here (RUN_DIR replaces them), and the check uses every sample by default."""
    for p in cmd.params:
        if p.name == "data":
            p.required = False
        if p.name == "test_size":
            p.default = 0.0
    return cmd


_loosen(command)
