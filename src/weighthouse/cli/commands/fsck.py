"""``weighthouse fsck``: check that every blob hashes to its name and that catalog and blob
store agree. Exits 1 when anything is wrong."""

from __future__ import annotations

from pathlib import Path

import click

from weighthouse.cli.local import open_server, server_settings, settings_options


@click.command("fsck")
@settings_options
@click.option("--no-content", is_flag=True, help="Check sizes and presence only; do not re-hash.")
def command(config_file: Path | None, data_dir: Path | None, no_content: bool) -> int:
    """Verify the blob store against the catalog."""
    container = open_server(server_settings(config_file, data_dir))
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
