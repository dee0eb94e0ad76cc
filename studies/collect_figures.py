"""Copy the figures REPRODUCTION.md shows into docs/figures/, downscaled to <= 1200 px wide.

Usage: .venv/bin/python studies/collect_figures.py   (after the commands in REPRODUCTION.md)
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
FIGURES = {
    "runs/eval_new/parity.png": "fig3_parity.png",
    "runs/eval_new/magnitude_angle.png": "fig4_magnitude_angle.png",
    "runs/compare_quench_new/structure_factor_comparison.png": "fig5_structure_factor.png",
    "runs/compare_quench_new/peak_comparison.png": "fig5_peak_intensity.png",
    "runs/quench48_compare/structure_factor_comparison.png": "fig5_L48_structure_factor.png",
    "runs/quench48_compare/peak_comparison.png": "fig5_L48_peak_intensity.png",
    "runs/frontier/frontier.png": "frontier.png",
    "runs/analyze_quench_model_new/snapshots.png": "fig6_quench_snapshots.png",
    "runs/demo_new/restoration/zoom.png": "fig7_restoration_zoom.png",
    "runs/demo_new/restoration/structure_factor_panels.png": "fig7_restoration_sq.png",
    "runs/demo_new/stability/peak_intensity.png": "fig8_stability_peak.png",
    "runs/demo_new/stability/topology.png": "fig8_stability_topology.png",
    "runs/eval_new/equivariance.png": "fig9_equivariance.png",
    "runs/erf_random_new/receptive_field.png": "fig10_receptive_field.png",
    "runs/coarsening/report_T0.001/coarsening.png": "coarsening.png",
    "runs/coarsening/report_T0/corner.png": "coarsening_corner.png",
    "runs/coarsening/report_T0/ring_profile.png": "coarsening_ring_profile.png",
    "runs/coarsening/report_T0/structure_factor_panels.png": "coarsening_structure_factor.png",
}


def main() -> None:
    out = ROOT / "docs" / "figures"
    out.mkdir(parents=True, exist_ok=True)
    for source, name in FIGURES.items():
        path = ROOT / source
        if not path.is_file():
            print(f"missing: {source}")
            continue
        image = Image.open(path)
        if image.width > 1200:
            image = image.resize((1200, round(image.height * 1200 / image.width)), Image.LANCZOS)
        image.convert("RGB").quantize(256).save(out / name, optimize=True)
        print(f"{source} -> docs/figures/{name} ({(out / name).stat().st_size // 1024} kB)")


if __name__ == "__main__":
    main()
