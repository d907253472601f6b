"""The CLI layer of build and reconcile: exit codes, one-line errors, the library call it makes."""

from __future__ import annotations

from click.testing import CliRunner

from zoning.cli.main import cli


def test_help_lists_the_subcommands():
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0
    for name in ("build", "reconcile"):
        assert name in result.output
    for name in ("build", "reconcile"):
        sub = CliRunner().invoke(cli, [name, "--help"])
        assert sub.exit_code == 0 and "Usage: " in sub.output


def test_build_and_reconcile_on_the_fixture(county_dir, tmp_path):
    runner = CliRunner()
    out = tmp_path / "out"
    r = runner.invoke(cli, ["build", "--scheme", str(county_dir / "scheme.toml"), "--out-dir", str(out)])
    assert r.exit_code == 0, r.output
    assert "level 1 14.5000 km², level 2 3.0000 km², overlaps deducted 0.6000 km², net 16.9000 km², union 16.6500 km²" in r.output
    r = runner.invoke(cli, ["reconcile", "--county", str(county_dir), "--zones", str(out / "zones.gpkg"),
                            "--out-dir", str(out), "--raster-cells", ""])
    assert r.exit_code == 0, r.output
    assert (out / "reconciliation.md").exists() and (out / "reconciliation.json").exists()
    again = runner.invoke(cli, ["reconcile", "--county", str(county_dir), "--zones", str(out / "zones.gpkg"),
                                "--out-dir", str(out), "--raster-cells", ""])
    assert again.exit_code == 1 and "pass --overwrite" in again.output
    strict = runner.invoke(cli, ["reconcile", "--county", str(county_dir), "--zones", str(out / "zones.gpkg"),
                                 "--out-dir", str(out), "--raster-cells", "", "--strict", "--overwrite"])
    assert strict.exit_code == 3  # the fixture's true union differs from the plan's net on purpose


def test_unknown_county_is_one_line(tmp_path):
    r = CliRunner().invoke(cli, ["reconcile", "--county", "atlantis", "--table-only"])
    assert r.exit_code == 1
    assert r.output.strip().startswith("zoning: error:") and "atlantis/scheme.toml: scheme file not found" in r.output
    assert len(r.output.strip().splitlines()) == 1


def test_build_refuses_to_overwrite_without_the_flag(county_dir, tmp_path):
    runner = CliRunner()
    args = ["build", "--scheme", str(county_dir / "scheme.toml"), "--out-dir", str(tmp_path / "o")]
    assert runner.invoke(cli, args).exit_code == 0
    again = runner.invoke(cli, args)
    assert again.exit_code == 1 and "pass --overwrite" in again.output
    assert runner.invoke(cli, [*args, "--overwrite"]).exit_code == 0
