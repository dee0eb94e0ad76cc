# %% [markdown]
# # torquenet tutorial: from exact electron fields to large-scale learned spin dynamics
#
# The plain-script twin of `tutorial.ipynb` (same cells; `python examples/sync_tutorial.py`
# rebuilds the notebook from this file).  Runs in a few minutes on 2 cores:
#
# 1. exact exchange fields of a small texture with exact diagonalisation (ED) and the kernel
#    polynomial method (KPM);
# 2. a short Landau-Lifshitz-Gilbert (LLG) run with the exact fields;
# 3. the shipped convolutional torque model on a lattice far larger than ED can handle;
# 4. the structure factor S(q) and the topological charge, with a plot of each.
#
# Conventions (README, "The physics and its conventions"): triangular lattice, arrays
# `spins[i, j, :]` for site r = i a1 + j a2; s-d model with t1 = 1, t3 = -0.85, J = 1,
# mu = -3.5; fields H_i = -dOmega/dS_i; time in units of 1/(gamma J S).

# %%
import os
import tempfile
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # headless; in Jupyter the figures show inline anyway
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from torquenet import EDParams, EDSolver, KPMParams, KPMSolver, SDModelParams  # noqa: E402
from torquenet.analysis import plot_structure_factor, plot_texture  # noqa: E402
from torquenet.data import read_trajectory  # noqa: E402
from torquenet.dynamics import LLGParams  # noqa: E402
from torquenet.observables import (  # noqa: E402
    count_skyrmions,
    perpendicular_part,
    skyrmion_lattice_order,
    structure_factor,
    topological_charge,
)
from torquenet.runs import SimulationConfig, build_solver, simulate  # noqa: E402
from torquenet.solvers import SolverConfig  # noqa: E402
from torquenet.textures import SkyrmionPerturbation, skyrmion_lattice  # noqa: E402

OUT = Path(os.environ.get("TORQUENET_TUTORIAL_OUT", tempfile.mkdtemp(prefix="torquenet-")))
OUT.mkdir(parents=True, exist_ok=True)
print("figures and files go to", OUT)

# %% [markdown]
# ## 1. Exact fields: ED and KPM
#
# A 12 x 12 skyrmion-lattice texture (paper Eq. 13) with site-dependent noise.  ED
# diagonalises the 288 x 288 electron Hamiltonian; `num_twists=2` averages over 2 x 2 boundary
# twists (the exact fields of the 24 x 24 lattice carrying the 12-periodic texture).  KPM
# expands the Fermi function in Chebyshev moments and estimates the traces with probe vectors;
# at probing distance d = L = 12 the probes are exact, so only the expansion is approximate.
# Both are compared on the *torque*, the field's part perpendicular to each spin, which is all
# the dynamics sees.

# %%
params = SDModelParams()
rng = np.random.default_rng(0)
spins = skyrmion_lattice(12, perturbation=SkyrmionPerturbation(), rng=rng)
ed = EDSolver(params, EDParams(num_twists=1)).compute(spins)
kpm = KPMSolver(params, KPMParams(num_moments=300, probing_distance=12, compile=False))
kpm_result = kpm.compute(spins)
t_ed = perpendicular_part(ed.fields, spins)
t_kpm = perpendicular_part(kpm_result.fields, spins)
error = np.linalg.norm(t_kpm - t_ed) / np.linalg.norm(t_ed)
print(
    f"grand potential per site: ED {ed.grand_potential / 144:.6f}, "
    f"KPM {kpm_result.grand_potential / 144:.6f}"
)
print(f"relative RMS torque error of KPM (M = 300, exact probing): {error:.2e}")

fig, axes = plt.subplots(1, 2, figsize=(11, 4.5), layout="constrained")
plot_texture(spins, ax=axes[0], title="texture (colour S_z, arrows in-plane)")
plot_texture(
    spins, ax=axes[1], vectors=t_ed, vector_label="torque", title="ED torque H - (H.S) S (arrows)"
)
fig.savefig(OUT / "fields.png", dpi=100)

