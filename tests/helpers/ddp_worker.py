"""Run by ``torchrun --nproc_per_node 2`` (with ACCELERATE_USE_CPU=1) from test_part2_multiprocess.py: the course loop, unchanged, in
several processes. Each process writes what it saw to ``<out>/rank<k>.json``."""
import hashlib
import json
import sys
from pathlib import Path

import torch

from helpers.part2 import tiny_classifier, tiny_tokenizer, toy_dataset as toy
from roberta_transfer import evaluate, make_loader, train, unfreeze_all
from roberta_transfer.training import make_accelerator


def main(out: Path) -> None:
    tok = tiny_tokenizer()
    model = tiny_classifier(seed=0)
    unfreeze_all(model, verbose=False)
    val = toy(37, 1)  # an odd size: the last batch is uneven across processes
    result = train(model, make_loader(toy(96, 0), tok, 8, shuffle=True, seed=0), make_loader(val, tok, 8, shuffle=False),
                   epochs=2, lr=3e-3, progress=False)
    ev = evaluate(model, make_loader(val, tok, 8, shuffle=False))
    state = make_accelerator()  # the same (shared) state the loop used
    weights = b"".join(v.detach().cpu().numpy().tobytes() for v in model.state_dict().values())
    (out / f"rank{state.process_index}.json").write_text(json.dumps({
        "num_processes": state.num_processes, "process_index": state.process_index,
        "n_predictions": len(ev.predictions), "labels": ev.labels.tolist(), "predictions": ev.predictions.tolist(),
        "weights_sha256": hashlib.sha256(weights).hexdigest(), "history_len": len(result.history),
        "final_train_loss": result.history[-1]["train_loss"],
    }))


if __name__ == "__main__":
    main(Path(sys.argv[1]))
