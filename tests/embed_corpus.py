"""The embed app's test corpus: 200 short texts under ``texts/``, of which ``texts/037.txt`` and
``texts/151.txt`` are near-identical and every other pair differs in subject, verb or object;
shared by the app's unit test and its end-to-end test."""

from __future__ import annotations

from pathlib import Path

TWIN_PATHS = ("texts/037.txt", "texts/151.txt")

TWINS = (
    "The quick brown fox jumps over the lazy dog near the river bank.",
    "The quick brown fox jumped over the lazy dog near the riverbank!",
)
SUBJECTS = [
    "The bank",
    "A chef",
    "The committee",
    "Our telescope",
    "The startup",
    "A violinist",
    "The glacier",
    "My grandmother",
    "The compiler",
    "A farmer",
    "The senate",
    "The striker",
    "A nurse",
    "The volcano",
    "The orchestra",
]
VERBS = [
    "raised",
    "measured",
    "published",
    "cooked",
    "debated",
    "painted",
    "repaired",
    "discovered",
    "sold",
    "photographed",
    "planted",
    "rehearsed",
    "audited",
    "observed",
]
OBJECTS = [
    "interest rates",
    "a spicy curry",
    "the new budget",
    "a distant galaxy",
    "an old bicycle",
    "the quarterly report",
    "a mountain village",
    "winter wheat",
    "a jazz symphony",
    "the source code",
    "a marble statue",
    "the election results",
    "a penalty kick",
    "fresh bread",
    "a medieval castle",
]


def dataset(folder: Path) -> None:
    folder.mkdir(parents=True)
    texts = [
        f"{SUBJECTS[i % 15]} {VERBS[(i * 7) % 14]} {OBJECTS[(i * 11) % 15]} on day {i}."
        for i in range(198)
    ]
    texts[37:37] = [TWINS[0]]
    texts[151:151] = [TWINS[1]]
    for number, text in enumerate(texts):
        (folder / "texts" / f"{number:03}.txt").parent.mkdir(exist_ok=True)
        (folder / "texts" / f"{number:03}.txt").write_text(text)
    (folder / "README.md").write_text("# Two hundred short texts\n")  # Not under texts/.
