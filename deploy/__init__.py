"""Part 3's torch side: from a trained checkpoint to a bundle that :mod:`serve` can ship, and the tools around it.

- :mod:`deploy.onnx_bundle`: the export core (ONNX export, parity with PyTorch, ``bundle.json``);
- :mod:`deploy.quantize`: int8 quantization and its agreement with fp32;
- :mod:`deploy.from_checkpoint`: Part 1 and Part 2 checkpoints -> what the exporter needs;
- :mod:`deploy.export`: the command line (``python -m deploy.export``);
- :mod:`deploy.recipes`: what the Part 3 chapters run (each chapter gets its bundle on its own);
- dev tools: :mod:`deploy.stage` (the folder a host receives), :mod:`deploy.measure` (slug and memory),
  :mod:`deploy.background` (gunicorn and headless Chromium for chapters and tests).

Exporting needs the course's full environment (torch, transformers, onnx); serving (:mod:`serve`) does not.
Nothing in Part 1, Part 2 or :mod:`serve` imports this package.
"""
