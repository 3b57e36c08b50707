"""``weightflow export``: a run's trained weights as a PyTorch state dict or an .npz."""

from __future__ import annotations

import click


@click.command("export")
@click.argument("run_dir", metavar="RUN_DIR")
@click.option("--format", "fmt", default="torch", show_default=True, type=click.Choice(["torch", "npz"]),
              help="torch: state_dict of an nn.Sequential (torch.save); npz: arrays W1, b1, ...")
@click.option("--out", default=None, metavar="FILE", help="Output file [default: RUN_DIR/export/model.pt|.npz].")
@click.option("--logits", is_flag=True, help="torch: leave the output activation off (for a *WithLogits loss).")
@click.option("--standardized-inputs", is_flag=True,
              help="A --standardize run: export the weights as trained, for inputs you standardise yourself "
                   "[default: the model applies the standardisation to raw inputs].")
@click.option("--allow-diverged", is_flag=True, help="Export a diverged run's last finite weights too.")
def command(run_dir, fmt, out, logits, standardized_inputs, allow_diverged):
    """Write a run's final weights for use elsewhere.

    \b
    The torch file loads into the same architecture:
      seq = weightflow.export.to_torch(weightflow.load_run(RUN_DIR))
      seq.load_state_dict(torch.load("RUN_DIR/export/model.pt"))

    A run trained with --standardize exports a model for raw inputs: the torch model starts with a
    Standardize module, the npz has the standardisation folded into W1 and b1.
    """
    from ..export import export

    path = export(run_dir, fmt, out, logits=logits, raw_inputs=not standardized_inputs,
                  allow_diverged=allow_diverged)
    click.echo(f"written to {path}")
    return 0
