import numpy as np
import pytest
import torch
from PIL import Image

from deadpixels.paper.lab import data as D
from deadpixels.paper.lab import datasets as DS


def test_natural_images_are_deterministic_and_normalised():
    a = D.natural_images(4, 32, seed=3)
    b = D.natural_images(4, 32, seed=3)
    c = D.natural_images(4, 32, seed=4)
    assert a.shape == (4, 3, 32, 32)
    assert torch.equal(a, b) and not torch.equal(a, c)
    raw = D.natural_images(4, 32, seed=3, normalised=False)
    assert raw.min() >= 0 and raw.max() <= 1
    with pytest.raises(ValueError):
        D.natural_images(0)


def test_photo_classification_is_balanced():
    s = D.photo_classification(32, 16, 16, size=24, seed=0)
    x, y = s["train"].tensors
    assert x.shape == (32, 3, 24, 24)
    assert set(y.tolist()) == set(range(len(D.PHOTOS)))
    assert DS.num_classes(s["test"]) <= len(D.PHOTOS)


def test_micro_object_paints_black_or_red_boxes():
    rng = np.random.default_rng(0)
    x = torch.full((2, 3, 16, 16), 0.5)
    colours = torch.tensor([[0.0, 0.0, 0.0], [1.0, 0.0, 0.0]])
    out = D.paint_boxes(x, colours, 4, rng)
    assert (out[0] == 0).all(0).sum() == 16
    red = (out[1, 0] == 1) & (out[1, 1] == 0) & (out[1, 2] == 0)
    assert red.sum() == 16
    s = D.micro_object(8, 4, size=32, box=4, seed=0)
    assert s["train"].tensors[1].tolist() == [0, 1] * 4
    with pytest.raises(ValueError, match="does not fit"):
        D.paint_boxes(x, colours, 20, rng)


def test_split_is_70_15_15_and_seeded():
    idx = DS.split_indices(100, seed=0)
    assert [len(idx[k]) for k in ("train", "val", "test")] == [70, 15, 15]
    assert len(set(np.concatenate(list(idx.values())))) == 100
    assert (idx["train"] == DS.split_indices(100, seed=0)["train"]).all()


@pytest.mark.parametrize(
    "name,how", [("caltech101", "Caltech101"), ("cub200", "CUB_200_2011"), ("pet", "OxfordIIITPet")]
)
def test_missing_datasets_say_where_to_put_them(tmp_path, name, how):
    with pytest.raises(FileNotFoundError, match=how):
        DS.paper_dataset(name, tmp_path)
    with pytest.raises(ValueError, match="unknown dataset"):
        DS.paper_dataset("imagenet", tmp_path)


def _fake_image_tree(folder, classes=3, per_class=10, size=40):
    rng = np.random.default_rng(0)
    for c in range(classes):
        d = folder / f"class_{c:03d}"
        d.mkdir(parents=True)
        for i in range(per_class):
            Image.fromarray(rng.integers(0, 255, (size, size + 7, 3), dtype=np.uint8)).save(d / f"image_{i:04d}.jpg")


def test_caltech_and_cub_loaders_on_generated_data(tmp_path):
    _fake_image_tree(tmp_path / "caltech101" / "101_ObjectCategories", classes=3)
    _fake_image_tree(tmp_path / "CUB_200_2011" / "images", classes=2)
    for name, n_classes in (("caltech101", 3), ("cub200", 2)):
        s = DS.paper_dataset(name, tmp_path, DS.paper_transforms(True, 32), DS.paper_transforms(False, 32))
        assert [len(s[k]) for k in ("train", "val", "test")] == [n_classes * 7, int(n_classes * 10 * 0.15)] * 1 + [
            int(n_classes * 10 * 0.15)
        ]
        x, y = s["test"][0]
        assert x.shape == (3, 32, 32) and 0 <= y < n_classes
        assert DS.num_classes(s["train"]) == n_classes


def test_paper_micro_object_on_generated_caltech(tmp_path):
    _fake_image_tree(tmp_path / "caltech101" / "101_ObjectCategories", classes=2)
    s = DS.paper_micro_object(tmp_path, size=32, box=4)
    x, y = s["train"][1]
    assert x.shape == (3, 32, 32) and y == 1
    raw = x * torch.tensor(D.IMAGENET_STD).view(3, 1, 1) + torch.tensor(D.IMAGENET_MEAN).view(3, 1, 1)
    red = (raw[0] > 0.999) & (raw[1].abs() < 1e-3) & (raw[2].abs() < 1e-3)
    assert red.sum() >= 16