# %% [markdown]
# ## 2. A short LLG run with exact fields
#
# `simulate` integrates the stochastic LLG equation with the semi-implicit SIB scheme and
# writes a self-describing HDF5 trajectory (spins, fields, energies, topological charge every
# `save_every` steps; interrupted runs resume bit for bit).  H_ext = 0.005 z belongs to the
# dynamics (`LLGParams.external_field`).  A random start on 12 x 12, plain ED, 60 steps.

# %%
config = SimulationConfig(
    L=12,
    init="random",
    num_steps=60,
    save_every=5,
    seed=1,
    model=params,
    llg=LLGParams(time_step=0.1, damping=0.1, temperature=0.0),
    solver=SolverConfig(kind="ed", ed=EDParams(num_twists=1)),
)
run = read_trajectory(simulate(config, OUT / "quench.h5", overwrite=True))
print(
    "saved frames:",
    run.num_frames,
    "| energy per site first -> last:",
    f"{run.energy[0] / 144:.5f} -> {run.energy[-1] / 144:.5f}",
)

fig, ax = plt.subplots(figsize=(5, 3.5), layout="constrained")
ax.plot(run.times, run.energy / 144, "o-")
ax.set_xlabel("t (1 / gamma J S)")
ax.set_ylabel("E / N (t1)")
ax.set_title("damped relaxation lowers the energy")
fig.savefig(OUT / "energy.png", dpi=100)

# %% [markdown]
# ## 3. The shipped network on a large lattice
#
# The learned solver (an exactly SO(3) x D6 x translation equivariant CNN trained on 12 x 12
# frames) predicts the torques at a cost independent of the electrons: here a perturbed
# skyrmion lattice on 96 x 96 (27 648 electron orbitals; ED would need a 18 432^2
# diagonalisation per step) relaxes for 100 steps.  `torquenet demo` runs the paper's
# Figs. 7-8 version of this.

# %%
large = SimulationConfig(
    L=96,
    init="skl-perturbed",
    num_steps=100,
    save_every=50,
    seed=0,
    save_fields=False,
    perturbation=SkyrmionPerturbation(
        phase_noise=0.12, amplitude_noise=0.2, magnetization_noise=0.1
    ),
    solver=SolverConfig(kind="cnn"),  # "" = the shipped model file
)
print(build_solver(large.solver, large.model))
big = read_trajectory(simulate(large, OUT / "large.h5", overwrite=True))
order = skyrmion_lattice_order(big.spins[-1])
print(
    f"t = {big.times[-1]:g}: skyrmions {order['skyrmions']} (ideal {order['ideal_skyrmions']}),"
    f" antiskyrmions {order['antiskyrmions']}, skyrmion lattice: {order['is_skyrmion_lattice']}"
)

# %% [markdown]
# ## 4. Structure factor and topological charge
#
# S(q) = |(1/N) sum_i S_i exp(i q.r_i)|^2 (paper Eq. 12) sums to 1 over the L x L momenta; the
# six Bragg peaks +-Q_eta at |Q| = pi/3 mark the skyrmion lattice.  The logarithmic colour
# scale (chosen automatically when the peaks dominate) also shows the higher harmonics and the
# diffuse weight of the noise.  The topological charge counts skyrmions (-1 each here).

# %%
sq = structure_factor(big.spins[-1])
negative, positive = count_skyrmions(big.spins[-1])
print(
    f"topological charge {topological_charge(big.spins[-1]):.3f}; objects of charge -1 / +1: "
    f"{negative} / {positive}"
)

fig, axes = plt.subplots(1, 2, figsize=(11, 4.5), layout="constrained")
plot_structure_factor(sq, ax=axes[0], title=f"S(q), L = 96, t = {big.times[-1]:g}")
axes[1].plot(big.times, big.topological_charge, "o-")
axes[1].set_xlabel("t (1 / gamma J S)")
axes[1].set_ylabel("topological charge Q")
axes[1].set_title("Q is conserved by the relaxation")
fig.savefig(OUT / "structure_factor_and_charge.png", dpi=100)

# %% [markdown]
# ## Where next
#
# * `torquenet generate` / `train` / `evaluate`: make training data and a model of your own;
# * `torquenet analyze` and `compare`: ensembles, S(q, t), Bragg-peak intensity vs time;
# * `torquenet export --format ovf|vtk`: the textures in Spirit, MuMax3 tools or ParaView;
# * the API reference (`docs/api`) and `README.md`.
