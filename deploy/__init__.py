"""Part 3: export a trained classifier to a serving bundle, serve it with Flask, put a React page in front.

Serving (``deploy.bundle``, ``deploy.app``) needs only onnxruntime, tokenizers, numpy and Flask: it never
imports torch or transformers, which is what lets RoBERTa fit a 500 MB slug and a 512 MB dyno.
Exporting (``deploy.export``) needs the course's full environment (torch, transformers, onnx).
"""
from .bundle import Bundle, BundleError, Window, encode_texts, truncate_head_tail

__all__ = ["Bundle", "BundleError", "Window", "encode_texts", "truncate_head_tail"]
