"""Part 1: the starter LSTM package (vocabulary, model, checkpoints, predict, tokenizer twin, learning)."""
from __future__ import annotations

import json

import pytest
import torch

from starter_lstm import (LSTMClassifier, LSTMConfig, ReviewDataset, Vocab, load_checkpoint, make_loader,
                          pad_batch, predict, save_checkpoint, to_hf_tokenizer, tokenize)
from starter_lstm.recipes import build_model, train_and_test

TEXTS = ["A great movie! I loved it.", "Terrible film, I hated it.<br /><br />Awful acting.",
         "great acting, great story", "awful, boring and terrible"]


def small_vocab():
    return Vocab.build(TEXTS * 2, min_freq=2)


def tiny_model(vocab, bidirectional=True):
    torch.manual_seed(0)
    model = LSTMClassifier(LSTMConfig(len(vocab), embed_dim=8, hidden_size=6, bidirectional=bidirectional,
                                      pad_id=vocab.pad_id))
    return model.eval()


def test_tokenize_rule():
    assert tokenize("Great movie!<br /><br />I'd watch it AGAIN.") == \
        ["great", "movie", "!", "i", "'", "d", "watch", "it", "again", "."]
    assert tokenize("") == []
    assert tokenize("Café  très\tbien") == ["café", "très", "bien"]
    with pytest.raises(TypeError):
        tokenize(None)


def test_vocab_build_specials_min_freq_and_max_size():
    vocab = Vocab.build(["a a a b b c", "a b d"], min_freq=2)
    assert vocab.itos == ["<pad>", "<unk>", "a", "b"]  # c, d seen once: dropped; most frequent first
    assert Vocab.build(["a a a b b c"], min_freq=1, max_size=3).itos == ["<pad>", "<unk>", "a"]
    with pytest.raises(ValueError):
        Vocab.build(["a"], min_freq=0)


def test_vocab_unknown_and_round_trip(tmp_path):
    vocab = small_vocab()
    ids = vocab.encode("A great zyzzyva!")
    assert ids[0] == vocab.stoi["a"] and ids[2] == vocab.unk_id
    assert vocab.decode(ids) == ["a", "great", "<unk>", "!"]
    assert vocab.encode("great " * 50, max_tokens=7) == [vocab.stoi["great"]] * 7
    loaded = Vocab.load(vocab.save(tmp_path / "vocab.json"))
    assert loaded.itos == vocab.itos and loaded.encode("A great zyzzyva!") == ids
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"itos": ["a", "b"]}))
    with pytest.raises(ValueError, match="must start with"):
        Vocab.load(bad)


def test_head_tail_truncation_keeps_both_ends():
    from starter_lstm import truncate

    ids = list(range(10))
    assert truncate(ids, 4) == [0, 1, 2, 3]  # default: the first max_tokens
    assert truncate(ids, 4, head_tokens=1) == [0, 7, 8, 9]  # the opening and the verdict
    assert truncate(ids, 4, head_tokens=0) == [6, 7, 8, 9] and truncate(ids, 4, head_tokens=4) == [0, 1, 2, 3]
    assert truncate(ids[:3], 4, head_tokens=1) == [0, 1, 2]  # a short list is kept whole
    with pytest.raises(ValueError, match="between 0 and max_tokens"):
        truncate(ids, 4, head_tokens=5)
    vocab = small_vocab()
    review = "great " * 20 + "terrible movie"
    ids = vocab.encode(review, max_tokens=6, head_tokens=2)
    assert vocab.decode(ids) == ["great", "great", "great", "great", "terrible", "movie"]
    ds = ReviewDataset([review], [0], vocab, max_tokens=6, head_tokens=2)
    assert ds[0][0].tolist() == ids


def test_pad_batch_keeps_true_lengths_and_handles_empty():
    ids, lengths = pad_batch([torch.tensor([5, 6, 7]), torch.tensor([8]), torch.tensor([], dtype=torch.long)])
    assert ids.tolist() == [[5, 6, 7], [8, 0, 0], [0, 0, 0]]
    assert lengths.tolist() == [3, 1, 1]


def test_bucketed_loader_uses_every_review_once():
    vocab = small_vocab()
    ds = ReviewDataset(TEXTS * 10, [1, 0, 1, 0] * 10, vocab, max_tokens=20)
    loader = make_loader(ds, batch_size=3, shuffle=True)
    seen = [i for batch in loader.batch_sampler for i in batch]
    assert sorted(seen) == list(range(len(ds)))
    assert len(loader) == len(list(loader.batch_sampler))


