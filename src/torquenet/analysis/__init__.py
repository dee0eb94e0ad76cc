"""Analysis and figures: S(q, t) and snapshots of trajectories, model accuracy and symmetry,
receptive fields, exact-vs-model comparisons.

The report functions (``analyze_trajectories``, ``evaluate_model``, ``compare_ensembles``,
``receptive_field_report``) are the Python mirrors of ``torquenet analyze | evaluate | compare |
erf``; the ``plot_*`` functions draw one picture each on a matplotlib Axes.  Observables of a
single texture (topological charge, skyrmion counts, S(q), Bragg peaks) live in
:mod:`torquenet.observables`.
"""

from torquenet.analysis._comparison import (
    ComparisonConfig,
    compare_ensembles,
    paired_relative_difference,
)
from torquenet.analysis._ensembles import (
    EnsembleStructureFactor,
    ensemble_structure_factor,
    plot_time_series,
)
from torquenet.analysis._evaluation import EvaluationConfig, evaluate_model
from torquenet.analysis._figures import save_figure
from torquenet.analysis._metrics import (
    angle_error_degrees,
    equivariance_errors,
    relative_l1_loss,
    relative_magnitude_error,
    relative_rms_error,
    torque_metrics,
)
from torquenet.analysis._momentum import (
    STRUCTURE_FACTOR_SCALES,
    brillouin_zone_corners,
    plot_structure_factor,
    structure_factor_scale,
)
from torquenet.analysis._phase_energies import (
    PHASE_CELL,
    PhaseEnergies,
    compare_phase_energies,
    reference_phases,
)
from torquenet.analysis._receptive_field import (
    effective_receptive_field,
    plot_receptive_field,
    receptive_field_radius,
)
from torquenet.analysis._receptive_field_report import (
    ReceptiveFieldConfig,
    receptive_field_report,
)
from torquenet.analysis._ring import (
    DEFAULT_RING_CUT,
    NESTING_WAVENUMBER,
    RingMoments,
    folded_momentum_norms,
    power_law_fit,
    ring_moments,
)
from torquenet.analysis._snapshots import plot_corner_snapshots, plot_texture
from torquenet.analysis._trajectory_report import (
    STRUCTURE_FACTOR_NORMALISATION,
    AnalysisConfig,
    analyze_trajectories,
)

__all__ = [
    "DEFAULT_RING_CUT",
    "NESTING_WAVENUMBER",
    "PHASE_CELL",
    "PhaseEnergies",
    "RingMoments",
    "compare_phase_energies",
    "reference_phases",
    "folded_momentum_norms",
    "power_law_fit",
    "ring_moments",
    "STRUCTURE_FACTOR_NORMALISATION",
    "STRUCTURE_FACTOR_SCALES",
    "AnalysisConfig",
    "ComparisonConfig",
    "EnsembleStructureFactor",
    "EvaluationConfig",
    "ReceptiveFieldConfig",
    "analyze_trajectories",
    "angle_error_degrees",
    "brillouin_zone_corners",
    "compare_ensembles",
    "effective_receptive_field",
    "ensemble_structure_factor",
    "paired_relative_difference",
    "equivariance_errors",
    "evaluate_model",
    "plot_corner_snapshots",
    "plot_receptive_field",
    "plot_structure_factor",
    "plot_texture",
    "plot_time_series",
    "receptive_field_radius",
    "receptive_field_report",
    "relative_l1_loss",
    "relative_magnitude_error",
    "relative_rms_error",
    "save_figure",
    "structure_factor_scale",
    "torque_metrics",
]
