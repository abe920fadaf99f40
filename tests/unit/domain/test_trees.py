from __future__ import annotations

import pytest

from weighthouse.domain.errors import EntryNotFoundError, PathConflictError
from weighthouse.domain.model import EntryKind, Tree
from weighthouse.domain.trees import EMPTY_TREE, TreeEditor

pytestmark = pytest.mark.unit

SHA = "a" * 64


class Store:
    """Trees by id, counting loads to prove structure is shared."""

    def __init__(self) -> None:
        self.trees: dict[str, Tree] = {EMPTY_TREE.id: EMPTY_TREE}
        self.loads = 0

    def load(self, tree_id: str) -> Tree:
        self.loads += 1
        return self.trees[tree_id]

    def commit(self, root: Tree, edits: list[tuple[str, str | None]]) -> tuple[Tree, list[Tree]]:
        editor = TreeEditor(self.load, root)
        for path, sha in edits:
            if sha is None:
                editor.delete(path)
            else:
                editor.put(path, sha, 3, None)
        new_root, created = editor.finish()
        for tree in created:
            self.trees[tree.id] = tree
        return new_root, created

    def files(self, root: Tree, prefix: str = "") -> dict[str, str]:
        out: dict[str, str] = {}
        for e in root.entries:
            path = f"{prefix}{e.name}"
            if e.kind is EntryKind.DIRECTORY:
                assert e.tree_id is not None
                out.update(self.files(self.trees[e.tree_id], path + "/"))
            else:
                assert e.sha256 is not None
                out[path] = e.sha256
        return out


def test_add_nested_and_read_back() -> None:
    store = Store()
    root, created = store.commit(
        EMPTY_TREE, [("a/b/c.txt", SHA), ("a/d.txt", "b" * 64), ("e", SHA)]
    )
    assert store.files(root) == {"a/b/c.txt": SHA, "a/d.txt": "b" * 64, "e": SHA}
    assert len(created) == 3  # root, a, a/b


def test_one_change_rewrites_only_its_path() -> None:
    store = Store()
    edits: list[tuple[str, str | None]] = [
        (f"d{i}/f{j}", SHA) for i in range(50) for j in range(20)
    ]
    root, _ = store.commit(EMPTY_TREE, edits)
    store.loads = 0
    new_root, created = store.commit(root, [("d7/f3", "c" * 64)])
    assert len(created) == 2  # the root and d7 only
    assert store.loads == 1  # only d7 was read
    unchanged = {e.name: e.tree_id for e in root.entries if e.name != "d7"}
    assert {e.name: e.tree_id for e in new_root.entries if e.name != "d7"} == unchanged


def test_same_content_same_id() -> None:
    store = Store()
    one, _ = store.commit(EMPTY_TREE, [("x/y", SHA), ("z", SHA)])
    two, _ = store.commit(EMPTY_TREE, [("z", SHA), ("x/y", SHA)])
    assert one.id == two.id


def test_delete_file_and_empty_folders_vanish() -> None:
    store = Store()
    root, _ = store.commit(EMPTY_TREE, [("a/b/c", SHA), ("keep", SHA)])
    root, _ = store.commit(root, [("a/b/c", None)])
    assert store.files(root) == {"keep": SHA}
    assert [e.name for e in root.entries] == ["keep"]


def test_delete_folder() -> None:
    store = Store()
    root, _ = store.commit(EMPTY_TREE, [("a/b/c", SHA), ("a/d", SHA), ("e", SHA)])
    root, _ = store.commit(root, [("a", None)])
    assert store.files(root) == {"e": SHA}


def test_operations_apply_in_order() -> None:
    store = Store()
    root, _ = store.commit(EMPTY_TREE, [("a/x", SHA)])
    root, _ = store.commit(root, [("a", None), ("a/y", "b" * 64)])
    assert store.files(root) == {"a/y": "b" * 64}


def test_missing_path_delete_fails() -> None:
    store = Store()
    with pytest.raises(EntryNotFoundError):
        store.commit(EMPTY_TREE, [("nope/x", None)])


@pytest.mark.parametrize(("first", "second"), [("a", "a/b"), ("a/b", "a"), ("a/b/c", "a/b")])
def test_file_folder_conflicts(first: str, second: str) -> None:
    store = Store()
    root, _ = store.commit(EMPTY_TREE, [(first, SHA)])
    with pytest.raises(PathConflictError):
        store.commit(root, [(second, SHA)])


def test_names_sort_by_utf8_bytes() -> None:
    store = Store()
    root, _ = store.commit(EMPTY_TREE, [(n, SHA) for n in ["é", "z", "a-b", "a", "Z"]])
    assert [e.name for e in root.entries] == sorted(["é", "z", "a-b", "a", "Z"], key=str.encode)
