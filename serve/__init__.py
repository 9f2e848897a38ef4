"""What ships to a host: the window rule, the model bundle and the Flask app. Imports nothing of the course.

- :mod:`serve.window`: the head+tail window rule that Part 1, Part 2 and the server share (numpy only);
- :mod:`serve.bundle`: a bundle directory (ONNX model, tokenizer, ``bundle.json``) loaded with onnxruntime;
- :mod:`serve.app`: the app factory; :mod:`serve.api` the routes; :mod:`serve.validation` request checks;
- ``serve/frontend``: the React page; ``serve/host``: Procfile, Dockerfile and requirements for the staged folder.

Serving needs onnxruntime, tokenizers, numpy and Flask, never torch: that is what lets RoBERTa fit a 500 MB slug
and a 512 MB dyno. This module imports only the window rule, so that Part 1 and Part 2 can use it without Flask.
"""
from .window import HEAD_FRACTION, Window, WindowError, encode_texts, pad_batch, split_budget, truncate_head_tail

__all__ = ["HEAD_FRACTION", "Window", "WindowError", "encode_texts", "pad_batch", "split_budget", "truncate_head_tail"]
