"""Linear-scaling exchange fields: kernel polynomial method (KPM) with gradient-based probing.

The grand potential is estimated with probe vectors r (``_probing.py``) and a Chebyshev series
(``_chebyshev.py``),

.. math::
    \\Omega_{\\rm est} = \\sum_r \\sum_{m=0}^{M-1} w_m\\, r^\\dagger T_m(\\tilde H)\\, r,
    \\qquad \\tilde H = (H - b)/a,\\quad w_m = g_m c_m,

and the fields are its exact gradient, H_i = -dOmega_est/dS_i (Wang, Chern, Batista & Barros,
J. Chem. Phys. 148, 094107 (2018)): the on-site 2x2 blocks of the "density matrix"
dOmega_est/dH are accumulated by a backward (adjoint) Chebyshev recursion, so no matrix function
and no history of vectors is ever stored.  With every site probed deterministically (one colour
per site) Omega_est is the exact trace of the polynomial and the fields are those of ED with the
Fermi function replaced by the derivative of the truncated series.

Cost: Omega_est needs the vectors alpha_n = T_n(H~) r only up to n = M/2, because
T_{2n} = 2 T_n^2 - T_0 and T_{2n+1} = 2 T_{n+1} T_n - T_1 (Weisse et al. 2006, Eq. 34):

.. math::
    \\Omega_{\\rm est} = \\sum_n A_n \\langle\\alpha_n|\\alpha_n\\rangle
                     + B_n\\, \\mathrm{Re}\\langle\\alpha_{n+1}|\\alpha_n\\rangle .

The adjoint lambda_n = dOmega_est / d alpha_n^* obeys
lambda_n = A_n alpha_n + (B_n alpha_{n+1} + B_{n-1} alpha_{n-1}) / 2 + 2 H~ lambda_{n+1}
- lambda_{n+2}, and since alpha_{n+1} = 2 H~ alpha_n - alpha_{n-1} is reversible the backward
pass regenerates alpha_{n-1} = 2 H~ alpha_n - alpha_{n+1} instead of storing it.  Then

.. math::
    d\\Omega_{\\rm est} = 2\\,\\mathrm{Re}\\Big[\\lambda_1^\\dagger\\, d\\tilde H\\, \\alpha_0
        + 2\\sum_{n\\ge1} \\lambda_{n+1}^\\dagger\\, d\\tilde H\\, \\alpha_n\\Big],

and with dH~_ii = -(J/a) dS_i . sigma the field is
H_i^c = (2J/a) Re sum_ab sigma^c_ab Z_i[a, b], Z_i[a, b] = sum_n c_n conj(lambda_{n+1}(i a))
alpha_n(i b).  That is M/2 Hamiltonian applications forward and 2 x M/2 backward:
1.5 M per probe vector in all, memory O(N P).

Every vector is a real tensor of shape (B, L, L, 4, P): textures, lattice, spinor components
(up.re, up.im, down.re, down.im) and probe vectors as the fastest axis.  The arithmetic is that
of complex128 (float64) or complex64 (float32) written out in real and imaginary parts, because
torch's compiler fuses real element-wise code into one loop but cannot generate code for complex
tensors.  The Hamiltonian is a stencil (one shifted copy per hopping offset plus the on-site 2x2
block; no matrices), the same code on CPU and CUDA.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import torch
from numpy.typing import NDArray

from torquenet._device import resolve_device
from torquenet._typing import FieldResult
from torquenet._validation import check_int, check_spins
from torquenet.lattice import TriangularLattice
from torquenet.model import SDModelParams
from torquenet.solvers._chebyshev import (
    KERNELS,
    damping_factors,
    grand_potential_coefficients,
    spectral_bounds,
)
from torquenet.solvers._probing import colouring_period, probe_vectors, sublattice_colouring

logger = logging.getLogger(__name__)

DTYPES = {"float64": torch.float64, "float32": torch.float32}

#: Inductor settings for the compiled Chebyshev steps.  By default the compiler stores an
#: intermediate once it has read more than 12 inputs (on CPU), which splits the 4 on-site and 12
#: hopping reads of one Hamiltonian application into two passes over memory; raising the limits
#: keeps each step one loop (25% faster backward steps, measured at L = 48).  Shapes are static
#: (dynamic=False): symbolic shapes made the steps 3x slower.
FUSION_OPTIONS = {"realize_acc_reads_threshold": 64, "realize_opcount_threshold": 1000}

#: ((n1, n2), coefficient) for each hopping offset of the rescaled Hamiltonian
Stencil = tuple[tuple[tuple[int, int], float], ...]

#: Memory for the working vectors of one block of (texture, probe) columns on a GPU.  A block
#: holds about NUM_WORK_VECTORS vectors of L*L*4 reals per column (alpha_{n+1}, alpha_n,
#: lambda_{n+1}, lambda_{n+2}, the two outputs, the probes and temporaries).
WORKSPACE_BYTES = 2 * 1024**3
NUM_WORK_VECTORS = 10

#: On the CPU the Chebyshev steps are limited by memory traffic, so the probe vectors are
#: processed in blocks small enough for one vector of the block (L*L*4 reals per column) to take
#: ~3 MiB and a step's working set to stay in cache.  Measured at L = 48 and 96 (float32, one
#: thread): blocks with 2-5 MiB per vector run 3-4x faster than all 1152 probes at once; 1 MiB
#: is 25% slower again.  Blocks are whole SIMD vectors along the innermost (probe) axis,
#: SIMD_BYTES = 64 (AVX-512: 16 float32 or 8 float64 lanes), and at least MIN_BLOCK_COLUMNS
#: wide.  Measured at L = 96 (M = 300, one thread): float32 in 16-column blocks 16 s, in
#: 18-column blocks 29 s; float64 in 16-column blocks 41 s, in 8-column blocks 56 s.
CACHE_BLOCK_BYTES = 3 * 1024**2
SIMD_BYTES = 64
MIN_BLOCK_COLUMNS = 16

#: Largest |c_m| over the last 5% of the moments, relative to the largest |c_m|, above which the
#: series of omega is reported as unconverged (a warning, not an error: the estimate is still the
#: exact gradient of a well-defined smoothed Omega).  Measured at L = 24 with exact probing, the
#: relative torque error from truncation is 100-500 times this ratio (kT = 0.05, M = 200: ratio
#: 3.5e-6, error 4e-4 to 1e-3; kT = 0.01, M = 400: 1.4e-5, 0.7-3%), so 1e-5 flags settings
#: whose truncation error exceeds ~1e-3 of the torque.
SERIES_TAIL_TOLERANCE = 1e-5


@dataclass(frozen=True)
class KPMParams:
    """Settings of the KPM solver, with what each buys (measured in benchmarks/results/kpm.md).

    Parameters
    ----------
    num_moments : int
        M, Chebyshev moments of omega(E).  With the default Dirichlet kernel the truncation error
        falls exponentially, ~exp(-M pi kT / (a sqrt(1 - x_mu^2))) with a ~ 6.9 t1 the
        half-width of the spectrum and x_mu = (mu - b)/a ~ -0.7.  Relative torque error from
        truncation alone (L = 24, every site probed; random / skyrmion-lattice texture):
        kT = 0.05: M = 100: 0.8% / 3%, 200: 4e-4 / 1e-3, 300 (default): 1.5e-5 / 5e-5,
        400: 6e-7 / 2e-6, 800: 2e-12 / 8e-12.  kT = 0.02: M = 400: 0.08% / 0.3%,
        800: 5e-6 / 2e-5.  kT = 0.01: M = 800: 0.06% / 0.2%, 1600: 3e-6 / 2e-5.  Cost is
        linear in M.
    probing_distance : int
        d: sites sharing a probe vector are at least d apart (k x k sublattice colouring with
        k = d, which must divide L; d >= L probes every site deterministically, i.e. the exact
        trace, at O(N^2) cost).  This is the accuracy limit: the density matrix of this metal
        decays slowly (|rho(r)| ~ 6e-4 at r = 24 for kT = 0.05) and the error hardly improves
        between kT = 0.01 and 0.05.  Relative torque error at kT = 0.05 (random / skyrmion
        lattice), from benchmarks/results/kpm.md: d = 4: 67% / 306%, 6: 38% / 170%,
        8: 20% / 84%, 12: 9% / 37%, 16: 4.7% / 18%, 24: 1.4% / 5.2% (L = 48 and 96),
        48: 0.09% / 0.32% (L = 96, the L = 48 textures tiled 2 x 2), exact for d >= L.  The
        cost is proportional to the 2 d^2 probe vectors, independent of L.  The default d = 48
        is the smallest measured distance with <= 1% on both textures; it probes L <= 48
        exactly and needs L % 48 == 0 beyond.  d = 24 is 4x cheaper (and allows L % 24 == 0)
        at 1.4% / 5.2%.
    num_random_vectors : int
        R: independent random-phase probes per (colour, spin) pair; the stochastic error falls
        as 1/sqrt(R) at R times the cost.  A larger d is the better buy: R = 4 at d = 6 gives
        19% / 85% where one set at d = 12 (the same 288 vectors) gives 9% / 39%.  Has no
        effect when every site has its own colour.
    kernel : str
        "dirichlet" (no damping, default) or "jackson".  For kT > 0 the Jackson kernel broadens
        the Fermi function by ~pi a / M, which costs accuracy (kT = 0.05: 0.7% / 1.5% at
        M = 400, 0.05% / 0.12% at M = 1600); use it at kT = 0, where it removes Gibbs
        oscillations.
    dtype : str
        "float64" (complex128 arithmetic, default) or "float32" (complex64: half the memory
        traffic, ~2x faster, relative field error ~1e-6).
    device : str
        "cpu", "cuda", "cuda:N" or "auto"; the same code runs on each.
    seed : int
        Seed of the random phases.  The phases are drawn once per lattice size and reused on
        every call, so the estimated Omega is a smooth function of the spins and the fields are
        exactly its gradient (energy-conserving dynamics, rotation covariance).
    fresh_probes : bool
        Stochastic KPM-Langevin (Barros & Kato, PRB 88, 235101 (2013)): new phases for every
        LLG step instead of one set for the whole run.  Fixed cheap probes make the same
        configuration-dependent error at every step, a bias the dynamics accumulates; fresh
        ones make the estimate unbiased over draws (its mean is the M-moment field, tested) and
        turn the error into a fast random field.  The phases of step n are drawn from
        ``SeedSequence([seed, stream, L, n])`` (:meth:`KPMSolver.begin_step`; ``simulate`` uses
        the run's seed as the stream), so a run is reproducible and resumes bit for bit; both
        SIB stages of a step use the same phases, so each step integrates the gradient field
        of one Omega estimate, as with fixed probes.  Without ``begin_step`` calls the solver
        behaves as with fixed probes.
    compile : bool
        Fuse each Chebyshev step into one loop with ``torch.compile`` (C++/OpenMP on CPU, Triton
        on CUDA): several times faster than eager torch on CPU, after a one-off compilation of
        ~5-30 s per lattice size and block shape (compiled kernels are cached on disk by torch).
        Compilation errors are raised, never hidden.  torch keeps at most 8 compiled shapes per
        kernel and process (``torch._dynamo.config.recompile_limit``); past that it warns and
        runs eagerly.  Use False for one-off small lattices and tests.
    """

    num_moments: int = 300
    probing_distance: int = 48
    num_random_vectors: int = 1
    kernel: str = "dirichlet"
    dtype: str = "float64"
    device: str = "cpu"
    seed: int = 0
    compile: bool = True
    fresh_probes: bool = False

    def __post_init__(self) -> None:
        check_int("num_moments", self.num_moments, minimum=2)
        check_int("probing_distance", self.probing_distance, minimum=1)
        check_int("num_random_vectors", self.num_random_vectors, minimum=1)
        check_int("seed", self.seed, minimum=0)
        if self.kernel not in KERNELS:
            raise ValueError(f"kernel must be one of {KERNELS}, got {self.kernel!r}")
        if self.dtype not in DTYPES:
            raise ValueError(f"dtype must be one of {tuple(DTYPES)}, got {self.dtype!r}")
        if not isinstance(self.compile, bool):
            raise TypeError(f"compile must be a bool, got {self.compile!r}")
        if not isinstance(self.fresh_probes, bool):
            raise TypeError(f"fresh_probes must be a bool, got {self.fresh_probes!r}")
        resolve_device(self.device)


class KPMSolver:
    """Exchange fields H_i = -dOmega_est/dS_i in O(N) time and memory (see module docstring).

    Parameters
    ----------
    params : SDModelParams
    settings : KPMParams

    Examples
    --------
    >>> from torquenet.textures import random_spins
    >>> settings = KPMParams(num_moments=300, probing_distance=6, compile=False)
    >>> solver = KPMSolver(SDModelParams(), settings)
    >>> res = solver.compute(random_spins(6, np.random.default_rng(0)))
    >>> res.fields.shape, res.grand_potential.shape
    ((6, 6, 3), ())
    """

    provides_energy = True

    def __init__(self, params: SDModelParams | None = None, settings: KPMParams | None = None):
        self.params = params or SDModelParams()
        self.settings = settings or KPMParams()
        self.device = resolve_device(self.settings.device)
        self.dtype = DTYPES[self.settings.dtype]
        self.bounds = spectral_bounds(self.params)
        M = self.settings.num_moments
        coeffs = grand_potential_coefficients(
            M, self.params.chemical_potential, self.params.electron_temperature, self.bounds
        )
        self._warn_if_unconverged(coeffs)
        #: w_m = g_m c_m, units of t1
        self.moment_weights = coeffs * damping_factors(self.settings.kernel, M)
        self._stencil = hopping_stencil(self.params, self.bounds.half_width)
        self._probe_cache: dict[int, torch.Tensor] = {}
        self._probe_weight: dict[int, float] = {}
        #: (stream, step) of the fresh probes in use, None for the fixed set (fresh_probes only).
        self._step_key: tuple[int, int] | None = None
        if self.settings.compile:
            self._forward = torch.compile(_forward_step, dynamic=False, options=FUSION_OPTIONS)
            self._backward = torch.compile(_backward_step, dynamic=False, options=FUSION_OPTIONS)
        else:
            self._forward, self._backward = _forward_step, _backward_step

    def __repr__(self) -> str:
        return f"KPMSolver({self.params}, {self.settings})"

    # ------------------------------------------------------------------ public API
    def compute(self, spins: NDArray[np.float64]) -> FieldResult:
        """Fields (..., L, L, 3) and estimated Omega (...,) for spins (L, L, 3) or (B, L, L, 3).

        Raises
        ------
        ValueError
            Bad spins, L too small for the hopping shells, or a probing distance that does not
            divide L.
        """
        spins = check_spins(spins)
        L = spins.shape[-2]
        TriangularLattice(L).check_supports_shells(self.params.num_shells)
        flat = spins.reshape(-1, L, L, 3)
        probes = self.probes(L)
        fields = np.zeros(flat.shape)
        omega = np.zeros(flat.shape[0])
        for textures, columns in self._blocks(flat.shape[0], L, probes.shape[-1]):
            spins_t = torch.from_numpy(flat[textures]).to(device=self.device, dtype=self.dtype)
            block_fields, block_omega = self._evaluate(spins_t, probes[..., columns])
            fields[textures] += block_fields.cpu().numpy()
            omega[textures] += block_omega.cpu().numpy()
        return FieldResult(
            fields=fields.reshape(spins.shape), grand_potential=omega.reshape(spins.shape[:-3])
        )

    def begin_step(self, stream: int, step: int) -> None:
        """Use the probes of LLG step ``step`` of the run ``stream`` (with ``fresh_probes``).

        ``stream`` separates independent runs (``simulate`` passes the run's seed), ``step``
        the steps of one run; a no-op without ``fresh_probes``.
        """
        if not self.settings.fresh_probes:
            return
        key = (check_int("stream", stream, minimum=0), check_int("step", step, minimum=0))
        if key != self._step_key:
            self._step_key = key
            self._probe_cache.clear()  # only the current step's probes are kept

    def probes(self, L: int) -> torch.Tensor:
        """The probe vectors used on an L x L lattice, shape (L, L, 4, P) (cached per L, and
        per step with ``fresh_probes``)."""
        if L not in self._probe_cache:
            period = colouring_period(L, self.settings.probing_distance)
            # One generator per (seed, L): the phases do not depend on which sizes came before;
            # fresh probes add (stream, step), in an entropy of another length (no collision).
            entropy = [self.settings.seed, L]
            if self._step_key is not None:
                stream, step = self._step_key
                entropy = [self.settings.seed, stream, L, step]
            seed = int(np.random.SeedSequence(entropy).generate_state(1)[0])
            generator = torch.Generator().manual_seed(seed)
            probes = probe_vectors(
                sublattice_colouring(L, period),
                self.settings.num_random_vectors,
                generator,
                dtype=self.dtype,
                device=self.device,
            )
            self._probe_cache[L] = probes
            # Omega_est averages the R realisations: weight 1/R (R = 1 when deterministic).
            self._probe_weight[L] = 2 * period**2 / probes.shape[-1]
            log = logger.debug if self._step_key is not None else logger.info
            log(
                "KPM on L = %d: colour period %d, %d probe vectors, %d moments, %s on %s",
                L, period, self._probe_cache[L].shape[-1], self.settings.num_moments,
                self.settings.dtype, self.device,
            )  # fmt: skip
        return self._probe_cache[L]

    def operation_count(self, L: int) -> float:
        """1.5 M nnz(H) P: complex multiply-adds of one field evaluation on an L x L lattice."""
        nnz = 2 * L * L * (len(self._stencil) + 2)  # hopping per spin + the on-site 2x2 block
        return 1.5 * self.settings.num_moments * nnz * self.probes(L).shape[-1]

    # ------------------------------------------------------------------ internals
    def _warn_if_unconverged(self, coeffs: NDArray[np.float64]) -> None:
        tail = np.abs(coeffs[-max(1, len(coeffs) // 20) :]).max() / np.abs(coeffs).max()
        if tail > SERIES_TAIL_TOLERANCE:
            logger.warning(
                "Chebyshev series of omega at kT = %g is not converged with %d moments "
                "(tail/max |c_m| = %.1e > %.0e); the relative torque error from truncation is "
                "typically 100-500 times this ratio",
                self.params.electron_temperature, len(coeffs), tail, SERIES_TAIL_TOLERANCE,
            )  # fmt: skip

    def _blocks(self, num_textures: int, L: int, num_probes: int) -> Iterator[tuple[slice, slice]]:
        """(texture, probe) slices processed together (see CACHE_BLOCK_BYTES, WORKSPACE_BYTES)."""
        itemsize = torch.finfo(self.dtype).bits // 8
        vector_bytes = L * L * 4 * itemsize  # per probe column
        if self.device.type == "cpu":
            lanes = SIMD_BYTES // itemsize
            columns = max(MIN_BLOCK_COLUMNS, CACHE_BLOCK_BYTES // vector_bytes // lanes * lanes)
        else:
            lanes = 1
            columns = max(1, WORKSPACE_BYTES // (vector_bytes * NUM_WORK_VECTORS))
        textures_per_block = max(1, columns // num_probes)
        num_probe_blocks = _equal_split(num_probes, -(-num_probes // columns), lanes)
        edges = np.arange(num_probe_blocks + 1) * num_probes // num_probe_blocks
        for start in range(0, num_textures, textures_per_block):
            textures = slice(start, min(start + textures_per_block, num_textures))
            for lo, hi in zip(edges[:-1], edges[1:]):
                yield textures, slice(int(lo), int(hi))

    def _series_coefficients(
        self, probe_weight: float
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """A_n, B_n of Omega_est = sum_n A_n <a_n|a_n> + B_n Re<a_{n+1}|a_n>, n = 0 .. K+1."""
        w = self.moment_weights * probe_weight
        K = len(w) // 2
        A, B = np.zeros(K + 2), np.zeros(K + 2)
        m = np.arange(len(w))
        even, odd = m[(m % 2 == 0) & (m >= 2)], m[(m % 2 == 1) & (m >= 3)]
        # mu_0 = <a0|a0>, mu_1 = Re<a1|a0>, mu_2n = 2<an|an> - mu_0, mu_2n+1 = 2Re<an+1|an> - mu_1
        A[0] = w[0] - w[even].sum()
        B[0] = w[1] - w[odd].sum()
        np.add.at(A, even // 2, 2 * w[even])
        np.add.at(B, (odd - 1) // 2, 2 * w[odd])
        return A, B

    def _evaluate(self, spins: torch.Tensor, probes: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """Fields (B, L, L, 3) and Omega_est (B,) of one block of textures and probe columns."""
        a, J = self.bounds.half_width, self.params.sd_coupling
        onsite = onsite_matrix(spins, J, self.bounds.center, a)
        stencil = self._stencil
        A, B = self._series_coefficients(self._probe_weight[spins.shape[1]])
        K = len(A) - 2
        # per backward step n: (A_n, B_n / 2, B_{n-1} / 2)
        seeds = np.stack([A, 0.5 * B, 0.5 * np.concatenate([[0.0], B[:-1]])], axis=-1)
        seeds_t = torch.tensor(seeds, dtype=self.dtype, device=self.device)
        alpha0 = probes.expand(spins.shape[0], *probes.shape).contiguous()

        # Forward: alpha_1 = H~ alpha_0 (half of the generic step with alpha_{-1} = 0), then
        # alpha_{n+1} = 2 H~ alpha_n - alpha_{n-1} up to n + 1 = K + 1.
        zero = torch.zeros_like(alpha0)
        alpha1 = 0.5 * self._forward(zero, alpha0, onsite, stencil)[0]
        omega = A[0] * _inner(alpha0, alpha0) + A[1] * _inner(alpha1, alpha1)
        omega = omega + B[0] * _inner(alpha1, alpha0)
        prev, cur = alpha0, alpha1
        for n in range(1, K + 1):
            nxt, norm, overlap = self._forward(prev, cur, onsite, stencil)
            omega = omega + A[n + 1] * norm.double() + B[n] * overlap.double()
            prev, cur = cur, nxt

        # Backward: (alpha_{n+1}, alpha_n, lambda_{n+1}, lambda_{n+2}) -> (alpha_{n-1}, lambda_n).
        alpha_next, alpha = cur, prev
        lam_next, lam_next2 = torch.zeros_like(alpha), torch.zeros_like(alpha)
        acc = torch.zeros(spins.shape, dtype=self.dtype, device=self.device)
        for n in range(K, 0, -1):
            alpha_prev, lam, acc = self._backward(
                alpha_next, alpha, lam_next, lam_next2, seeds_t[n], acc, onsite, stencil
            )
            alpha_next, alpha = alpha, alpha_prev
            lam_next2, lam_next = lam_next, lam
        acc = acc + _onsite_products(lam_next, alpha0)
        if logger.isEnabledFor(logging.DEBUG):  # a full pass and a device sync: debug only
            drift = float((alpha - alpha0).abs().max())
            logger.debug("KPM reversal drift max|alpha_0 regenerated - probe| = %.2e", drift)
        return (2 * J / a) * acc.double(), omega


def _equal_split(total: int, minimum_parts: int, lanes: int = 1) -> int:
    """The smallest number of parts >= minimum_parts (and < twice that) that splits total into
    equal parts, preferably of a multiple of ``lanes`` each.

    Equal blocks share one compiled kernel (unequal ones would compile a second shape), and
    blocks of whole SIMD vectors leave no scalar remainder loop.
    """
    candidates = range(minimum_parts, min(2 * minimum_parts, total + 1))
    for size_multiple in (lanes, 1):
        for parts in candidates:
            if total % parts == 0 and (total // parts) % size_multiple == 0:
                return parts
    return minimum_parts


# ---------------------------------------------------------------------- kernels
def hopping_stencil(params: SDModelParams, half_width: float) -> Stencil:
    """((n1, n2), -t_n / a) for every neighbour offset of every shell with t_n != 0."""
    return tuple(
        ((int(n1), int(n2)), -t / half_width)
        for shell, t in enumerate(params.hopping, start=1)
        if t != 0.0
        for n1, n2 in TriangularLattice.neighbor_offsets(shell)
    )


def onsite_matrix(
    spins: torch.Tensor, sd_coupling: float, center: float, half_width: float
) -> torch.Tensor:
    """Real 4x4 form of the on-site block (-J S.sigma - b) / a, shape (B, L, L, 4, 4).

    Acting on the components (x0, x1, x2, x3) = (Re up, Im up, Re down, Im down), with
    u = J S / a and s = b / a, the complex block -u.sigma - s maps
    up -> -(u_z + s) up - (u_x - i u_y) down and down -> -(u_x + i u_y) up + (u_z - s) down.
    """
    u = (sd_coupling / half_width) * spins
    ux, uy, uz = u.unbind(-1)
    s = torch.full_like(ux, center / half_width)
    zero = torch.zeros_like(ux)
    rows = [
        [-uz - s, zero, -ux, -uy],
        [zero, -uz - s, uy, -ux],
        [-ux, uy, uz - s, zero],
        [-uy, -ux, zero, uz - s],
    ]
    return torch.stack([torch.stack(row, dim=-1) for row in rows], dim=-2)


def _apply_hamiltonian(
    x: torch.Tensor,
    onsite: torch.Tensor,
    stencil: Stencil,
    twist: tuple[float, float] | None = None,
) -> torch.Tensor:
    """H~ x = (H - b) x / a for x of shape (B, L, L, 4, P).

    Parameters
    ----------
    onsite : Tensor, shape (B, L, L, 4, 4)
        From :func:`onsite_matrix`.
    stencil : tuple of ((n1, n2), coefficient)
        -t_n / a for each neighbour offset: (H_0 x)_i = -sum_delta t x_{i + delta}.
    twist : (theta1, theta2) or None
        Boundary twist as in :func:`torquenet.model.hopping_matrix` (eager path only): the
        element H_(i, i + delta) of a hop that crosses the boundary w = floor((i + delta) / L)
        times picks up exp(-i theta . w) (the conjugate of the bond i -> i + delta).

    Notes
    -----
    Two spellings of the same sum.  Under ``torch.compile`` only broadcast multiply-adds and
    torch.roll (no matmul, stack or in-place slices), which the compiler fuses into one pass over
    x.  Eagerly, a batched 4x4 matmul and in-place adds of shifted slices, which avoid the copies
    torch.roll makes (8x faster at L = 24).  The compiled-vs-eager test keeps them equal.
    """
    if torch.compiler.is_compiling():
        if twist is not None:
            raise NotImplementedError("boundary twists are implemented on the eager path only")
        y = onsite[..., 0, None] * x[..., 0:1, :]
        for d in range(1, 4):
            y = y + onsite[..., d, None] * x[..., d : d + 1, :]
        for (n1, n2), coefficient in stencil:
            y = y + coefficient * torch.roll(x, shifts=(-n1, -n2), dims=(1, 2))
        return y
    L = x.shape[1]
    y = torch.matmul(onsite, x)
    for (n1, n2), coefficient in stencil:
        # y[i, j] += c x[(i + n1) % L, (j + n2) % L], in at most 2 x 2 rectangular pieces
        for out_i, in_i in _wrapped_slices(n1, L):
            for out_j, in_j in _wrapped_slices(n2, L):
                piece = x[:, in_i, in_j]
                if twist is not None:
                    winding = ((out_i.start + n1) // L, (out_j.start + n2) // L)
                    piece = _phase_rotate(piece, -(twist[0] * winding[0] + twist[1] * winding[1]))
                y[:, out_i, out_j].add_(piece, alpha=coefficient)
    return y


def _phase_rotate(x: torch.Tensor, phase: float) -> torch.Tensor:
    """exp(i phase) x for spinors in real form (..., 4, P) = (up.re, up.im, down.re, down.im)."""
    if phase == 0.0:
        return x
    c, s = math.cos(phase), math.sin(phase)
    re, im = x[..., 0::2, :], x[..., 1::2, :]
    return torch.stack([c * re - s * im, s * re + c * im], dim=-2).flatten(-3, -2)


def _wrapped_slices(shift: int, L: int) -> list[tuple[slice, slice]]:
    """(out, in) slice pairs with out[k] <- in[(k + shift) % L] for k in range(L)."""
    shift %= L
    if shift == 0:
        return [(slice(0, L), slice(0, L))]
    return [(slice(0, L - shift), slice(shift, L)), (slice(L - shift, L), slice(0, shift))]


def _onsite_products(lam: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """(Re(Z01 + Z10), Im(Z01 - Z10), Re(Z00 - Z11)), Z[a, b] = sum_p conj(lam_a) x_b; (B,L,L,3).

    In components (0, 1, 2, 3) = (Re up, Im up, Re down, Im down) with G[c, d] = sum_p lam_c x_d:
    Re Z01 + Re Z10 = G02 + G13 + G20 + G31, Im Z01 - Im Z10 = G03 - G12 - G21 + G30,
    Re Z00 - Re Z11 = G00 + G11 - G22 - G33.  Fused element-wise under torch.compile, a batched
    matmul for G eagerly (see :func:`_apply_hamiltonian`).
    """
    if torch.compiler.is_compiling():
        l0, l1, l2, l3 = lam.unbind(-2)
        x0, x1, x2, x3 = x.unbind(-2)
        fx = (l0 * x2 + l1 * x3 + l2 * x0 + l3 * x1).sum(-1)
        fy = (l0 * x3 - l1 * x2 - l2 * x1 + l3 * x0).sum(-1)
        fz = (l0 * x0 + l1 * x1 - l2 * x2 - l3 * x3).sum(-1)
        return torch.stack([fx, fy, fz], dim=-1)
    g = torch.matmul(lam, x.transpose(-1, -2))
    fx = g[..., 0, 2] + g[..., 1, 3] + g[..., 2, 0] + g[..., 3, 1]
    fy = g[..., 0, 3] - g[..., 1, 2] - g[..., 2, 1] + g[..., 3, 0]
    fz = g[..., 0, 0] + g[..., 1, 1] - g[..., 2, 2] - g[..., 3, 3]
    return torch.stack([fx, fy, fz], dim=-1)


def _inner(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Re <x|y> per texture, shape (B,), accumulated in float64."""
    return (x * y).sum(dim=(1, 2, 3, 4), dtype=torch.float64)


def _forward_step(
    prev: torch.Tensor, cur: torch.Tensor, onsite: torch.Tensor, stencil: Stencil
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """alpha_{n+1} = 2 H~ alpha_n - alpha_{n-1}, with <a_{n+1}|a_{n+1}> and Re<a_{n+1}|a_n>."""
    nxt = 2 * _apply_hamiltonian(cur, onsite, stencil) - prev
    return nxt, (nxt * nxt).sum(dim=(1, 2, 3, 4)), (nxt * cur).sum(dim=(1, 2, 3, 4))


def _backward_step(
    alpha_next: torch.Tensor,
    alpha: torch.Tensor,
    lam_next: torch.Tensor,
    lam_next2: torch.Tensor,
    seeds: torch.Tensor,
    acc: torch.Tensor,
    onsite: torch.Tensor,
    stencil: Stencil,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """One adjoint step n: returns alpha_{n-1}, lambda_n and acc + 2 Z(lambda_{n+1}, alpha_n).

    ``seeds`` = (A_n, B_n / 2, B_{n-1} / 2): lambda_n = A_n a_n + B_n/2 a_{n+1} + B_{n-1}/2 a_{n-1}
    + 2 H~ lambda_{n+1} - lambda_{n+2}.
    """
    h_alpha = _apply_hamiltonian(alpha, onsite, stencil)
    h_lam = _apply_hamiltonian(lam_next, onsite, stencil)
    alpha_prev = 2 * h_alpha - alpha_next
    lam = seeds[0] * alpha + seeds[1] * alpha_next + seeds[2] * alpha_prev + 2 * h_lam - lam_next2
    return alpha_prev, lam, acc + 2 * _onsite_products(lam_next, alpha)
