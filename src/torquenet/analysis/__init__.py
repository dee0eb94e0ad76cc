"""Analysis and figures: texture snapshots (more to come: S(q,t), evaluation plots)."""

from torquenet.analysis._figures import pyplot, save_figure
from torquenet.analysis._snapshots import plot_texture

__all__ = ["plot_texture", "pyplot", "save_figure"]
