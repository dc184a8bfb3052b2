"""The annotation leg of `make demo`: the corpus goes through a real local server and back."""

from __future__ import annotations

from pathlib import Path

from communique.annotation.demo import roundtrip_demo
from communique.annotation.server import DATA_ENV, copy_data_dir, port_free, stop

ROOT = Path(__file__).resolve().parent.parent


def test_roundtrip_demo_brings_the_corpus_back_unchanged(ls_template, tmp_path, monkeypatch,
                                                         capsys):
    data = tmp_path / "ls"
    copy_data_dir(ls_template, data)
    monkeypatch.setenv(DATA_ENV, str(data))
    port = next(p for p in range(18098, 18080, -1) if port_free(p))
    try:
        code = roundtrip_demo(ROOT / "corpus" / "documents", out=tmp_path / "out", port=port)
    finally:
        stop(data)
    out = capsys.readouterr().out
    assert code == 0, out
    n = len(list((ROOT / "corpus" / "documents").glob("*.json")))
    assert f"round trip: all {n} document(s) came back from Label Studio identical" in out
    assert f"http://127.0.0.1:{port}/projects/" in out
    assert len(list((tmp_path / "out" / "gold").glob("*.json"))) == n


def test_roundtrip_demo_refuses_an_invalid_corpus(tmp_path, capsys):
    (tmp_path / "bad.json").write_text("{}", encoding="utf-8")
    assert roundtrip_demo(tmp_path) == 2
    assert "annotation demo: the corpus has" in capsys.readouterr().err
