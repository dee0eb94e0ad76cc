import pytest

from torquenet.model import SDModelParams


def test_defaults_are_the_paper_values():
    p = SDModelParams()
    assert p.hopping == (1.0, 0.0, -0.85)
    assert (p.sd_coupling, p.chemical_potential) == (1.0, -3.5)
    assert not hasattr(p, "external_field")  # H_ext belongs to the dynamics (LLGParams)
    assert p.num_shells == 3


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"electron_temperature": -0.1}, "electron_temperature must be >= 0.0"),
        ({"hopping": (1.0, 0.0)}, "hopping must be"),
        ({"chemical_potential": float("nan")}, "chemical_potential must be finite"),
        ({"sd_coupling": "1"}, "sd_coupling must be a real number"),
    ],
)
def test_bad_parameters_raise_with_the_name(kwargs, message):
    with pytest.raises((ValueError, TypeError), match=message):
        SDModelParams(**kwargs)
