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
    run_llg,
    setting_problems,
    sib_step,
    solver_field_function,
)

__all__ = [
    "LLG_EQUATION",
    "MAX_STEP_ROTATION",
    "NORM_DRIFT_LIMIT",
    "FieldFunction",
    "IntegrationError",
    "LLGParams",
    "StepObserver",
    "cayley_rotate",
    "check_integrity",
    "run_llg",
    "setting_problems",
    "sib_step",
    "solver_field_function",
]
