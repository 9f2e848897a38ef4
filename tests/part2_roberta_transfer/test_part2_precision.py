"""Part 2's mixed precision: bf16 only on GPUs that compute it natively (capability >= 8.0), fp16 on older GPUs
(a T4 is 7.5 and reports bf16 "supported" through slow emulation), none on a CPU. Checked without a GPU."""
from __future__ import annotations

import pytest
import torch

from roberta_transfer.training import make_accelerator, mixed_precision_for


@pytest.mark.parametrize("cuda, capability, expected", [
    (False, None, "no"),
    (False, (8, 0), "no"),      # no CUDA: the capability does not matter
    (True, (7, 5), "fp16"),     # T4 (Colab's free GPU)
    (True, (7, 0), "fp16"),     # V100
    (True, (6, 0), "fp16"),     # P100
    (True, (8, 0), "bf16"),     # A100
    (True, (8, 9), "bf16"),     # L4
    (True, (9, 0), "bf16"),     # H100
    (True, None, "fp16"),       # unknown capability: the safe choice
])
def test_mixed_precision_by_hardware(cuda, capability, expected):
    assert mixed_precision_for(cuda, capability) == expected


@pytest.fixture
def fake_accelerator(monkeypatch):
    import accelerate

    made = []
    monkeypatch.setattr(accelerate, "Accelerator", lambda **kwargs: made.append(kwargs) or kwargs)
    return made


@pytest.mark.parametrize("capability, expected", [((7, 5), "fp16"), ((8, 0), "bf16")])
def test_make_accelerator_asks_the_gpu_for_its_capability(monkeypatch, fake_accelerator, capability, expected):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "get_device_capability", lambda device=None: capability)
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: True)  # what a T4 says: not consulted
    assert make_accelerator(grad_accum_steps=2) == {"mixed_precision": expected, "gradient_accumulation_steps": 2}


def test_make_accelerator_on_a_cpu_and_explicit_choices(monkeypatch, fake_accelerator):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert make_accelerator()["mixed_precision"] == "no"
    assert make_accelerator("fp16")["mixed_precision"] == "fp16"  # an explicit choice is passed on unchanged
