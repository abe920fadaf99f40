"""Transfer slots: a share per account and per address, refused at once beyond it, and given
back however the upload ends."""

from __future__ import annotations

import pytest

from weighthouse.domain.errors import RateLimitedError
from weighthouse.frontends.transfer_slots import TransferSlots


def test_an_account_beyond_its_share_is_refused_while_others_go_on() -> None:
    slots = TransferSlots(per_account=2, per_client=10)
    with slots.hold(account="alice", client="a"), slots.hold(account="alice", client="b"):
        with pytest.raises(RateLimitedError) as refused, slots.hold(account="alice", client="c"):
            pass
        assert refused.value.retry_after > 0
        with slots.hold(account="bob", client="a"):
            assert slots.in_use(account="bob") == 1
        assert slots.in_use(account="alice") == 2
    assert slots.in_use(account="alice") == 0


def test_an_address_beyond_its_share_is_refused_whatever_the_account() -> None:
    slots = TransferSlots(per_account=10, per_client=2)
    with (
        slots.hold(account="alice", client="10.0.0.1"),
        slots.hold(account="bob", client="10.0.0.1"),
    ):
        with pytest.raises(RateLimitedError), slots.hold(account="carol", client="10.0.0.1"):
            pass
        # The refusal took nothing: carol holds no slot.
        assert slots.in_use(account="carol") == 0
        with slots.hold(account="carol", client="10.0.0.2"):
            pass
    assert slots.in_use(client="10.0.0.1") == 0


def test_a_failed_upload_gives_its_slot_back() -> None:
    slots = TransferSlots(per_account=1, per_client=1)
    with pytest.raises(ConnectionError), slots.hold(account="alice", client="a"):
        raise ConnectionError("the client went away")
    with slots.hold(account="alice", client="a"):
        assert slots.in_use(account="alice") == 1


def test_anonymous_callers_count_by_address_only() -> None:
    slots = TransferSlots(per_account=1, per_client=2)
    with (
        slots.hold(account=None, client="a"),
        slots.hold(account=None, client="a"),
        pytest.raises(RateLimitedError),
        slots.hold(account=None, client="a"),
    ):
        pass
