"""The accelerate loop learns, evaluates each epoch, keeps the best, and follows the warm-up/decay schedule."""
import pytest
import torch

from course.run_results import HISTORY_KEYS
from helpers.part2 import tiny_classifier, tiny_tokenizer, toy_dataset as _toy
from roberta_transfer import evaluate, extract_features, make_loader, train, unfreeze_all


def test_loop_learns_and_keeps_best():
    torch.manual_seed(0)
    tok = tiny_tokenizer()
    model = tiny_classifier(seed=0)
    unfreeze_all(model, verbose=False)
    train_dl = make_loader(_toy(160, 0), tok, 16, shuffle=True, seed=0)
    val_dl = make_loader(_toy(64, 1), tok, 32, shuffle=False)
    before = evaluate(model, val_dl).accuracy
    result = train(model, train_dl, val_dl, epochs=6, lr=3e-3, progress=False)
    after = evaluate(model, val_dl)
    assert len(result.history) == 6 and all(set(HISTORY_KEYS) <= set(r) for r in result.history)
    assert result.best_val_accuracy == pytest.approx(max(r["val_accuracy"] for r in result.history), abs=1e-4)
    assert abs(after.accuracy - result.best_val_accuracy) < 1e-6  # the best epoch's weights were restored
    assert after.accuracy >= 0.8 and after.accuracy > before
    assert 0.5 < result.real_token_share <= 1.0
    assert result.history[-1]["train_loss"] < result.history[0]["train_loss"]


@pytest.mark.parametrize("accum, expected_steps", [(1, 8), (4, 2)])
def test_gradient_accumulation_steps_the_optimiser_less_often(accum, expected_steps):
    from torch.optim.optimizer import register_optimizer_step_post_hook

    tok = tiny_tokenizer()
    dl = make_loader(_toy(64), tok, 8, shuffle=True)  # 8 batches
    steps = []
    handle = register_optimizer_step_post_hook(lambda opt, args, kwargs: steps.append(1))
    try:
        train(tiny_classifier(), dl, None, epochs=1, lr=1e-3, grad_accum_steps=accum, progress=False)
    finally:
        handle.remove()
    assert len(steps) == expected_steps


def test_predictions_come_back_in_dataset_order():
    tok = tiny_tokenizer()
    model = tiny_classifier().eval()
    ds = _toy(40)
    res = evaluate(model, make_loader(ds, tok, 8, shuffle=False))
    assert res.labels.tolist() == ds["label"]
    feats = extract_features(model, make_loader(ds, tok, 8, shuffle=False), progress=False)
    ids = torch.tensor([ds["input_ids"][5]])
    with torch.no_grad():
        torch.testing.assert_close(feats[5], model.features(ids, torch.ones_like(ids))[0], atol=1e-5, rtol=1e-4)
