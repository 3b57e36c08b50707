"""Analyses of training dynamics (the dynamics lab, docs/dynamics.md).

- :mod:`.implicit_bias`: GD's direction against the max-margin separator (Soudry et al. 2018), from a run.
- :mod:`.landscape`: the loss on the plane of a run's top two principal directions, with its path.
- :mod:`.mean_field`: a teacher-student ReLU network whose neurons gather on the teachers (Chizat & Bach).
- :mod:`.svgd`: Stein variational gradient descent over interacting particles (jax), the reference of the
  training rule ``optimizer="svgd"`` (:mod:`weightflow.optim.particles`).

Importing this package imports nothing heavy; the analyses that read a stored run use numpy, scipy
and scikit-learn only.
"""
