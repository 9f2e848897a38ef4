

def test_truncation_mirrors_part2():
    """The numpy rule used at serving time gives the same ids as Part 2's training-time rule."""
    from roberta_transfer import truncate_head_tail as part2_rule

    tok = tiny_tokenizer()
    for max_len in (8, 24, 128, 512):
        window = make_window(tok, max_len)
        for n in (0, 3, max_len - 2, max_len - 1, max_len + 7, 3 * max_len):
            ids = list(range(100, 100 + n))
            ours = truncate_head_tail(np.asarray(ids), window.head_tokens, window.tail_tokens).tolist()
            assert ours == part2_rule(ids, max_len), (max_len, n)
