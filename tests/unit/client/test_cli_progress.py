"""The CLI's progress bars: their units say what they count, and a message printed while one
is drawn gets a line of its own instead of cutting into the bar's."""

from __future__ import annotations

import pytest

from weighthouse.cli.remote import echo_beside_bars, progress_bars

pytestmark = pytest.mark.unit


def test_byte_bars_use_the_si_prefixes_they_print(capsys: pytest.CaptureFixture[str]) -> None:
    bar = progress_bars(True)("downloading", 3_000_000)
    bar.update(1_500_000)
    bar.close()
    err = capsys.readouterr().err
    # tqdm prints k/M/G: 1,500,000 bytes are 1.50M, not 1.43M (which would be MiB).
    assert "1.50M/3.00M" in err
    assert "1.43M" not in err


def test_a_message_beside_a_bar_starts_a_line_of_its_own(
    capsys: pytest.CaptureFixture[str],
) -> None:
    bar = progress_bars(True)("downloading", 100)
    bar.update(40)
    echo_beside_bars("resuming w.bin from byte 40")
    bar.update(60)
    bar.close()
    err = capsys.readouterr().err
    before, found, after = err.partition("resuming w.bin from byte 40\n")
    assert found
    # The bar's line was cleared (carriage return) before the message, not written over.
    assert before.endswith("\r")
    assert "100/100" in after


def test_without_bars_a_message_is_a_plain_line(capsys: pytest.CaptureFixture[str]) -> None:
    bar = progress_bars(False)("downloading", 100)
    bar.update(100)
    echo_beside_bars("resuming w.bin from byte 40")
    bar.close()
    assert capsys.readouterr().err == "resuming w.bin from byte 40\n"
