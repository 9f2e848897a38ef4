"""Freezing really stops updates: one optimiser step of the course loop changes exactly the trainable tensors."""
import pytest
import torch

from helpers.part2 import tiny_classifier
from roberta_transfer import (count_trainable, encoder_layers, freeze_encoder, train, unfreeze_all, unfreeze_embeddings,
                              unfreeze_top_layers)


def _one_step_changes(model):
    torch.manual_seed(1)
    ids = torch.randint(3, 300, (4, 12))
    batch = {"input_ids": ids, "attention_mask": torch.ones_like(ids), "labels": torch.tensor([0, 1, 0, 1]),
             "index": torch.arange(4)}
    before = {k: v.detach().clone() for k, v in model.named_parameters()}
    train(model, [batch], None, epochs=1, lr=1e-2, warmup_ratio=0.0, progress=False)
    return {k for k, v in model.named_parameters() if not torch.equal(v.detach(), before[k])}


def _trainable(model):
    return {k for k, v in model.named_parameters() if v.requires_grad}


@pytest.mark.parametrize("setup", ["frozen", "top1", "embeddings", "all"])
def test_one_step_changes_exactly_the_trainable_tensors(setup):
    model = tiny_classifier()
    if setup == "frozen":
        freeze_encoder(model, verbose=False)
    elif setup == "top1":
        unfreeze_top_layers(model, 1, verbose=False)
    elif setup == "embeddings":
        freeze_encoder(model, verbose=False)
        unfreeze_embeddings(model, verbose=False)
    else:
        unfreeze_all(model, verbose=False)
    trainable = _trainable(model)
    changed = _one_step_changes(model)
    # token_type_embeddings get a gradient too (all type 0), so every trainable tensor moves.
    assert changed == trainable
    if setup == "frozen":
        assert all(k.startswith("head.") for k in changed)
    if setup == "top1":
        assert any(".layer.2." in k for k in changed) and not any(".layer.1." in k or ".layer.0." in k for k in changed)


def test_counts_add_up():
    model = tiny_classifier()
    total = sum(p.numel() for p in model.parameters())
    head = sum(p.numel() for p in model.head.parameters())
    assert freeze_encoder(model, verbose=False).trainable == head
    layer = sum(p.numel() for p in model.encoder.encoder.layer[2].parameters())
    assert unfreeze_top_layers(model, 1, verbose=False).trainable == head + layer
    count = unfreeze_all(model, verbose=False)
    assert count.trainable == count.total == total and count.share == 1.0
    assert "100.00%" in str(count_trainable(model))


def test_bad_k_is_a_clear_error():
    with pytest.raises(ValueError, match="between 0 and 3"):
        unfreeze_top_layers(tiny_classifier(), 4, verbose=False)


def test_nothing_trainable_is_refused():
    model = tiny_classifier()
    for p in model.parameters():
        p.requires_grad_(False)
    with pytest.raises(ValueError, match="unfreeze"):
        train(model, [], None, epochs=1, lr=1e-3, progress=False)


def test_trainable_blocks_read_the_flags_the_freezing_helpers_set():
    import matplotlib

    matplotlib.use("Agg")
    from roberta_transfer.figures import draw_trainable, trainable_blocks

    model = tiny_classifier()
    n_layers = len(encoder_layers(model.encoder))
    stages = {}
    for name, setter in [("head", freeze_encoder), ("top", lambda m, verbose: unfreeze_top_layers(m, 1, verbose)),
                         ("full", unfreeze_all)]:
        setter(model, verbose=False)
        stages[name] = trainable_blocks(model)
    blocks = [b["block"] for b in stages["head"]]
    assert blocks[0] == "embeddings" and blocks[-1] == "head" and blocks[1:1 + n_layers] == [
        f"layer {i + 1}" for i in range(n_layers)]
    assert sum(b["parameters"] for b in stages["head"]) == sum(p.numel() for p in model.parameters())
    share = {name: [b["trainable_share"] for b in rows] for name, rows in stages.items()}
    assert share["head"] == [0.0] * (len(blocks) - 1) + [1.0]
    assert share["top"][n_layers] == 1.0 and share["top"][n_layers - 1] == 0.0 and share["top"][-1] == 1.0
    assert share["full"] == [1.0] * len(blocks)
    fig = draw_trainable(stages)
    assert fig.axes[0].get_title() and fig.axes[0].get_xlabel()