@pytest.mark.parametrize("bidirectional", [True, False])
def test_padding_invariance(bidirectional):
    """The same review padded to different lengths gives the same logits (packing: padding is never read)."""
    vocab = small_vocab()
    model = tiny_model(vocab, bidirectional)
    review = torch.tensor(vocab.encode(TEXTS[1]))
    n = len(review)
    with torch.no_grad():
        alone = model(review[None, :])  # lengths=None: every token real
        for extra in (0, 1, 7, 40):
            padded = torch.cat([review, torch.zeros(extra, dtype=torch.long)])[None, :]
            logits = model(padded, torch.tensor([n]))
            assert torch.allclose(logits, alone, atol=1e-6), f"padding {extra} changed the logits"
        # in a batch with a longer review
        ids, lengths = pad_batch([torch.tensor(vocab.encode(TEXTS[0] * 5)), review])
        assert torch.allclose(model(ids, lengths)[1], alone[0], atol=1e-6)
        if bidirectional:
            # and without packing, padding WOULD change the answer (the backward direction would read the 40
            # pads before the review): the test can tell the difference
            padded = torch.cat([review, torch.zeros(40, dtype=torch.long)])[None, :]
            assert not torch.allclose(model(padded), alone, atol=1e-4)


def test_reads_every_real_token_not_the_first_one():
    vocab = small_vocab()
    model = tiny_model(vocab, bidirectional=False)
    a = torch.tensor([vocab.encode("great great great great")])
    b = torch.tensor([vocab.encode("great terrible awful boring")])  # same first token
    with torch.no_grad():
        assert not torch.allclose(model(a), model(b))
        # the vector fed to the classifier is the max of the LSTM outputs over each review's REAL positions
        ids, lengths = pad_batch([torch.tensor(vocab.encode(TEXTS[0])), torch.tensor(vocab.encode(TEXTS[2]))])
        assert lengths[0] != lengths[1]
        outputs, _ = model.lstm(model.embedding(ids))  # forward direction only: padding comes after the review
        pooled = torch.stack([outputs[i, : lengths[i]].max(dim=0).values for i in range(2)])
        assert torch.allclose(model(ids, lengths), model.classifier(pooled), atol=1e-6)
        # and the padded positions' outputs would have changed the answer had they taken part
        with_padding = model.classifier(outputs.max(dim=1).values)
        assert not torch.allclose(model(ids, lengths), with_padding, atol=1e-6)


def test_checkpoint_round_trip_gives_identical_predictions(tmp_path):
    vocab = small_vocab()
    model = tiny_model(vocab)
    model.max_tokens, model.head_tokens = 50, 10
    save_checkpoint(tmp_path, model, vocab, {"profile": "ci", "metrics": {"test_accuracy": 0.5}})
    config = json.loads((tmp_path / "config.json").read_text())
    assert config["label_names"] == ["negative", "positive"] and config["max_tokens"] == 50
    assert config["head_tokens"] == 10
    assert config["embed_dim"] == 8 and config["metrics"]["test_accuracy"] == 0.5
    loaded, loaded_vocab, loaded_config = load_checkpoint(tmp_path)
    assert loaded_vocab.itos == vocab.itos and loaded_config["profile"] == "ci"
    for key, value in model.state_dict().items():
        assert torch.equal(value, loaded.state_dict()[key])
    assert predict(model, vocab, TEXTS) == predict(loaded, loaded_vocab, TEXTS)
    assert (loaded.max_tokens, loaded.head_tokens) == (50, 10)
    long_review = TEXTS[0] + " filler" * 100 + " " + TEXTS[1]
    assert predict(loaded, loaded_vocab, long_review) == predict(model, vocab, long_review, max_tokens=50, head_tokens=10)


def test_checkpoint_loading_is_strict(tmp_path):
    from safetensors.torch import load_file, save_file

    vocab = small_vocab()
    save_checkpoint(tmp_path, tiny_model(vocab), vocab)
    weights = load_file(str(tmp_path / "model.safetensors"))
    del weights["classifier.bias"]
    save_file(weights, str(tmp_path / "model.safetensors"))
    with pytest.raises(ValueError, match="missing \\['classifier.bias'\\]"):
        load_checkpoint(tmp_path)
    weights["classifier.bias"] = torch.zeros(3)
    save_file(weights, str(tmp_path / "model.safetensors"))
    with pytest.raises(ValueError, match="wrong shapes"):
        load_checkpoint(tmp_path)
    (tmp_path / "vocab.json").unlink()
    with pytest.raises(FileNotFoundError, match="vocab.json"):
        load_checkpoint(tmp_path)


