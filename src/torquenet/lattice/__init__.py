"""Lattice geometry: positions, neighbour shells, momenta, point group, triangles."""

from torquenet.lattice._triangular import Bonds, PointGroupOperation, TriangularLattice

__all__ = ["Bonds", "PointGroupOperation", "TriangularLattice"]
