"""The purely convolutional ResNet mapping a spin texture to its electron torques (paper Figs. 1-2).

Input and output are channels-first lattice images: ``spins[i, j, :]`` of the L x L triangular
lattice (site r = i a1 + j a2) becomes ``x[:, :, i, j]``.  On this grid the six nearest neighbours
of (i, j) are the offsets (+-1, 0), (0, +-1), (1, -1), (-1, 1), so a k x k kernel with k >= 3 sees
every bond of the first shell, and circular padding makes every convolution respect the torus.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from torquenet._validation import check_float, check_int
from torquenet.observables import perpendicular_part


@dataclass(frozen=True)
class ModelConfig:
    """Architecture of :class:`TorqueCNN`.

    Parameters
    ----------
    architecture : str
        Always "resnet" (the tag that selects this architecture in config files).
    widths : tuple of int
        Output channels of each ResNet block (one block per entry).  Each block is two
        ``kernel_size`` x ``kernel_size`` convolutions with ReLU; its skip path is the identity
        when the width is unchanged and a 1 x 1 convolution otherwise (paper Fig. 2).
    kernel_size : int
        Odd side length k of every spatial kernel (blocks and head).
    head_width : int or None
        Channels between the two head convolutions; None means ``widths[-1] // 2`` (at least 3).
    project_perpendicular : bool
        Remove the component of the output parallel to each spin, T -> T - (T.S) S, which a
        torque must satisfy.  Off by default, as in the paper, where the network learns it.

    Examples
    --------
    >>> ModelConfig().widths
    (32, 32, 64, 64)
    >>> receptive_field(MODEL_PRESETS["paper"])
    41
    """

    widths: tuple[int, ...] = (32, 32, 64, 64)
    kernel_size: int = 5
    head_width: int | None = None
    project_perpendicular: bool = False
    architecture: str = "resnet"

    def __post_init__(self) -> None:
        if self.architecture != "resnet":
            raise ValueError(
                f"ModelConfig.architecture must be 'resnet', got {self.architecture!r}"
            )
        widths = tuple(self.widths)
        if not widths:
            raise ValueError("widths must name at least one ResNet block, got ()")
        object.__setattr__(
            self,
            "widths",
            tuple(check_int(f"widths[{n}]", w, minimum=1) for n, w in enumerate(widths)),
        )
        k = check_int("kernel_size", self.kernel_size, minimum=1)
        if k % 2 == 0:
            raise ValueError(f"kernel_size must be odd so the output stays centred, got {k}")
        if self.head_width is not None:
            check_int("head_width", self.head_width, minimum=1)
        if not isinstance(self.project_perpendicular, bool):
            raise TypeError(
                f"project_perpendicular must be a bool, got {self.project_perpendicular!r}"
            )

    @property
    def resolved_head_width(self) -> int:
        """Channels between the two head convolutions."""
        if self.head_width is not None:
            return self.head_width
        return max(self.widths[-1] // 2, 3)


#: Named architectures.  ``paper``: four blocks reaching 512 features, 5 x 5 kernels (Sec. III B,
#: theoretical receptive field 41; 16.5 M parameters; measured 0.20 s per forward pass and
#: 1.5 training samples/s at L = 48 on 2 CPU cores).  ``default``: same depth, kernels and
#: receptive field with widths 32-32-64-64 (0.49 M parameters; 7.6 ms and 41 samples/s, ~27x
#: cheaper), sized to train on a 2-core CPU.  Its accuracy against wider and narrower candidates
#: is still to be measured on the real dataset; costs in benchmarks/results/cnn.md.
MODEL_PRESETS: dict[str, ModelConfig] = {
    "paper": ModelConfig(widths=(64, 128, 256, 512), kernel_size=5),
    "default": ModelConfig(),
}


def receptive_field(config: ModelConfig) -> int:
    """Theoretical receptive field (side length, in sites) of the network.

    Every spatial convolution of stride 1 with a k x k kernel grows the field by k - 1 (Minkowski
    sum of the kernel supports, paper Sec. III E); the network has two per block and two in the
    head, and the 1 x 1 skips add nothing.

    .. math:: \\mathrm{RF} = 1 + (k - 1)(2 n_\\mathrm{blocks} + 2)

    Examples
    --------
    >>> receptive_field(ModelConfig(widths=(8,), kernel_size=3))
    9
    """
    num_spatial_convs = 2 * len(config.widths) + 2
    return 1 + (config.kernel_size - 1) * num_spatial_convs


def _conv(in_channels: int, out_channels: int, kernel_size: int) -> nn.Conv2d:
    return nn.Conv2d(
        in_channels,
        out_channels,
        kernel_size,
        padding=kernel_size // 2,
        padding_mode="circular",  # periodic boundaries: the network lives on the torus
    )


class ResNetBlock(nn.Module):
    """Two k x k convolutions with ReLU, added to an identity or 1 x 1 skip (paper Fig. 2).

    ``out = relu(conv2(relu(conv1(x)))) + skip(x)``.  No batch normalisation (paper Sec. III B).
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int) -> None:
        super().__init__()
        self.conv1 = _conv(in_channels, out_channels, kernel_size)
        self.conv2 = _conv(out_channels, out_channels, kernel_size)
        self.skip: nn.Module = (
            nn.Identity()
            if in_channels == out_channels
            else nn.Conv2d(in_channels, out_channels, kernel_size=1)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = torch.relu(self.conv1(x))
        h = torch.relu(self.conv2(h))
        return h + self.skip(x)


class TorqueCNN(nn.Module):
    """Spin texture -> electron torque T_perp on every site, for any lattice size L.

    Parameters
    ----------
    config : ModelConfig
        The architecture.
    torque_scale : float
        Mean torque magnitude of the training data (units of t1).  The network computes torques in
        units of this scale ("mean magnitude 1", paper Sec. III B) and multiplies by it; it is a
        registered buffer, so it travels with the weights.
    generator : torch.Generator, optional
        Source of the initial weights (PyTorch's default Kaiming-uniform scheme).  None uses the
        global torch RNG.

    Notes
    -----
    Shapes: input spins (batch, 3, L, L), output torques (batch, 3, L, L), channels first, with
    ``spins[b, :, i, j]`` the spin of site r = i a1 + j a2.  The output is

    .. math:: \\mathbf{T}_i = s \\, f_\\theta(\\{\\mathbf{S}_j\\})_i,

    with s = ``torque_scale``; with ``project_perpendicular`` the component along S_i is removed.
    Because every layer is a stride-1 convolution with circular padding, the model commutes exactly
    with lattice translations (up to float rounding) and runs on any L >= kernel_size // 2.

    Examples
    --------
    >>> model = TorqueCNN(ModelConfig(widths=(4,), kernel_size=3))
    >>> model(torch.zeros(2, 3, 6, 6)).shape
    torch.Size([2, 3, 6, 6])
    """

    def __init__(
        self,
        config: ModelConfig | None = None,
        torque_scale: float = 1.0,
        generator: torch.Generator | None = None,
    ) -> None:
        super().__init__()
        self.config = config or ModelConfig()
        scale = check_float("torque_scale", torque_scale, minimum=0.0, strict_minimum=True)
        k = self.config.kernel_size
        blocks = []
        in_channels = 3
        for width in self.config.widths:
            blocks.append(ResNetBlock(in_channels, width, k))
            in_channels = width
        self.blocks = nn.Sequential(*blocks)
        head = self.config.resolved_head_width
        self.head1 = _conv(in_channels, head, k)
        self.head2 = _conv(head, 3, k)
        self.register_buffer("torque_scale", torch.tensor(scale, dtype=torch.float32))
        self.reset_parameters(generator)

    def reset_parameters(self, generator: torch.Generator | None = None) -> None:
        """Re-draw all weights with PyTorch's default conv initialisation from ``generator``."""
        with torch.no_grad():
            for module in self.modules():
                if isinstance(module, nn.Conv2d):
                    nn.init.kaiming_uniform_(module.weight, a=math.sqrt(5), generator=generator)
                    fan_in = module.weight[0].numel()
                    bound = 1.0 / math.sqrt(fan_in)
                    nn.init.uniform_(module.bias, -bound, bound, generator=generator)

    def forward(self, spins: torch.Tensor) -> torch.Tensor:
        """Torques (batch, 3, L, L) in units of t1 for spins (batch, 3, L, L)."""
        if spins.ndim != 4 or spins.shape[1] != 3:
            raise ValueError(
                "spins must have shape (batch, 3, L1, L2) (channels first), got "
                f"{tuple(spins.shape)}"
            )
        pad = self.config.kernel_size // 2
        if min(spins.shape[-2:]) < pad:
            raise ValueError(
                f"lattice {tuple(spins.shape[-2:])} is smaller than the circular padding {pad} "
                f"of kernel_size {self.config.kernel_size}"
            )
        h = self.blocks(spins)
        h = torch.relu(self.head1(h))
        torques = self.head2(h) * self.torque_scale.to(spins.dtype)
        if self.config.project_perpendicular:
            torques = perpendicular_part(torques, spins, axis=1)
        return torques


def count_parameters(model: nn.Module) -> int:
    """Number of trainable parameters.

    Examples
    --------
    >>> count_parameters(TorqueCNN(MODEL_PRESETS["default"]))
    493859
    """
    return sum(p.numel() for p in model.parameters() if p.requires_grad)
