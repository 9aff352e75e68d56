"""The detection matrix on the authors' released CIFAR-10 model: its campaign item."""


def test_released_matrix_item_computes_its_own_clean_scores_first(tmp_path, monkeypatch):
    # the page reads the released cells with the clean scores of its own 846-image test set,
    # which the paper profile's beyond-clean item does not hold
    from stego_lib.experiments.beyond import detection, items, released
    monkeypatch.setenv("STEGO_RESULTS", str(tmp_path))
    item = next(i for i in items.items() if i.name == "beyond-detect-cifar10-released")
    chunks = item.chunks("cpu")
    assert chunks[0].name == "cifar10: clean scores and thresholds" and not chunks[0].done()
    assert len(chunks) == 1 + len(detection.cells(released.config()))
    assert detection.clean_config(released.config(), "cifar10") != detection.clean_config(
        items.make_config("paper"), "cifar10")


def test_clean_features_are_pending_only_while_a_cell_reads_them(tmp_path, monkeypatch):
    # the SPAM features live outside the checkout: a fresh machine has none, yet with every
    # detection cell committed there is nothing left for them to feed
    from stego_lib.experiments.beyond import items
    monkeypatch.setenv("STEGO_STATE", str(tmp_path / "state"))
    item = next(i for i in items.items() if i.name == "beyond-clean")
    features = [c for c in item.chunks("cpu") if "SPAM features" in c.name]
    assert len(features) == 6 and all(c.done() for c in features)
    monkeypatch.setenv("STEGO_RESULTS", str(tmp_path / "results"))   # no cell committed
    assert not any(c.done() for c in item.chunks("cpu") if "SPAM features" in c.name)
