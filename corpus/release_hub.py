"""Publishing a release folder to a dataset repository on the Hugging Face Hub.

The hub repository holds one version at a time at its root (the folder's files), and every
release is a git tag ``vX.Y.Z`` on the commit that uploaded it, so that
``load_dataset(repo_id, revision="vX.Y.Z")`` loads exactly that version. The steps are planned
first (``push_plan``) so that a dry run shows exactly what would be sent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .release import EXIT_INVALID, ReleaseError, read_manifest, verify_release
from .release_schema import DOCUMENTS, SPLITS

# The commit made by `upload_folder`, filled in when the plan runs.
UPLOADED_COMMIT = "<commit of upload_folder>"


@dataclass(frozen=True, slots=True)
class HubCall:
    """One `huggingface_hub.HfApi` method call: its name and keyword arguments."""

    method: str
    kwargs: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"method": self.method, "kwargs": self.kwargs}


def push_plan(folder: Path, repo_id: str, include_news_text: bool = False) -> list[HubCall]:
    """The hub calls that publish ``folder`` to ``repo_id`` and tag it. Refuses a folder that
    does not match its manifest, and one that carries news texts unless
    ``include_news_text`` (they may not be redistributable: build with --withhold-text news)."""
    problems = verify_release(folder)
    if problems:
        raise ReleaseError(f"refusing to push {folder}: it does not match its manifest",
                           problems, EXIT_INVALID)
    if repo_id.count("/") != 1 or not all(repo_id.split("/")):
        raise ReleaseError(f"--repo-id: found {repo_id!r}; allowed: OWNER/NAME",
                           exit_code=EXIT_INVALID)
    manifest = read_manifest(folder)
    news = sum(manifest["counts"][s][DOCUMENTS]["labels"]["provenance"].get("news", 0)
               for s in SPLITS)
    if news and "news" not in manifest["text_withheld_for"] and not include_news_text:
        raise ReleaseError(f"refusing to push {folder}: it holds the texts of {news} news "
                           "document(s), which their publishers may not allow to be "
                           "redistributed; allowed: a release built with --withhold-text news, "
                           "or --include-news-text when you hold the rights")
    tag = f"v{manifest['version']}"
    message = f"Communiqué {tag}"
    return [
        HubCall("create_repo", {"repo_id": repo_id, "repo_type": "dataset", "exist_ok": True}),
        HubCall("list_repo_refs", {"repo_id": repo_id, "repo_type": "dataset"}),
        HubCall("upload_folder", {"repo_id": repo_id, "repo_type": "dataset",
                                  "folder_path": str(folder), "commit_message": message,
                                  "delete_patterns": ["*"]}),
        HubCall("create_tag", {"repo_id": repo_id, "repo_type": "dataset", "tag": tag,
                               "tag_message": message, "revision": UPLOADED_COMMIT}),
    ]


def run_plan(plan: list[HubCall], api: Any) -> str:
    """Carry out a push plan with ``api`` (a `huggingface_hub.HfApi`); return the tagged
    commit. Refuses, before uploading, when the tag already exists on the hub."""
    commit = ""
    for call in plan:
        kwargs = dict(call.kwargs)
        if kwargs.get("revision") == UPLOADED_COMMIT:
            kwargs["revision"] = commit
        try:
            result = getattr(api, call.method)(**kwargs)
        except Exception as e:
            raise ReleaseError(f"push failed at {call.method}: {type(e).__name__}: {e}") from e
        if call.method == "list_repo_refs":
            tags = {ref.name for ref in result.tags}
            tag = next(c.kwargs["tag"] for c in plan if c.method == "create_tag")
            if tag in tags:
                raise ReleaseError(f"refusing to push: {call.kwargs['repo_id']} already has the "
                                   f"tag {tag}; allowed: a version not yet published")
        elif call.method == "upload_folder":
            commit = result.oid
    return commit
