"""The fine-tuning loop written out in Part 2 chapter 03 is the loop the course runs (``roberta_transfer.train``).

The test executes the chapter's own cell (tagged ``fine-tune-loop``), so the code a learner reads is the code
under test: from the same weights and seed, both loops must end with identical weights, with and without gradient
accumulation, and keep the same best epoch.
"""
import json
from pathlib import Path

import pytest
import torch

from helpers.part2 import tiny_classifier, tiny_tokenizer, toy_dataset
from roberta_transfer import make_loader, train, unfreeze_all, unfreeze_top_layers

NOTEBOOK = Path(__file__).resolve().parents[2] / "chapters" / "part2_roberta_transfer" / "03_stage2_transfer_finetune.ipynb"
TAG = "fine-tune-loop"


def page_loop():
    cells = [c for c in json.loads(NOTEBOOK.read_text(encoding="utf-8"))["cells"]
             if TAG in c.get("metadata", {}).get("tags", [])]
    assert len(cells) == 1, f"chapter 03 must have exactly one cell tagged {TAG!r}, found {len(cells)}"
    namespace = {}
    exec(compile("".join(cells[0]["source"]), f"{NOTEBOOK.name}[{TAG}]", "exec"), namespace)
    return namespace["fine_tune_loop"]


@pytest.mark.parametrize("accum, top_k", [(1, None), (2, None), (1, 1)])
def test_the_page_loop_and_train_end_with_the_same_weights(accum, top_k):
    fine_tune_loop = page_loop()
    tok = tiny_tokenizer()
    train_dl = make_loader(toy_dataset(96, 0), tok, 16, shuffle=True, seed=0)
    val_dl = make_loader(toy_dataset(48, 1), tok, 32, shuffle=False)

    def fresh():
        model = tiny_classifier(seed=0)
        if top_k is None:
            unfreeze_all(model, verbose=False)
        else:
            unfreeze_top_layers(model, top_k, verbose=False)
        return model

    # The encoder has dropout (0.1): the two runs must draw the same masks, so each starts from the same seed.
    start = {k: v.clone() for k, v in fresh().state_dict().items()}
    torch.manual_seed(1)
    by_hand, history = fine_tune_loop(fresh(), train_dl, val_dl, epochs=3, lr=3e-3, grad_accum_steps=accum)
    torch.manual_seed(1)
    library = fresh()
    result = train(library, train_dl, val_dl, epochs=3, lr=3e-3, grad_accum_steps=accum, progress=False)

    mine, theirs = by_hand.state_dict(), library.state_dict()
    assert set(mine) == set(theirs)
    assert any(not torch.equal(mine[k], start[k]) for k in mine), "the loop trained nothing"
    different = [k for k in mine if not torch.equal(mine[k], theirs[k])]
    assert not different, f"the page's loop and roberta_transfer.train differ in {different[:5]}"
    assert [round(r["val_accuracy"], 4) for r in history] == [r["val_accuracy"] for r in result.history]
    if top_k is not None:  # frozen layers did not move
        frozen = [k for k, p in library.named_parameters() if not p.requires_grad]
        assert frozen and all(torch.equal(mine[k], start[k]) for k in frozen)
