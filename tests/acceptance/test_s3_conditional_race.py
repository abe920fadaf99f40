"""Twenty clients race ``If-None-Match: *`` on one key through the S3 port: exactly one
creates it, every other one gets 412."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from threading import Barrier

import pytest
from botocore.exceptions import ClientError

from tests.acceptance.live import LiveServer
from tests.acceptance.s3 import make_s3_user, new_bucket, s3_client

pytestmark = pytest.mark.acceptance

RACERS = 20


def test_exactly_one_create_wins(live_server: LiveServer) -> None:
    user = make_s3_user(live_server)
    clients = [s3_client(live_server, user) for _ in range(RACERS)]
    bucket = new_bucket(clients[0], user)
    start = Barrier(RACERS)

    def race(index: int) -> int:
        start.wait(timeout=60)
        try:
            clients[index].put_object(
                Bucket=bucket, Key="once", Body=f"writer {index}".encode(), IfNoneMatch="*"
            )
        except ClientError as error:
            return int(error.response["ResponseMetadata"]["HTTPStatusCode"])
        return 200

    with ThreadPoolExecutor(RACERS) as pool:
        statuses = list(pool.map(race, range(RACERS)))
    assert statuses.count(200) == 1
    assert statuses.count(412) == RACERS - 1
    winner = statuses.index(200)
    stored = clients[0].get_object(Bucket=bucket, Key="once")["Body"].read()
    assert stored == f"writer {winner}".encode()
