"""The figures of Part 1, drawn in code (matplotlib), so that they read the same in the book and in Colab.

Each function draws one idea and returns the matplotlib ``Figure``; the chapters call them with their own data
where there is data to show (a real batch's lengths, a real LSTM's outputs).

- :func:`draw_lstm_reading`: an LSTM reading a review one token at a time, its state carried from step to step;
- :func:`draw_padding_and_packing`: a padded batch, and what packing lets the LSTM read;
- :func:`draw_max_pooling`: the outputs of every position, and the largest of each row kept (max-pooling).
"""
from __future__ import annotations

import numpy as np

PAD_COLOUR, REAL_COLOUR, STATE_COLOUR, WIN_COLOUR = "#d9d9d9", "#9ecae1", "#fdae6b", "#d62728"


def draw_lstm_reading(tokens: list[str], title: str = "An LSTM reads a review one token at a time"):
    """Boxes for the tokens, one LSTM step above each, the state (h, c) carried from step to step, an output above
    every step."""
    import matplotlib.pyplot as plt
    from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

    n = len(tokens)
    fig, ax = plt.subplots(figsize=(1.6 * n + 1.6, 3.6))
    for i, token in enumerate(tokens):
        x = 1.0 + 1.6 * i
        ax.add_patch(FancyBboxPatch((x - 0.55, 0.1), 1.1, 0.5, boxstyle="round,pad=0.02", fc=REAL_COLOUR, ec="k"))
        ax.text(x, 0.35, token, ha="center", va="center", fontsize=11)
        ax.add_patch(FancyBboxPatch((x - 0.55, 1.2), 1.1, 0.7, boxstyle="round,pad=0.02", fc=STATE_COLOUR, ec="k"))
        ax.text(x, 1.55, f"LSTM\nstep {i + 1}", ha="center", va="center", fontsize=9)
        ax.add_patch(FancyArrowPatch((x, 0.62), (x, 1.18), arrowstyle="-|>", mutation_scale=12))
        ax.add_patch(FancyArrowPatch((x, 1.92), (x, 2.45), arrowstyle="-|>", mutation_scale=12))
        ax.text(x, 2.65, f"output {i + 1}", ha="center", va="center", fontsize=9)
        if i + 1 < n:
            ax.add_patch(FancyArrowPatch((x + 0.57, 1.55), (x + 1.03, 1.55), arrowstyle="-|>", mutation_scale=12,
                                         color="tab:red", lw=1.8))
            ax.text(x + 0.8, 1.75, "h, c", ha="center", fontsize=8, color="tab:red")
    ax.text(0.05, 1.55, "state\nstarts\nat 0", ha="left", va="center", fontsize=8, color="tab:red")
    ax.set_xlim(-0.1, 1.6 * n + 0.6)
    ax.set_ylim(-0.1, 3.0)
    ax.set_xlabel("position in the review (the LSTM reads left to right)")
    ax.set_title(title)
    ax.set_xticks([])
    ax.set_yticks([])
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    fig.tight_layout()
    return fig


def draw_padding_and_packing(lengths, title: str | None = None):
    """Two panels for one batch of reviews of ``lengths`` tokens: the padded rectangle (what a tensor holds), and
    what the LSTM reads once the batch is packed (the real tokens only)."""
    import matplotlib.pyplot as plt
    from matplotlib.colors import ListedColormap

    lengths = [int(n) for n in lengths]
    width = max(lengths)
    real = np.array([[1 if t < n else 0 for t in range(width)] for n in lengths])
    fig, axes = plt.subplots(1, 2, figsize=(11, 0.45 * len(lengths) + 1.8), sharey=True)
    colours = ListedColormap([PAD_COLOUR, REAL_COLOUR])
    panels = [("padded: the batch as one rectangle (grey = <pad>, id 0)", real, True),
              ("packed: the LSTM reads the blue cells only", real, False)]
    for ax, (name, grid, show_pad) in zip(axes, panels):
        shown = grid if show_pad else np.where(grid == 1, 1, np.nan)
        ax.imshow(shown, cmap=colours, vmin=0, vmax=1, aspect="auto")
        ax.set_xticks(range(width), [str(t + 1) if width <= 30 or t % 5 == 4 else "" for t in range(width)],
                      fontsize=7)
        ax.set_yticks(range(len(lengths)), [f"review {b + 1} ({n} tokens)" for b, n in enumerate(lengths)],
                      fontsize=8)
        ax.set_xlabel("position in the batch (token number)")
        ax.set_title(name, fontsize=10)
        if not show_pad:
            for b, n in enumerate(lengths):
                ax.annotate("", xy=(n - 0.5, b), xytext=(-0.5, b),
                            arrowprops=dict(arrowstyle="-|>", color="k", lw=1))
    axes[0].set_ylabel("review in the batch")
    fig.suptitle(title or f"A batch of {len(lengths)} reviews: padding and packing")
    fig.tight_layout()
    return fig


def draw_max_pooling(outputs, tokens: list[str], title: str = "Max-pooling: the largest value of each row wins"):
    """``outputs`` ``[positions, features]`` (one review's LSTM outputs): a heat map with features as rows and
    positions as columns, the winning position of every row circled, and the pooled vector beside it."""
    import matplotlib.pyplot as plt

    values = np.asarray(outputs, dtype=float)
    if values.ndim != 2 or values.shape[0] != len(tokens):
        raise ValueError(f"outputs must be [positions, features] with one position per token ({len(tokens)}), "
                         f"got shape {values.shape}")
    grid = values.T  # [features, positions]
    winners = grid.argmax(axis=1)
    fig, (ax, ax_pool) = plt.subplots(1, 2, figsize=(1.0 * len(tokens) + 3.5, 0.35 * grid.shape[0] + 2),
                                      gridspec_kw={"width_ratios": [len(tokens), 1.3]}, sharey=True)
    limit = float(np.abs(values).max()) or 1.0
    image = ax.imshow(grid, cmap="coolwarm", vmin=-limit, vmax=limit, aspect="auto")
    ax.scatter(winners, range(grid.shape[0]), s=140, facecolors="none", edgecolors="k", linewidths=1.5)
    ax.set_xticks(range(len(tokens)), tokens, rotation=30, ha="right")
    ax.set_yticks(range(grid.shape[0]), [f"feature {f + 1}" for f in range(grid.shape[0])], fontsize=8)
    ax.set_xlabel("position (token)")
    ax.set_ylabel("LSTM output feature")
    ax.set_title(f"{title}\n(circled: the largest value of each row)", fontsize=10)
    ax_pool.imshow(grid.max(axis=1, keepdims=True), cmap="coolwarm", vmin=-limit, vmax=limit, aspect="auto")
    ax_pool.set_xticks([0], ["pooled"])
    ax_pool.set_title("the review's\nvector", fontsize=10)
    fig.colorbar(image, ax=[ax, ax_pool], label="output value", shrink=0.8)
    return fig
