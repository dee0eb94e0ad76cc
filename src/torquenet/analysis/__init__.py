"""Analysis and figures: snapshots, S(q) pictures, accuracy metrics, receptive fields."""

from torquenet.analysis._comparison import ComparisonConfig, compare_ensembles
from torquenet.analysis._ensembles import (
    EnsembleStructureFactor,
    ensemble_structure_factor,
    plot_time_series,
)
from torquenet.analysis._evaluation import EvaluationConfig, evaluate_model
from torquenet.analysis._figures import pyplot, save_figure
from torquenet.analysis._metrics import (
    angle_error_degrees,
    equivariance_errors,
    relative_l1_loss,
    relative_magnitude_error,
    relative_rms_error,
    torque_metrics,
)
from torquenet.analysis._momentum import (
    brillouin_zone_corners,
    peak_intensity,
    plot_structure_factor,
    skyrmion_peak_indices,
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
from torquenet.analysis._snapshots import plot_texture
from torquenet.analysis._trajectory_report import (
    STRUCTURE_FACTOR_NORMALISATION,
    AnalysisConfig,
    analyze_trajectories,
    count_skyrmions,
)
from torquenet.observables import perpendicular_part

__all__ = [
    "STRUCTURE_FACTOR_NORMALISATION",
    "AnalysisConfig",
    "ComparisonConfig",
    "EvaluationConfig",
    "ReceptiveFieldConfig",
    "analyze_trajectories",
    "compare_ensembles",
    "count_skyrmions",
    "evaluate_model",
    "receptive_field_report",
    "EnsembleStructureFactor",
    "ensemble_structure_factor",
    "plot_time_series",
    "angle_error_degrees",
    "brillouin_zone_corners",
    "effective_receptive_field",
    "equivariance_errors",
    "peak_intensity",
    "perpendicular_part",
    "plot_receptive_field",
    "plot_structure_factor",
    "plot_texture",
    "pyplot",
    "receptive_field_radius",
    "relative_l1_loss",
    "relative_magnitude_error",
    "relative_rms_error",
    "save_figure",
    "skyrmion_peak_indices",
    "torque_metrics",
]
