"""``weighthouse fsck``: check that every blob hashes to its name and that catalog and blob
store agree. Exits 1 when anything is wrong."""

from __future__ import annotations

from pathlib import Path

import click

from weighthouse.bootstrap import bootstrap
from weighthouse.cli.local import data_dir_option, local_settings


@click.command("fsck")
@data_dir_option
@click.option("--no-content", is_flag=True, help="Check sizes and presence only; do not re-hash.")
@click.pass_context
def command(ctx: click.Context, data_dir: Path | None, no_content: bool) -> int:
    """Verify the blob store against the catalog."""
    container = bootstrap(local_settings(data_dir))
    try:
        report = container.maintenance.fsck(verify_content=not no_content)
    finally:
        container.close()
    for label, items in (
        ("corrupt", report.corrupt),
        ("missing", report.missing),
        ("size mismatch", report.size_mismatch),
    ):
        for sha256 in items:
            click.echo(f"{label}: {sha256}", err=True)
    status = "clean" if report.clean else "PROBLEMS FOUND"
    click.echo(
        f"fsck: {status}: {report.blobs_checked} blobs ({report.bytes_checked} bytes) checked, "
        f"{report.references_checked} references, {len(report.corrupt)} corrupt, "
        f"{len(report.missing)} missing, {len(report.size_mismatch)} size mismatches, "
        f"{report.unreferenced} unreferenced"
    )
    return 0 if report.clean else 1
