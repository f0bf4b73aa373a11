"""Bad command-line input: one clear message and a non-zero exit, before any work is done."""

import hashlib
import json
from pathlib import Path

import pytest
import torch

from deadpixels.paper import cli
from deadpixels.paper.pipeline import results as R


@pytest.fixture
def no_run(monkeypatch):
    """Fail the test if any experiment starts: every error below must come first."""

    def forbidden(*args, **kwargs):
        raise AssertionError("an experiment ran")

    monkeypatch.setattr(cli, "run_and_save", forbidden)


@pytest.mark.parametrize(
    "argv, message",
    [
        (["run", "", "--scale", "smoke"], "unknown experiment or chapter ''"),
        (["run", "0", "--scale", "smoke"], "unknown experiment or chapter '0'"),
        (["run", "trf", "--scale", "smoke", "--device", "tpu"], "unknown device 'tpu'"),
        (["run", "trf", "--scale", "smoke", "--device", "meta"], "cannot run the experiments"),
        (["verify", "trf", "--scale", "smoke", "--device", "meta"], "cannot run the experiments"),
        (["run", "kp_finetune", "--scale", "smoke", "--seeds", "0", "0"], "repeated: 0"),
        (["run", "kp_finetune", "--scale", "smoke", "--seeds", "-1"], "seeds must be whole numbers from 0"),
        (["run", "kp_finetune", "--scale", "smoke", "--seeds", str(2**40)], "seeds must be whole numbers from 0"),
        (["run", "trf", "kp_finetune", "--scale", "smoke", "--seeds", "3"], "has no field seeds"),
        (["run", "trf", "--scale", "smoke", "--slurm-time", "5"], "apply only with --executor slurm"),
        (["run", "trf", "--scale", "smoke", "--executor", "slurm", "--slurm-param", "foo=bar"],
         "'foo' is not a submitit parameter"),
        (["run", "trf", "--scale", "smoke", "--executor", "slurm", "--slurm-param", "timeout_min=abc"],
         "timeout_min takes a whole number"),
    ],
)
def test_bad_run_input_fails_before_any_work(results_tmp, capsys, no_run, argv, message):
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
def test_cuda_without_cuda_is_refused(results_tmp, capsys, no_run):
    assert cli.main(["run", "trf", "--scale", "smoke", "--device", "cuda"]) == 2
    assert "no CUDA GPU" in capsys.readouterr().err


def test_chapter_numbers_select_one_chapter(results_tmp, monkeypatch):
    ran = []
    monkeypatch.setattr(cli, "run_and_save", lambda exp, *a, **k: ran.append(exp.name) or _Folder())
    assert cli.main(["run", "04", "--scale", "smoke", "--quiet"]) == 0
    chapter4 = {"kp_exact", "classification", "imbalance_archs", "kp_finetune", "kp_growth", "kp_ineffect"}
    assert ran and set(ran) <= chapter4


class _Folder:
    folder = "-"


def test_unwritable_results_folder_is_found_before_the_run(capsys, monkeypatch, no_run):
    monkeypatch.setenv("DEADPIXELS_RESULTS", "/proc/no-results-here")
    assert cli.main(["run", "trf", "--scale", "smoke"]) == 2
    assert "cannot be written" in capsys.readouterr().err


@pytest.mark.parametrize("argv", [["check", "resnet18", "--size", "0"], ["check", "resnet18", "--size", "-5"]])
def test_check_refuses_a_non_positive_size(capsys, argv):
    with pytest.raises(SystemExit) as exc:
        cli.main(argv)
    assert exc.value.code == 2 and "positive whole number" in capsys.readouterr().err


def test_check_png_folder_and_bad_suffix(tmp_path, capsys):
    assert cli.main(["check", "resnet18", "--size", "64", "--png", str(tmp_path)]) == 0
    assert (tmp_path / "resnet18_erf.png").stat().st_size > 0
    assert str(tmp_path / "resnet18_erf.png") in capsys.readouterr().out
    assert cli.main(["check", "resnet18", "--png", str(tmp_path / "erf.jpg")]) == 2
    assert "must be a folder or a .png file" in capsys.readouterr().err


def test_check_of_a_one_channel_model(tmp_path, capsys):
    user = tmp_path / "gray.py"
    user.write_text(
        "import torch.nn as nn\n"
        "net = nn.Sequential(nn.Conv2d(1, 8, 3, stride=2, padding=1), nn.ReLU(), nn.Conv2d(8, 8, 3, stride=2))\n"
    )
    assert cli.main(["check", f"{user}:net", "--size", "64", "--png", str(tmp_path / "g.png")]) == 0
    out = capsys.readouterr().out
    assert "structural output ERF before KP" in out and "compile" not in out


def _cache(folder, provenance):
    folder.mkdir(parents=True)
    (folder / "provenance.json").write_text(provenance)


@pytest.mark.parametrize("bad", ["[]", "null", "{not json"])
def test_list_survives_a_bad_provenance_file_and_says_corrupt(results_tmp, capsys, bad):
    _cache(R.results_dir() / "census" / "cpu", bad)
    assert cli.main(["list"]) == 0
    out = capsys.readouterr().out
    assert "CORRUPT" in next(line for line in out.splitlines() if line.startswith("census"))
    assert "trf" in out  # the experiments after it are listed too


