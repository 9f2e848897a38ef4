"""Helpers for what a chapter shows about its results: glued figures, sentences computed from the run, callouts.

- :func:`glue` stores a figure under a name (myst-nb's ``glue``), so the book and the tests can check it;
- :func:`say` shows a sentence made from the run's numbers (Markdown, rendered in the book, Jupyter and Colab);
- :func:`reference_callout` shows the reference figures of committed runs (:mod:`course.reference`) in a box;
- :func:`chapter_times` shows how long a chapter takes in every profile (from :mod:`course.estimates`).
"""
from __future__ import annotations

import html

from .reference import Figure


def glue(name: str, value) -> None:
    """Glue ``value`` under ``name`` without showing it. Uses myst-nb where it is installed (the book build); else
    the same output (a display with ``scrapbook`` metadata, what myst-nb writes), so Colab needs no myst-nb."""
    try:
        from myst_nb import glue as myst_glue
    except ImportError:
        from IPython.core.formatters import format_display_data
        from IPython.display import display

        bundle, metadata = format_display_data(value)
        metadata["scrapbook"] = {"name": name, "mime_prefix": "application/papermill.record/"}
        display({"application/papermill.record/" + k: v for k, v in bundle.items()}, raw=True, metadata=metadata)
        return
    myst_glue(name, value, display=False)


def say(markdown: str) -> None:
    """Show a sentence computed from the run (its numbers and its direction come from variables, never typed)."""
    from IPython.display import Markdown, display

    display(Markdown(markdown))






def ci_notice(profile) -> None:
    """The callout at the top of a page built in the small ``ci`` profile: what ran, and what it can and cannot show."""
    from IPython.display import display

    n_train = "all" if profile.n_train is None else f"{profile.n_train:,}"
    text = (f"This page ran in the ci profile: the LSTM trained on {n_train} IMDb reviews, the transformer on "
            f"{profile.transformer_n_train:,} (the stand-in encoder {profile.model_id}), and each model was tested on "
            f"{profile.n_test:,} reviews, on a 2-core CPU. Its numbers show that the code works and what it learns "
            "at this size; small test sets are noisy, so each result says how uncertain it is. What the same code "
            "reaches on real data is in the boxes titled 'Reference results' (the quick profile's committed runs).")
    box = ("<div style='border-left:4px solid #b26b00;background:#fff8ec;padding:0.6em 1em;margin:0.5em 0'>"
           f"<b>Built in the ci profile.</b> {html.escape(text)}</div>")
    display({"text/html": box, "text/plain": text}, raw=True)




def reference_callout(title: str, rows: list[tuple[str, Figure, str]], note: str = "") -> None:
    """A box of reference figures: each row is (what, figure, format such as ".3f" or "+.1%"), with its provenance.
    HTML, so that it reads the same in the book and in Colab; plain text for a terminal."""
    from IPython.display import display

    sources = []
    for _, fig, _ in rows:
        if fig.provenance() not in sources:
            sources.append(fig.provenance())
    items = "".join(f"<li>{html.escape(what)}: <b>{format(fig.value, fmt)}</b> "
                    f"<sup>[{sources.index(fig.provenance()) + 1}]</sup></li>" for what, fig, fmt in rows)
    refs = "".join(f"<li>[{i + 1}] {html.escape(s)}</li>" for i, s in enumerate(sources))
    box = ("<div style='border-left:4px solid #0b5cad;background:#f3f7fc;padding:0.6em 1em;margin:0.5em 0'>"
           f"<p style='margin:0 0 0.3em 0'><b>Reference results: {html.escape(title)}</b></p>"
           f"<ul style='margin:0.2em 0'>{items}</ul>"
           + (f"<p style='margin:0.3em 0'>{html.escape(note)}</p>" if note else "")
           + f"<ul style='font-size:85%;list-style:none;padding-left:0;margin:0.3em 0 0 0'>{refs}</ul></div>")
    text = (f"Reference results: {title}\n" + "".join(f"  {what}: {format(fig.value, fmt)}\n" for what, fig, fmt in rows)
            + (f"  {note}\n" if note else "") + "".join(f"  [{i + 1}] {s}\n" for i, s in enumerate(sources)))
    display({"text/html": box, "text/plain": text}, raw=True)


def chapter_times(chapter: str) -> None:
    """A small table: how long ``chapter`` takes in each profile, and on what hardware, with whether each figure
    was measured or computed (the figures :func:`course.start_chapter` prints for the current profile)."""
    from IPython.display import display

    from .estimates import time_table

    rows = time_table(chapter)
    first = any(r["first_time"] for r in rows)
    head = "<tr><th>profile</th><th>on</th><th>time</th>" + ("<th>in a fresh runtime</th>" if first else "") + "</tr>"
    body = "".join(
        f"<tr><td><code>{r['profile']}</code></td><td>{html.escape(r['hardware'])}</td>"
        f"<td>{html.escape(r['time'])} ({r['basis']})</td>"
        + (f"<td>{html.escape(r['first_time'] or r['time'])}</td>" if first else "") + "</tr>" for r in rows)
    box = ("<div style='margin:0.5em 0'><b>How long this chapter takes</b> (the set-up cell above prints the figure "
           f"for your profile and how it was obtained)<table style='font-size:90%'>{head}{body}</table></div>")
    text = "How long this chapter takes:\n" + "".join(
        f"  {r['profile']:>5}: {r['time']} ({r['basis']}) on {r['hardware']}"
        + (f"; {r['first_time']} in a fresh runtime" if r["first_time"] else "") + "\n" for r in rows)
    display({"text/html": box, "text/plain": text}, raw=True)
