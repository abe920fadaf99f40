r"""One name rule for users, organisations and repos, compatible with Hugging Face repo ids.

The oracle is Hugging Face's documented repo-id pattern,
``^(\b[\w\-.]+\b/)?\b[\w\-.]{1,96}\b$`` (``huggingface_hub``'s ``REPO_ID_REGEX``), taken for
one part (no namespace) and for ASCII only, plus the extra rules that ``validate_repo_id``
applies and :mod:`weighthouse.domain.names` documents: no ``--`` or ``..``, no leading or trailing
``-`` or ``.`` (the ``\b`` anchors already say so), and no ``.git`` suffix (in any case: ``.GIT``
names the same thing on case-insensitive file systems).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from weighthouse.bootstrap import Container, bootstrap, start
from weighthouse.config import AuthSettings, Settings
from weighthouse.domain.access import Principal
from weighthouse.domain.credentials import BearerToken
from weighthouse.domain.errors import InvalidNameError
from weighthouse.domain.model import RepoId, RepoType
from weighthouse.domain.names import NAME_MAX, check_name, is_valid_name

pytestmark = pytest.mark.unit

HF_REPO_PART = re.compile(r"\b[\w\-.]{1,96}\b", re.ASCII)


def oracle(name: str) -> bool:
    return (
        HF_REPO_PART.fullmatch(name) is not None
        and "--" not in name
        and ".." not in name
        and not name.lower().endswith(".git")
    )


def accepted(name: str) -> bool:
    try:
        assert check_name(name) == name
    except InvalidNameError as exc:
        assert exc.message and "invalid name" in exc.message
        assert not is_valid_name(name)
        return False
    assert is_valid_name(name)
    return True


# Mostly the characters that matter, a few that never may appear, and some look-alikes.
NEAR_ALPHABET = st.sampled_from(
    list("aZ09_-.")
    + list("-.") * 3
    + ["/", " ", "\n", "\x00", "é", "İ", "٣", "\uff46", "_", "+", "\\"]
)
near_names = st.text(NEAR_ALPHABET, min_size=0, max_size=12) | st.builds(
    lambda core, pad: core + pad, st.text(NEAR_ALPHABET, max_size=6), st.just("x" * 92)
)
valid_looking = st.from_regex(r"\A[A-Za-z0-9_][A-Za-z0-9_.\-]{0,95}\Z")


@settings(max_examples=600, deadline=None)
@given(st.text(max_size=100) | near_names | valid_looking)
@example("")
@example("a")
@example("_")
@example("__init__")
@example("x" * NAME_MAX)
@example("x" * (NAME_MAX + 1))
@example("a.git")
@example("a.GiT")
@example("a.gitx")
@example("git")
@example(".git")
@example("a-.b")
@example("a.-b")
@example("a_-b")
@example("a--b")
@example("a..b")
@example("a\n")
@example("\uff41")
@example("٣")
def test_check_name_accepts_exactly_the_hugging_face_names(name: str) -> None:
    assert accepted(name) == oracle(name), name


@settings(max_examples=200, deadline=None)
@given(valid_looking)
def test_names_the_oracle_accepts_survive_a_round_trip(name: str) -> None:
    if oracle(name):
        assert check_name(name, what="repo name") == name
        assert len(name) <= NAME_MAX


# --- the same rule at every use case that takes a name -----------------------------------------


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Container, Principal]]:
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("names") / "data",
        auth=AuthSettings(signup_per_client=100_000, argon2_memory_kib=8192, argon2_time_cost=1),
    )
    container = bootstrap(settings)
    issued = start(container)
    assert issued is not None
    yield container, container.authenticator.authenticate(BearerToken(issued.secret))
    container.close()


_counter = iter(range(10**9))


def _fresh(name: str) -> str:
    """Make a valid name unique in the catalog while keeping its shape (and invalid ones as
    they are)."""
    if not oracle(name):
        return name
    suffix = f"q{next(_counter)}"
    return (
        name[: NAME_MAX - len(suffix)] + suffix if name[-1].isalnum() or name[-1] == "_" else name
    )


def _sign_up(hub: tuple[Container, Principal], name: str) -> object:
    return hub[0].users.sign_up(name, "long enough password", client="unit")


def _create_user(hub: tuple[Container, Principal], name: str) -> object:
    return hub[0].users.create(hub[1], name)


def _create_org(hub: tuple[Container, Principal], name: str) -> object:
    return hub[0].orgs.create(hub[1], name)


def _create_repo(hub: tuple[Container, Principal], name: str) -> object:
    admin = hub[1]
    assert admin.user is not None
    return hub[0].repos.create(admin, RepoId(RepoType.MODEL, admin.user.name, name))


def _create_repo_in(hub: tuple[Container, Principal], name: str) -> object:
    """The name as the namespace of a repo: it must name a user or organisation first."""
    return hub[0].repos.create(hub[1], RepoId(RepoType.DATASET, name, "data"))


USE_CASES: dict[str, Callable[[tuple[Container, Principal], str], object]] = {
    "sign-up": _sign_up,
    "admin creates user": _create_user,
    "create organisation": _create_org,
    "create repo": _create_repo,
}

EXAMPLES = [
    "bert-base-uncased",
    "Llama-3.1_8B.Instruct",
    "_private",
    "x" * 90,
    "",
    "x" * 97,
    "a--b",
    "a..b",
    "-lead",
    "trail.",
    "repo.git",
    "Repo.GIT",
    "with space",
    "slash/inside",
    "ünïcode",
    "tab\tname",
]


@pytest.mark.parametrize("use_case", list(USE_CASES))
@pytest.mark.parametrize("name", EXAMPLES)
def test_every_use_case_applies_the_same_rule(
    hub: tuple[Container, Principal], use_case: str, name: str
) -> None:
    name = _fresh(name)
    if oracle(name):
        created = USE_CASES[use_case](hub, name)
        assert getattr(created, "name", None) == name
    else:
        with pytest.raises(InvalidNameError):
            USE_CASES[use_case](hub, name)


@settings(max_examples=40, deadline=None)
@given(name=near_names | valid_looking, use_case=st.sampled_from(list(USE_CASES)))
def test_use_cases_agree_with_the_oracle_on_random_names(
    hub: tuple[Container, Principal], name: str, use_case: str
) -> None:
    name = _fresh(name)
    try:
        USE_CASES[use_case](hub, name)
    except InvalidNameError:
        assert not oracle(name), name
    else:
        assert oracle(name), name


def test_an_organisation_name_is_a_valid_repo_namespace(hub: tuple[Container, Principal]) -> None:
    org = _fresh("team.name_1")
    _create_org(hub, org)
    repo = _create_repo_in(hub, org)
    assert getattr(repo, "namespace", None) == org
