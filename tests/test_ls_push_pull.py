"""Push and pull against a real server: idempotency, predictions with model_version, several
annotators with pseudonyms (also when the export expands users), cancelled annotations, the
choice of gold, atomic output."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from communique.annotation.convert import results_for
from communique.annotation.pull import (ANNOTATORS_DIR, GOLD_DIR, SUMMARY_FILE, convert_export,
                                        download_export, pseudonym)
from communique.annotation.push import prediction_document, push
from communique.schemas.io import dumps_document, write_jsonl
from communique.schemas.model import Prediction
from communique.schemas.validate import load_documents

ROOT = Path(__file__).resolve().parent.parent
MINI = ROOT / "tests" / "fixtures" / "mini.json"


@pytest.fixture(scope="module")
def mini():
    return load_documents([MINI])[0]


def _tasks(ls, pid):
    return list(ls.tasks.list(project=pid, fields="all", page_size=100))


def test_push_twice_adds_nothing_the_second_time(ls_server, ls_project_title, mini):
    ls = ls_server.client()
    first = push(ls, [mini], title=ls_project_title, gold=True)
    assert (first.project_created, first.tasks_created, first.annotations_created) == (True, 1, 1)
    again = push(ls, [mini], title=ls_project_title, gold=True)
    assert (again.project_created, again.tasks_created, again.tasks_existing,
            again.annotations_created, again.annotations_existing) == (False, 0, 1, 0, 1)
    tasks = _tasks(ls, first.project_id)
    assert len(tasks) == 1 and len(tasks[0].annotations) == 1
    # A document whose gold changed: the gold pushed before follows it (no second ground truth).
    changed = mini.with_layers(positions=())
    third = push(ls, [changed], title=ls_project_title, gold=True)
    assert (third.tasks_created, third.annotations_created, third.annotations_updated) == (0, 0, 1)
    (annotation,) = _tasks(ls, first.project_id)[0].annotations
    assert annotation["result"] == results_for(changed)


def test_push_updates_a_stale_config(ls_server, ls_project_title, mini):
    ls = ls_server.client()
    project = ls.projects.create(title=ls_project_title,
                                 label_config='<View><Text name="text" value="$text"/></View>')
    report = push(ls, [mini], title=ls_project_title)
    assert (report.project_id, report.project_created, report.config_updated) == \
        (project.id, False, True)
    assert "mention" in ls.projects.get(project.id).label_config


def test_predictions_carry_model_version_and_are_replaced_not_duplicated(
        ls_server, ls_project_title, mini, tmp_path):
    ls = ls_server.client()
    pred = Prediction(mini.id, {"mentions": mini.mentions, "actors": None, "events": None,
                                "attributions": None, "positions": None})
    report = push(ls, [mini], title=ls_project_title, predictions=[pred], model_version="base-1")
    assert (report.tasks_created, report.predictions_created) == (1, 1)
    stored = ls.predictions.list(project=report.project_id)
    assert [(p.model_version, p.result) for p in stored] == \
        [("base-1", results_for(prediction_document(pred, mini)))]
    again = push(ls, [mini], title=ls_project_title, predictions=[pred], model_version="base-1")
    assert (again.predictions_created, again.predictions_existing) == (0, 1)
    fewer = Prediction(mini.id, {"mentions": mini.mentions[:2]})
    third = push(ls, [mini], title=ls_project_title, predictions=[fewer], model_version="base-1")
    assert third.predictions_replaced == 1
    stored = ls.predictions.list(project=report.project_id)
    assert len(stored) == 1 and len(stored[0].result) == 2  # actors not predicted: no names
    # Through the command line, from a prediction file.
    path = tmp_path / "preds.jsonl"
    write_jsonl(path, [{"id": mini.id, "mentions": [m.to_dict() for m in mini.mentions[:1]]}])
    done = subprocess.run([sys.executable, "-m", "communique", "ls", "push", str(MINI),
                           "--predictions", str(path), "--model-version", "base-2",
                           "--project", ls_project_title], env=ls_server.env(),
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "predictions: 1 created, 0 replaced, 0 already there" in done.stdout
    versions = sorted(p.model_version for p in ls.predictions.list(project=report.project_id))
    assert versions == ["base-1", "base-2"]


def test_push_refuses_invalid_documents_and_pushes_nothing(ls_server, ls_project_title, tmp_path):
    bad = json.loads(MINI.read_text(encoding="utf-8"))
    bad["mentions"][0]["end"] += 1
    (tmp_path / "bad.json").write_text(json.dumps(bad), encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "communique", "ls", "push",
                           str(tmp_path / "bad.json"), "--project", ls_project_title],
                          env=ls_server.env(), capture_output=True, text=True)
    assert done.returncode == 2
    assert "$.mentions[0].text: found" in done.stderr
    assert "ls push: 1 problem(s); nothing pushed" in done.stderr
    assert not [p for p in ls_server.client().projects.list(title=ls_project_title)]


@pytest.fixture(scope="module")
def two_annotators(ls_server, mini, tmp_path_factory):
    """A project where the pushed gold (admin, ground truth), Alice and Bob annotated the same
    task, Bob also cancelled one; a second task only Alice annotated; exports with users by id
    and expanded."""
    ls = ls_server.client()
    alice = ls.users.create(username="alice", email="alice.secret@example.org",
                            first_name="Alice", last_name="Liddell")
    bob = ls.users.create(username="bob", email="bob.secret@example.org", first_name="Bob",
                          last_name="Builder")
    report = push(ls, [mini], title="two annotators", gold=True)
    pid = report.project_id
    task = _tasks(ls, pid)[0]
    alice_doc = mini.with_layers(positions=())
    ls.annotations.create(id=task.id, result=results_for(alice_doc), completed_by=alice.id)
    ls.annotations.create(id=task.id, result=results_for(mini), completed_by=bob.id)
    other = mini.without_layers().with_layers(mentions=mini.mentions[:1], actors=[
        a for a in mini.actors if a.mention_ids == (mini.mentions[0].id,)])
    from dataclasses import replace

    from communique.schemas.model import document_id_for, sha256_text

    text = mini.text + " Extra."
    other = replace(other, id=document_id_for(text), text=text, text_sha256=sha256_text(text))
    push(ls, [other], title="two annotators")
    other_task = next(t for t in _tasks(ls, pid) if t.id != task.id)
    ls.annotations.create(id=other_task.id, result=results_for(other), completed_by=alice.id)
    ls.annotations.create(id=other_task.id, result=[], completed_by=bob.id, was_cancelled=True)
    tmp = tmp_path_factory.mktemp("two")
    plain = download_export(ls, pid, tmp / "plain.json")
    exp = ls.projects.exports.create(pid, title="expanded", serialization_options={
        "annotations__completed_by": {"only_id": False}})
    import time

    while not str(ls.projects.exports.get(pid, exp.id).status).endswith("completed"):
        time.sleep(0.2)
    expanded = tmp / "expanded.json"
    with open(expanded, "wb") as fh:
        for chunk in ls.projects.exports.download(pid, exp.id, export_type="JSON"):
            fh.write(chunk)
    return {"plain": plain, "expanded": expanded, "alice": alice.id, "bob": bob.id,
            "mini": mini, "alice_doc": alice_doc, "other": other, "admin": ls.users.whoami().id}


@pytest.mark.parametrize("which", ["plain", "expanded"])
def test_pull_gives_one_set_per_annotator_with_pseudonyms_only(two_annotators, which, tmp_path):
    t = two_annotators
    text = t[which].read_text(encoding="utf-8")
    if which == "expanded":  # the export really carries the personal data …
        assert "alice.secret@example.org" in text and "Liddell" in text
    out = tmp_path / "out"
    summary = convert_export(t[which], out)
    assert summary.problems == []
    alice, bob, admin = (f"annotator-{t[k]}" for k in ("alice", "bob", "admin"))
    assert dict(summary.annotators) == {admin: 1, alice: 2, bob: 1}
    assert (summary.tasks, summary.annotations, summary.cancelled, summary.converted,
            summary.gold) == (2, 5, 1, 4, 2)
    mini, other = t["mini"], t["other"]
    read = lambda *p: out.joinpath(*p).read_text(encoding="utf-8")  # noqa: E731
    assert read(ANNOTATORS_DIR, alice, f"{mini.id}.json") == dumps_document(t["alice_doc"])
    assert read(ANNOTATORS_DIR, bob, f"{mini.id}.json") == dumps_document(mini)
    assert read(GOLD_DIR, f"{mini.id}.json") == dumps_document(mini)  # the ground truth
    assert read(GOLD_DIR, f"{other.id}.json") == dumps_document(other)  # the only one
    assert not (out / ANNOTATORS_DIR / bob / f"{other.id}.json").exists()  # cancelled
    # … and none of it reaches the output.
    everything = "".join(p.read_text(encoding="utf-8") for p in out.rglob("*") if p.is_file())
    for secret in ("alice.secret", "bob.secret", "Alice", "Liddell", "Builder", "@"):
        assert secret not in everything
    assert json.loads(read(SUMMARY_FILE))["cancelled_skipped"] == 1


def test_pseudonyms_never_use_anything_but_the_id():
    assert pseudonym(7) == "annotator-7"
    assert pseudonym({"id": 7, "email": "x@y.z", "first_name": "X"}) == "annotator-7"
    assert pseudonym({"email": "x@y.z"}) is None
    assert pseudonym("x@y.z") is None
    assert pseudonym(True) is None


def test_no_gold_without_ground_truth_among_several(two_annotators, tmp_path):
    raw = json.loads(two_annotators["plain"].read_text(encoding="utf-8"))
    for task in raw:
        for a in task["annotations"]:
            a["ground_truth"] = False
    path = tmp_path / "no-truth.json"
    path.write_text(json.dumps(raw), encoding="utf-8")
    summary = convert_export(path, tmp_path / "out")
    assert summary.gold == 1  # only the task with a single live annotation
    assert dict(summary.no_gold) == {"3 annotations and none marked ground truth": 1}


def test_pull_command_end_to_end_and_replaces_output_atomically(two_annotators, ls_server,
                                                                 tmp_path):
    out = tmp_path / "pulled"
    out.mkdir()
    (out / "stale.txt").write_text("old run", encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "communique", "ls", "pull", str(out),
                           "--project", "two annotators", "--keep-export",
                           str(tmp_path / "export.json")],
                          env=ls_server.env(), capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "2 task(s), 5 annotation(s): 4 converted, 1 cancelled (skipped), 0 problem(s)" in \
        done.stdout
    assert not (out / "stale.txt").exists()
    assert sorted(p.name for p in out.iterdir()) == [ANNOTATORS_DIR, GOLD_DIR, SUMMARY_FILE]
    assert (tmp_path / "export.json").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["export.json", "pulled"]
