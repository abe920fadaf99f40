from __future__ import annotations

import pytest

from weighthouse.frontends.hf.cards import InvalidCardError, card_data, front_matter

pytestmark = pytest.mark.unit


def test_front_matter_is_the_first_yaml_block() -> None:
    text = "---\nlicense: mit\ntags: [a, b]\ndate: 2026-01-02\n---\n# Title\n---\nx: 1\n---\n"
    assert front_matter(text) == {"license": "mit", "tags": ["a", "b"], "date": "2026-01-02"}
    assert front_matter("# no metadata\n") is None
    assert front_matter("---\nnever closed: 1\n") is None
    assert front_matter("---\n---\n") == {}


@pytest.mark.parametrize(
    "block",
    [
        "a: [unclosed",
        "- a list\n- not a mapping",
        "a: &x [1, 2]\nb: [*x, *x]",
        "!!python/object:os.system {}",
    ],
)
def test_bad_front_matter_is_refused(block: str) -> None:
    with pytest.raises(InvalidCardError):
        front_matter(f"---\n{block}\n---\n")
    assert card_data(f"---\n{block}\n---\n".encode()) is None