def test_list_says_date_unknown_and_a_config_word_in_the_path_is_harmless(tmp_path, capsys, monkeypatch):
    from deadpixels.paper.experiments import get_experiment

    monkeypatch.setenv("DEADPIXELS_RESULTS", str(tmp_path / "my-config-results"))
    exp = get_experiment("trf")
    table = b"a\n1\n"
    files = {"t.csv": hashlib.sha256(table).hexdigest()}  # a record lists its files (an empty map is corrupt)
    record = {"config_hash": R.config_hash(exp.config("cpu")), "files": files}
    _cache(R.results_dir() / "trf" / "cpu", json.dumps(record))
    (R.results_dir() / "trf" / "cpu" / "t.csv").write_bytes(table)
    assert cli.main(["list"]) == 0
    out = capsys.readouterr().out
    assert "date unknown" in out and "stale config" not in out


def test_claims_refuses_to_write_over_a_corrupt_result(results_tmp, capsys):
    _cache(R.results_dir() / "trf" / "cpu", "{not json")
    assert cli.main(["claims"]) == 2
    assert "corrupt" in capsys.readouterr().err
    assert not (R.results_dir() / "claims.csv").exists()


def test_claims_tells_a_damaged_table_from_a_missing_one(results_tmp, capsys):
    """An empty CSV in a cached result (pandas' EmptyDataError is a ValueError) is damage, not 'not run'."""
    import shutil

    src = Path(__file__).resolve().parents[1] / "data" / "results" / "kp_finetune" / "cpu"
    dst = R.results_dir() / "kp_finetune" / "cpu"
    shutil.copytree(src, dst)
    (dst / "padded.csv").write_text("")
    meta = json.loads((dst / "provenance.json").read_text())
    meta["files"]["padded.csv"] = hashlib.sha256(b"").hexdigest()  # a consistent, empty file
    (dst / "provenance.json").write_text(json.dumps(meta))
    assert cli.main(["claims"]) == 2
    err = capsys.readouterr().err
    assert "kp_finetune" in err and ("damaged" in err or "corrupt" in err)
    assert not (R.results_dir() / "claims.csv").exists()


def test_claims_refuses_a_results_folder_with_no_result_at_all(results_tmp, capsys):
    assert cli.main(["claims"]) == 2
    assert "no cached result at cpu scale" in capsys.readouterr().err
    assert not (R.results_dir() / "claims.csv").exists()


def test_list_marks_a_partial_result(capsys):
    """The committed gpu-scale kp_finetune result is partial: `list` says so, with the cells missing."""
    gpu = Path(__file__).resolve().parents[1] / "data/results/kp_finetune/gpu"
    meta = json.loads((gpu / "provenance.json").read_text())
    assert cli.main(["list"]) == 0
    line = next(x for x in capsys.readouterr().out.splitlines() if x.startswith("kp_finetune"))
    assert f"PARTIAL ({len(meta['cells']['missing'])} cells missing)" in line


def test_check_json_is_strict_json():
    """Issue 28: `check --json` wrote `Infinity`, which strict JSON readers refuse."""
    from deadpixels.paper.cli.check import strict_json

    text = json.dumps(strict_json({"lattice": float("inf"), "rows": [1.0, float("nan")], "n": 3}), allow_nan=False)
    assert json.loads(text) == {"lattice": "inf", "rows": [1.0, "nan"], "n": 3}


def test_check_refuses_a_size_that_cannot_fit_in_memory_before_any_work(capsys, monkeypatch, tmp_path):
    from deadpixels.paper.cli import check

    def forbidden(*args, **kwargs):
        raise AssertionError("the analysis started")

    monkeypatch.setattr(check, "dead_pixel_test", forbidden)
    monkeypatch.chdir(tmp_path)
    code = cli.main(["check", "resnet18", "--size", "100000"])
    err = capsys.readouterr().err
    assert code == 2 and "--size 100000 would need about" in err and "GiB available; use --size" in err, err
    assert "Traceback" not in err and "MemoryError" not in err
    suggested = int(err.split("use --size ")[1].split()[0])
    estimate = check.memory_estimate(check.load_model("resnet18")[1], suggested)
    assert estimate is not None and estimate <= check.available_memory()  # the size it suggests fits


def _digest(folder: Path) -> dict[str, str]:
    return {str(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.parametrize(
    "argv, message",
    [
        (["verify", "trf", "--scale", "gpu"], "nothing to verify: none of trf has a gpu scale"),
        (["verify", "trf", "--report", "{results}/trf/cpu/resnets.csv"], "is inside the results cache"),
        (["verify", "trf", "--report", "{tmp}/missing/report.json"], "does not exist"),
        (["verify", "trf", "--report", "{tmp}"], "is a folder"),
        (["check", "resnet18", "--png", "{results}/erf.png"], "is inside the results cache"),
        (["check", "resnet18", "--png", "{tmp}/no/such/dir/x.png"], "does not exist"),
    ],
)
def test_outputs_and_empty_selections_are_refused_before_any_work(argv, message, tmp_path, capsys):
    """Issue #41: a report path inside data/results overwrote a cached table; 'verify trf --scale gpu'
    verified nothing and exited 0. Both are refused first, and no cached file changes."""
    results = R.results_dir()
    before = _digest(results)
    argv = [a.format(results=results, tmp=tmp_path) for a in argv]
    assert cli.main(argv) == 2
    assert message in capsys.readouterr().err
    assert _digest(results) == before
