"""``cadastre qualify``: first-level PV qualification of municipal buildings from a finished cadastre."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.table import Table

from cadastre.errors import OptionError
from cli.options import OVERWRITE, QUIET, display, handle_errors, progress_bar, stdout

if TYPE_CHECKING:
    from cadastre.qualify.operation import QualifyResult


def _print_config(value: bool) -> None:
    if value:
        from cadastre.qualify.config import default_qualify_toml

        typer.echo(default_qualify_toml(), nl=False)
        raise typer.Exit()


def _print_template(value: bool) -> None:
    if value:
        from cadastre.qualify.municipal import municipal_template

        typer.echo(municipal_template(), nl=False)
        raise typer.Exit()


def qualify_command(
    run_dir: Path = typer.Argument(..., help="Output folder of 'cadastre buildings' or a 'cadastre run' RUN_DIR.",
                                   show_default=False),
    buildings: Path = typer.Option(..., "--buildings", "-b", help="municipal.csv: the candidate buildings "
                                   "(see --template).", show_default=False),
    output: Path = typer.Option(..., "--output", "-o", help="Output folder (created if missing).",
                                show_default=False),
    config: Path = typer.Option(None, "--config", "-c", help="TOML parameters (see --print-config).",
                                show_default=False),
    print_config: bool = typer.Option(False, "--print-config", is_eager=True, callback=_print_config,
                                      help="Print every parameter with its default and source (TOML) and exit."),
    template: bool = typer.Option(False, "--template", is_eager=True, callback=_print_template,
                                  help="Print a documented municipal.csv template and exit."),
    lang: str = typer.Option("fr", "--lang", help="Language of qualification.html: fr or en (the CSV keeps its "
                             "codes)."),
    top: int = typer.Option(5, "--top", help="How many of the best-ranked buildings get a chart in the HTML "
                            "and a line in the summary."),
    overwrite: bool = OVERWRITE,
    quiet: bool = QUIET,
) -> None:
    """Rank municipal buildings for PV: production, self-consumption, savings, payback, verdict.

    Each row of the municipal CSV is matched to a building of the cadastre
    (building_id, footprint holding x/y or lon/lat, or the nearest within 20 m),
    sized, and qualified: hourly PVWatts production of its roof faces (with
    the cadastre's shading) against a load profile of its type, three
    scenarios (sized for self-consumption, whole roof with the surplus sold,
    total sale) and the one recommended by the objective (NPV by default),
    savings and sales, investment by size band less the grouped purchase's
    reduction, payback, 20-year NPV, LCOE, CO2 avoided, score, rank and
    verdict (qualified / to study / not qualified) with reasons, and the
    daily hot-water demand. Prices and tariffs are 2024 orders of magnitude:
    review them (--print-config).

    Writes into OUTPUT: qualification.csv and qualification.gpkg (one row per
    building), operation.csv (per commune and the whole operation),
    qualification.html (self-contained summary), qualify.json and qualify.toml
    (the parameters used).

    Examples:

        cadastre qualify --template > municipal.csv

        cadastre qualify run/ --buildings municipal.csv -o qualification/
    """
    started = time.perf_counter()
    from cadastre.qualify.config import load_qualify_config
    from cadastre.qualify.operation import qualify
    from cadastre.pages.labels import LANGS
    from cadastre.qualify.outputs import check_outputs, write_qualification

    with handle_errors():
        if top < 0:
            raise OptionError(f"--top: {top}; give a number >= 0")
        if lang not in LANGS:
            raise OptionError(f"--lang {lang}: unknown language; use one of {', '.join(LANGS)}")
        cfg = load_qualify_config(config)
        check_outputs(output, overwrite=overwrite)
        with progress_bar("qualify (buildings)", 1, quiet=quiet) as update:
            result = qualify(run_dir, buildings, config=cfg, progress=update)
        write_qualification(result, output, overwrite=overwrite, top=top, lang=lang)
        if not quiet:
            print_summary(result, output, time.perf_counter() - started, top=top)


def print_summary(result: QualifyResult, output: Path, seconds: float, *, top: int = 5) -> None:
    """The summary table, the best-ranked buildings and the rows with a problem, on stdout."""
    import pandas as pd

    stdout.print(summary_table(result, output, seconds))
    t = pd.DataFrame(result.table.drop(columns="geometry"))
    best = t[t["status"] == "ok"].sort_values("rank").head(top)
    if top and len(best):
        table = Table(title=f"top {len(best)} buildings")
        for column in ("rank", "building", "commune", "kWp", "MWh/yr", "self-cons.", "payback", "verdict"):
            table.add_column(column, justify="left" if column in ("commune", "building", "verdict") else "right",
                             no_wrap=column in ("verdict", "payback"))
        for _, r in best.iterrows():
            payback = "-" if pd.isna(r["payback_years"]) else f"{r['payback_years']:.1f} yr"
            table.add_row(str(r["rank"]), str(r["name"]), str(r["commune"]), f"{r['kwp']:,.1f}", f"{r['mwh']:,.1f}",
                          f"{r['self_consumption_rate']:.0%}", payback, str(r["verdict"]))
        stdout.print(table)
    bad = t[t["status"] == "error"]
    if len(bad):
        table = Table(title=f"{len(bad)} rows with a problem (still listed in qualification.csv)")
        for column in ("line", "building", "problem"):
            table.add_column(column)
        for _, r in bad.iterrows():
            table.add_row(str(r["line"]), str(r["name"]), str(r["reasons"]))
        stdout.print(table)


def summary_table(result: QualifyResult, output: Path, seconds: float) -> Table:
    """One table: outputs, rows, verdicts, the grouped purchase and the time.

    The counts are those of the operation's total row (``operation.csv``): a row with a problem
    counts among the problems, not among the buildings judged not qualified.
    """
    from cadastre.qualify.outputs import OUTPUTS

    m, total = result.meta, result.operation.iloc[-1]
    table = Table(title="cadastre qualify", show_header=False)
    table.add_row("output", f"{display(output)}/ ({', '.join(OUTPUTS)})")
    table.add_row("rows / problems", f"{int(total['buildings']):,} / {int(total['errors']):,}")
    table.add_row("qualified / to study / not qualified",
                  f"{int(total['qualified'])} / {int(total['to_study'])} / {int(total['not_qualified'])}")
    table.add_row("qualified: MWp / MWh/yr", f"{total['mwp']:,.3f} / {total['mwh']:,.1f}")
    table.add_row("qualified: investment", f"{total['investment_eur']:,.0f} € excl. VAT (prices to review)")
    grouping = m.get("grouping") or {}
    if grouping:
        table.add_row("grouped purchase", f"{grouping['buildings']} buildings, {grouping['total_kwp']:,.1f} kWp: cost "
                      f"per kWp -{grouping['cost_reduction']:.0%}; NPV {total['alone_npv_eur']:,.0f} € alone, "
                      f"{total['grouped_npv_eur']:,.0f} € grouped")
    how = f"by {m.get('objective')}" if m.get("mode") == "objective" else f"imposed ({m.get('mode')})"
    counts = ", ".join(f"{k} {v}" for k, v in (m.get("scenarios") or {}).items())
    table.add_row("recommended scenarios", f"{how}: {counts}")
    for note in m["notes"]:
        table.add_row("note", note)
    table.add_row("time", f"{seconds:.1f} s")
    return table
