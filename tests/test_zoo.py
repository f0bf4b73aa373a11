"""timm's zoo (issue 29): the family list, ``check timm:NAME``, and the cached timm census, in which
every model is analysed or refused with the reason its graph gives (never an internal error)."""

from pathlib import Path

import pandas as pd
import pytest

from deadpixels.paper.cli import main
from deadpixels.paper.experiments import get_experiment
from deadpixels.paper.lab.zoo import timm_families, timm_model
from deadpixels.paper.pipeline.results import load

timm = pytest.importorskip("timm")


def test_the_family_list_has_sixty_families_of_real_models():
    families = timm_families()
    names = set(timm.list_models())
    assert len({f for f, _ in families}) == len(families) >= 60
    assert not [m for _, m in families if m not in names]


def test_unknown_timm_names_are_refused_with_suggestions():
    with pytest.raises(ValueError, match=r"unknown timm model 'resnet5'; did you mean resnet50"):
        timm_model("resnet5")


def test_check_timm_model_through_a_space_to_depth_stem(tmp_path, capsys):
    """TResNet: 3 input channels (not the 48 of its first convolution), stride 32 through the 4x4
    space-to-depth stem, 18 gates, and no checkerboard (anti-aliased downsampling, no odd/even layer)."""
    assert main(["check", "timm:tresnet_m", "--png", str(tmp_path / "t.png")]) == 0
    out = capsys.readouterr().out
    assert "stride 32" in out and "18 squeeze-and-excitation style gate(s)" in out
    assert "layers with an odd kernel and an even stride: 0" in out and "lattice ratio = 1.000" in out


def test_the_cached_timm_census_gives_every_model_a_true_status():
    res = load(get_experiment("timm_census"), "cpu")
    zoo = res.tables["zoo"]
    assert len(zoo) == len(timm_families())
    status = zoo["status"].astype(str)
    assert (status.eq("analysed") | status.str.startswith(("excluded: ", "no TRF, ERF from the module tree: "))).all()
    assert not status.str.contains("Error|internal|NaN or infinite", regex=True).any()
    transformers = zoo[zoo["family"].isin(["vit", "deit", "mlp-mixer", "resmlp", "gmlp", "levit"])]
    assert transformers["status"].str.endswith("not a CNN").all()
    analysed = zoo[status.eq("analysed")]
    assert analysed["lattice"].notna().all() and (analysed["lattice"] >= 1).all()
    assert analysed["trf"].notna().all()  # every analysed model has a (spatial path's) TRF


def test_the_47_cnns_analysed_before_gates_keep_their_census_values():
    """Issue 29: analysing gated nets, regrouping stems, products and weight-standardised layers
    must not move any number of a model that was already analysed. The pinned values are the
    census of commit 83ff9bc, before any of it; they must agree within the census's own verify
    tolerance (float32 maps: a rerun with other threads moves L1 by about 1e-5 relative)."""
    before = pd.read_csv(Path(__file__).parent / "data" / "census_before_gates.csv").set_index("model")
    now = load(get_experiment("census"), "cpu").tables["census"].set_index("model").loc[before.index]
    assert (now["status"] == "analysed").all()
    tolerance = get_experiment("census").tolerance
    for col in before.columns:
        assert tolerance.allows(before[col].astype(float), now[col].astype(float)).all(), col
