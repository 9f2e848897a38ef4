"""The course loop runs unchanged in several processes: here two CPU processes started by torchrun, which
Accelerate joins with the gloo backend (``ACCELERATE_USE_CPU=1``). On a machine with N GPUs the same script runs
with ``accelerate launch --multi_gpu --num_processes N``."""
import json
import math
import os
import subprocess
import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]


def test_two_processes_train_in_sync_and_evaluate_every_example_once(tmp_path):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(TESTS), str(TESTS.parent), os.environ.get("PYTHONPATH", "")]),
               OMP_NUM_THREADS="1", TOKENIZERS_PARALLELISM="false", ACCELERATE_USE_CPU="1")
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", str(TESTS / "helpers" / "ddp_worker.py"),
           str(tmp_path)]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    ranks = [json.loads((tmp_path / f"rank{k}.json").read_text()) for k in range(2)]
    assert [r["process_index"] for r in ranks] == [0, 1] and all(r["num_processes"] == 2 for r in ranks)
    # gradients were averaged across processes: both hold identical weights after training
    assert ranks[0]["weights_sha256"] == ranks[1]["weights_sha256"]
    # evaluation gathered every one of the 37 validation examples exactly once (no duplicate padding examples),
    # in dataset order, and both processes agree on the result
    expected_labels = [i % 2 for i in range(37)]
    for r in ranks:
        assert r["n_predictions"] == 37 and r["labels"] == expected_labels
        assert r["history_len"] == 2 and math.isfinite(r["final_train_loss"])
    assert ranks[0]["predictions"] == ranks[1]["predictions"]
