"""Stochastic Landau-Lifshitz-Gilbert dynamics with the SIB scheme of Mentink et al. (2010)."""

from torquenet.dynamics._llg import (
    LLG_EQUATION,
    MAX_STEP_ROTATION,
    NORM_DRIFT_LIMIT,
    FieldFunction,
    IntegrationError,
    LLGParams,
    StepObserver,
    cayley_rotate,
    check_integrity,
    probe_noise_temperature,
    run_llg,
    setting_problems,
    sib_step,
    solver_field_function,
)
from torquenet.dynamics._noise import (
    COUNTER_NOISE_DERIVATION,
    NOISE_KINDS,
    CounterNoise,
    LangevinNoise,
    SequentialNoise,
)

__all__ = [
    "COUNTER_NOISE_DERIVATION",
    "LLG_EQUATION",
    "MAX_STEP_ROTATION",
    "NOISE_KINDS",
    "NORM_DRIFT_LIMIT",
    "CounterNoise",
    "FieldFunction",
    "IntegrationError",
    "LLGParams",
    "LangevinNoise",
    "SequentialNoise",
    "StepObserver",
    "cayley_rotate",
    "check_integrity",
    "probe_noise_temperature",
    "run_llg",
    "setting_problems",
    "sib_step",
    "solver_field_function",
]