def test_predict_empty_long_and_non_ascii():
    vocab = small_vocab()
    model = tiny_model(vocab)
    model.train()
    out = predict(model, vocab, ["", "great " * 100_000, "Ein großartiger Film! 素晴らしい映画 😀", "   "],
                  max_tokens=400)
    assert model.training, "predict must restore the model's mode"
    assert len(out) == 4
    for row in out:
        assert row["label"] in ("negative", "positive")
        assert abs(sum(row["probabilities"].values()) - 1) < 1e-5
        assert row["score"] == max(row["probabilities"].values())
    assert predict(model, vocab, "one text")[0].keys() == {"label", "score", "probabilities"}
    # eval mode: the same text twice gives the same answer
    assert predict(model, vocab, [TEXTS[0]] * 2)[0] == predict(model, vocab, [TEXTS[0]])[0]


def test_hf_tokenizer_matches_on_special_cases():
    vocab = Vocab.build(TEXTS + ["café crème façade ½ x² naïve"], min_freq=1)
    tok = to_hf_tokenizer(vocab, max_tokens=12)
    cases = ["", "Great movie!<br /><br />I'd watch it AGAIN.", "CAFÉ crème, naïve façade... ½ x²",
             "combining: cafe\u0301 \u0130stanbul \x1c\x1f", "emoji 😀😀 and 中文 text", "great " * 30]
    for text in cases:
        assert tok.encode(text).ids == vocab.encode(text, max_tokens=12), text


def test_hf_tokenizer_matches_on_real_reviews(imdb_sample):
    vocab = Vocab.build(imdb_sample["text"][:300], min_freq=2, max_size=3000)
    tok = to_hf_tokenizer(vocab, max_tokens=256)
    texts = imdb_sample["text"]
    assert any("<br />" in t for t in texts) and any(not t.isascii() for t in texts)
    encoded = tok.encode_batch(texts)
    assert [e.ids for e in encoded] == [vocab.encode(t, 256) for t in texts]


@pytest.fixture(scope="module")
def imdb_sample():
    import course

    return course.load_imdb(course.get_profile("ci"))["train"]


def test_short_training_run_beats_chance():
    """A GloVe-initialised LSTM trained for a few epochs on 2,000 real SST-2 sentences beats chance clearly."""
    import course

    profile = course.get_profile("ci")
    sst2 = course.load_sst2(profile)
    splits = {"train": course.stratified_subset(course.load_sst2(course.get_profile("quick"))["train"], 2000, 0),
              "validation": sst2["validation"], "test": sst2["test"]}
    from starter_lstm.recipes import build_vocab

    vocab = build_vocab(splits["train"], profile, min_freq=1)
    result = train_and_test(splits, vocab, profile, embeddings="glove", epochs=4, lr=5e-3, progress=False)
    print("SST-2 test accuracy", result["test_accuracy"])
    assert result["test_accuracy"] >= 0.62, result["history"]
    assert result["history"][-1]["train_loss"] < result["history"][0]["train_loss"]


def test_training_batches_are_trimmed_to_the_shortest_review_and_evaluation_batches_are_not():
    from starter_lstm import PadCollator

    items = [(torch.tensor([5, 6, 7, 8]), 1), (torch.tensor([9, 10, 11]), 0)]
    ids, lengths, labels = PadCollator(0, trim_to_shortest=True)(items)
    assert ids.tolist() == [[5, 6, 7], [9, 10, 11]] and lengths.tolist() == [3, 3] and labels.tolist() == [1, 0]
    ids, lengths, _ = PadCollator(0)(items)
    assert ids.tolist() == [[5, 6, 7, 8], [9, 10, 11, 0]] and lengths.tolist() == [4, 3]
    vocab = small_vocab()
    ds = ReviewDataset(TEXTS * 10, [1, 0, 1, 0] * 10, vocab, max_tokens=20)
    assert make_loader(ds, 4, shuffle=True).collate_fn.trim_to_shortest
    assert not make_loader(ds, 4, shuffle=False).collate_fn.trim_to_shortest


def test_unpadded_forward_exports_to_onnx_with_any_review_length(tmp_path):
    """Part 3's contract: model(input_ids) with lengths=None exports to ONNX and onnxruntime agrees."""
    import numpy as np
    import onnxruntime as ort

    vocab = small_vocab()
    model = tiny_model(vocab)
    example = torch.tensor([vocab.encode(TEXTS[0])])
    path = tmp_path / "lstm.onnx"
    torch.onnx.export(model, (example,), str(path), input_names=["input_ids"], output_names=["logits"],
                      dynamic_axes={"input_ids": {1: "tokens"}}, dynamo=False)
    session = ort.InferenceSession(str(path))
    for text in TEXTS + ["great"]:
        ids = np.array([vocab.encode(text)], dtype=np.int64)
        got = session.run(None, {"input_ids": ids})[0]
        with torch.no_grad():
            want = model(torch.from_numpy(ids)).numpy()
        assert np.allclose(got, want, atol=1e-5), text
