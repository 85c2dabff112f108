"""codesearch indexing's fast paths give what the slow ones gave: the tokenizer's ids, the transformer's token
vectors (distilled on several threads), an index written by another process read again."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from codetether.codesearch import static
from codetether.codesearch.embed import get_embedder, unavailable_reason
from codetether.codesearch.index import CodeIndex

pytestmark = pytest.mark.skipif(unavailable_reason() is not None, reason=str(unavailable_reason()))


@pytest.fixture
def caches(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("CODETETHER_DATA_DIR", str(tmp_path / "data"))
    return tmp_path


def test_token_ids_are_the_tokenizers(caches: Path):
    """ASCII text split here, other text tokenized from a head or whole: the same first 128 ids either way."""
    texts = [
        "function load settings (app/settings.py)\ndef load_settings(location):\n    return tomllib.load(x)\n",
        "class HTTPServer_v2(Base): # TODO: 4.5e-3 ~`!@#$%^&*()_+-={}[]|\\:;\"'<>,.?/\n" * 30,
        "x" * 700 + " the 128th token is far from the start " * 40,  # a head of 512 characters is too short
        "y" * 150 + " words",  # longer than a word piece may be: [UNK]
        "a literal [SEP] and [CLS] are special tokens",  # the tokenizer matches them in the raw text
        "[cls] lower case is not",
        "Café naïve 東京 — ünïcödé text " * 20,  # not ASCII
        "é" + "x" * 700 + " nor is it in a head of 512 characters here " * 40,
        "a tab\tand a vertical tab\x0b and DEL\x7f",  # control characters
        "", "   \n\n  ", "z " * 3000,
    ]
    tokenizer = get_embedder().raw_tokenizer
    expected = [enc.ids[:static.MAX_TOKENS] for enc in tokenizer.encode_batch(texts, add_special_tokens=False)]
    encoder = static.StaticEncoder(None)
    assert encoder.token_ids(texts) == expected
    assert encoder.token_ids(texts) == expected  # again, from remembered word pieces
    assert static._ascii_words(texts[4]) is None and static._ascii_words(texts[6]) is None
    assert static._ascii_words(texts[0]) is not None


def test_distilling_on_threads_gives_one_pass_vectors(caches: Path, monkeypatch: pytest.MonkeyPatch):
    import numpy as np

    embedder = get_embedder()
    monkeypatch.setattr(static, "DISTILL_BATCH", 16)
    ids = np.arange(2000, 2070)  # 5 batches: as many threads as there are CPUs
    path = caches / "tokens.npy"
    table = static.TokenTable(path, embedder.vocab_size, embedder.dimension)
    blas = static._openblas()
    before = blas[0]() if blas else None
    assert table.ensure(ids) == (True, len(ids))
    assert (blas[0]() if blas else None) == before  # BLAS has its threads back
    one_pass = static.distill(embedder, ids).astype(np.float16)
    assert np.abs(table.vectors[ids].astype(np.float32) - one_pass.astype(np.float32)).max() <= 1e-3
    assert not table.vectors[1999].any() and not table.done[1999]
    again = static.TokenTable(path, embedder.vocab_size, embedder.dimension)  # another process: from the file
    assert again.done[ids].all() and np.array_equal(again.vectors[ids], table.vectors[ids])
    assert again.ensure(ids) == (True, 0)

    # Past its deadline each thread still does a batch, and says the rest is left.
    more = np.arange(3000, 3160)
    done, count = table.ensure(more, deadline=time.monotonic())
    assert not done and 0 < count <= static.DISTILL_BATCH * static._distill_threads() < len(more)
    assert table.ensure(more) == (True, len(more) - count)


def test_a_refresh_reads_what_another_process_wrote(caches: Path):
    root = caches / "repo"
    root.mkdir()
    (root / "a.py").write_text("def parse_config(path):\n    return open(path).read()\n")
    (root / "b.py").write_text("def send_mail(to, body):\n    return smtp(to, body)\n")
    mine = CodeIndex.open(root)
    assert mine.refresh(embed_budget=0).pending_chunks == 2 and mine.embedded == 0
    other = CodeIndex.open(root)  # say, the background filler or another agent
    assert other.refresh(embed_budget=1e9).pending_chunks == 0
    stats = mine.refresh(embed_budget=0)
    assert (stats.pending_chunks, stats.changed_files, mine.embedded) == (0, 0, 2)
    unchanged = mine._stamp
    mine.refresh(embed_budget=0)  # nothing written since: the index in memory is what is on disk
    assert mine._stamp == unchanged and mine.embedded == 2


def test_a_searchs_new_tokens_are_written_off_its_path_and_before_the_process_ends(caches: Path):
    """A query's few new tokens: distilled at once, the 24 MB table written on another thread, which the process
    still finishes before it exits."""
    import numpy as np

    embedder = get_embedder()
    path = caches / "tokens.npy"
    script = (f"from pathlib import Path\nimport numpy as np\nfrom codetether.codesearch import static\n"
              f"table = static.TokenTable(Path({str(path)!r}), {embedder.vocab_size}, {embedder.dimension})\n"
              "assert table.ensure(np.arange(4000, 4010), save_later=True) == (True, 10)\n"
              "assert table._saver is not None or Path(table.path).exists()\n")
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    table = static.TokenTable(path, embedder.vocab_size, embedder.dimension)
    assert table.done[4000:4010].all() and not table.done[4010]
    assert table.ensure(np.arange(4005, 4015), save_later=True) == (True, 5)
    saver = table._saver
    if saver is not None:
        saver.join(30)
    assert static.TokenTable(path, embedder.vocab_size, embedder.dimension).done[4000:4015].all()
