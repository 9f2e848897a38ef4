"""The figure of Part 2 drawn in code: which weights train at each stage, read from a real model's
``requires_grad`` flags (so the picture cannot disagree with what the training code does)."""
from __future__ import annotations

from torch import nn

from .freezing import encoder_layers


def trainable_blocks(model: nn.Module) -> list[dict]:
    """The classifier in blocks, bottom first: the encoder's embeddings, each transformer layer, anything else in
    the encoder, the head; for each, its parameter count and the share of them that will train now."""
    layers = encoder_layers(model.encoder)
    blocks = [("embeddings", getattr(model.encoder, "embeddings", None))]
    blocks += [(f"layer {i + 1}", layer) for i, layer in enumerate(layers)]
    blocks += [("head", model.head)]
    seen, rows = set(), []
    for name, module in blocks:
        params = [] if module is None else list(module.parameters())
        seen.update(id(p) for p in params)
        rows.append((name, params))
    rest = [p for p in model.parameters() if id(p) not in seen]
    if rest:
        rows.insert(-1, ("other encoder weights", rest))
    return [{"block": name, "parameters": sum(p.numel() for p in params),
             "trainable_share": (sum(p.numel() for p in params if p.requires_grad) / max(1, sum(p.numel() for p in params)))}
            for name, params in rows if params]


def draw_trainable(stages: dict[str, list[dict]], title: str = "Which weights train at each stage"):
    """One row per stage (``{stage name: trainable_blocks(model)}``), one column per block, bottom of the model on
    the left: blue trains, grey stays frozen. Column labels give each block's size."""
    import matplotlib.pyplot as plt
    import numpy as np
    from matplotlib.patches import Patch

    names = list(stages)
    blocks = [b["block"] for b in stages[names[0]]]
    share = np.array([[b["trainable_share"] for b in stages[n]] for n in names])
    fig, ax = plt.subplots(figsize=(1.0 * len(blocks) + 3.5, 0.6 * len(names) + 1.8))
    ax.imshow(share, cmap=plt.matplotlib.colors.ListedColormap(["#d9d9d9", "#3182bd"]), vmin=0, vmax=1,
              aspect="auto")
    for y in range(len(names)):
        for x in range(len(blocks)):
            ax.text(x, y, "trains" if share[y, x] > 0.5 else "frozen", ha="center", va="center", fontsize=8,
                    color="white" if share[y, x] > 0.5 else "black")
    sizes = [b["parameters"] for b in stages[names[0]]]
    ax.set_xticks(range(len(blocks)), [f"{b}\n{s / 1e6:.2f}M" if s >= 1e5 else f"{b}\n{s / 1e3:.1f}k"
                                       for b, s in zip(blocks, sizes)], fontsize=8)
    ax.set_yticks(range(len(names)), names)
    ax.set_xlabel("block of the classifier, from the input (left) to the output (right), with its parameter count")
    ax.set_title(title)
    ax.legend(handles=[Patch(color="#3182bd", label="trains (requires_grad=True)"),
                       Patch(color="#d9d9d9", label="frozen")], loc="upper center", bbox_to_anchor=(0.5, -0.35),
              ncol=2, frameon=False)
    fig.tight_layout()
    return fig
