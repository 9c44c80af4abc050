"""``cadastre run`` (the territory batch) and ``cadastre init`` (its configuration file)."""

from __future__ import annotations

import os
import shlex
import signal
import sys
import threading
from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table

from cadastre.errors import NoOverlapError, OptionError, OutputFileError
from cli.options import QUIET, console, display, handle_errors, stdout

SAMPLES = Path(__file__).resolve().parents[1] / "samples"


def run_command(
    config: Path = typer.Argument(..., help="Run configuration (TOML; 'cadastre init' writes an example)."),
    output: Path = typer.Option(Path("run"), "--output", "-o", help="Run folder (created; reused on resume)."),
    scheduler: str = typer.Option(
        None, "--scheduler", help="Address of a running dask.distributed scheduler (tcp://HOST:PORT), or "
        "'synchronous' to run every task in this process. Default: a local Dask cluster.", show_default=False,
    ),
    workers: int = typer.Option(None, "--workers", "-n", help="Workers of the local cluster. Default: all cores.",
                                show_default=False),
    dry_run: bool = typer.Option(False, "--dry-run", help="Print the plan (tiles, halo, estimated time and disk) "
                                 "and exit without computing."),
    resume: bool = typer.Option(True, "--resume/--restart", help="Keep the completed tiles of an earlier run in "
                                "OUTPUT (default), or remove them and start again."),
    quiet: bool = QUIET,
) -> None:
    """Compute the cadastre of a whole territory, tile by tile, on Dask.

    Each 1 km tile (tiles.size) reads its core plus a halo (tiles.halo) from
    its neighbours, computes the irradiance, roof faces and buildings of its
    core, and writes them atomically with a manifest entry; a killed run
    resumes where it stopped. At the end: irradiance.vrt (mosaic of the tiles'
    COGs), buildings.gpkg, roofs.gpkg, communes.csv, epci.csv, territory.csv
    and run.json (totals, timing, tiles done and failed). Exit code 1 when a
    tile failed (the others are kept), 2 on bad input or when no building was
    found, 130 on Ctrl-C (run the command again to resume).

    Example:

        cadastre init -o run.toml && cadastre run run.toml -o run/
    """
    from cadastre.territory.config import load_run_config
    from cadastre.territory.plan import make_plan
    from cadastre.territory.run import check_apart_from_inputs

    with handle_errors():
        if workers is not None and workers < 1:
            raise OptionError(f"--workers: {workers}; give 1 or more")
        cfg = load_run_config(config)
        if output.exists() and not output.is_dir():
            raise OutputFileError(f"{output}: exists and is not a folder")
        check_apart_from_inputs(cfg, output)
        try:
            plan = make_plan(cfg)  # reads the header of every input file: minutes for a large territory
        except KeyboardInterrupt:
            _interrupted(None, output, resume)
        cores = os.cpu_count() or 1
        n = workers or cores
        if dry_run:
            stdout.print(plan_table(plan, output, n))
            return
        with _locked(output):
            summary = _compute(cfg, plan, output, scheduler, n, cores, resume, quiet)
        _report(summary, cfg, output, quiet)


def _locked(output: Path):
    """The run folder's lock, taken before the cluster starts (a second run is refused at once); the run's
    own :func:`~cadastre.territory.run.run` shares it."""
    from cadastre.territory.folder import hold
    from cadastre.territory.run import check_run_dir

    check_run_dir(output)
    return hold(output)


def _compute(cfg, plan, output: Path, scheduler: str | None, n: int, cores: int, resume: bool, quiet: bool) -> dict:
    """Start the cluster (or reach the scheduler), run, close it; Ctrl-C exits 130 once no worker writes."""
    client = cluster = None
    interrupted = False
    threads = None
    try:
        if scheduler is None:
            from distributed import Client

            threads = max(1, cores // n)
            cluster = _local_cluster(n)
            client = Client(cluster)
        elif scheduler != "synchronous":
            from distributed import Client

            try:
                client = Client(scheduler, timeout=10)
            except OSError as exc:
                raise OptionError(f"--scheduler: cannot reach {scheduler} ({exc}); start the scheduler "
                                  "first") from None
        summary = _run_with_bars(cfg, plan, output, client, not resume, threads, quiet)
    except KeyboardInterrupt:
        interrupted = True
    finally:
        if client is not None:
            client.close()
        if cluster is not None:
            cluster.close()
    if interrupted:  # counted now that no worker writes
        _interrupted(plan, output, resume)
    return summary


def _local_cluster(n: int):
    """A local Dask cluster of ``n`` worker processes of one thread, which ignore Ctrl-C and die with this process."""
    from distributed import LocalCluster

    import dask

    from cadastre.territory.lifeline import PARENT_PID

    environ = dict(dask.config.get("distributed.nanny.pre-spawn-environ", {}))
    environ.pop("MALLOC_TRIM_THRESHOLD_", None)
    environ[PARENT_PID] = str(os.getpid())  # the workers die with this process (cadastre.territory.lifeline)
    preload = [*dask.config.get("distributed.worker.preload", []), "cadastre.territory.lifeline"]
    with dask.config.set({"distributed.nanny.pre-spawn-environ": environ, "distributed.worker.preload": preload}), \
            _workers_ignore_ctrl_c():
        # no dashboard; its HTTP server (health checks) on a free port, not 8787, which another
        # cluster may hold (a warning on stderr)
        return LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None,
                            silence_logs=50, scheduler_kwargs={"dashboard_address": ":0"})


def _report(summary: dict, cfg, output: Path, quiet: bool) -> None:
    """The summary table, the warnings and failures of a run; exit 2 without building, 1 with a failed task."""
    if not quiet:
        stdout.print(summary_table(summary, output))
        if summary["tiles_reused"]:
            console.print(f"{summary['tiles_reused']:,} tiles reused from the previous run")
    _warn_lines(summary.get("warnings", []))
    for h in summary.get("tiles_halo_incomplete", []):
        console.print(f"[yellow]warning[/yellow] tile {h['tile']}: computed without the halo of "
                      f"{', '.join(h['missing'])} (failed); rerun once they are fixed")
    _warn_low_density(summary.get("tiles_low_density", []), cfg.resolution)
    outside = summary.get("totals", {}).get("outside_buildings", 0)
    if outside:
        where = escape(display(cfg.communes)) if cfg.communes else "the 150 PMA communes (the default)"
        console.print(f"[yellow]warning[/yellow] {outside:,} of the {summary['buildings']:,} buildings lie outside "
                      f"every commune of {where}: they count in territory.csv but in no commune; give your "
                      "communes as inputs.communes", soft_wrap=True)
    for f in summary["tiles_failed"]:
        console.print(f"[red]failed[/red] tile {f['tile']} ({f['stage']}): {escape(str(f['error']))}")
    if not summary["buildings"]:
        raise NoOverlapError(f"no building found in the {_tiles(summary['tiles'])} of {display(output)}/: "
                             f"{_why_nothing(summary, cfg.resolution)}")
    if summary["tiles_failed"]:
        raise typer.Exit(1)


def _warn_lines(lines: list[str]) -> None:
    """The run's warnings (run.json: warnings), the first :data:`MAX_WARNINGS` one per line, the others counted."""

    for line in lines[:MAX_WARNINGS]:
        console.print(f"[yellow]warning[/yellow] {escape(line)}", soft_wrap=True)
    if len(lines) > MAX_WARNINGS:
        console.print(f"[yellow]warning[/yellow] {len(lines) - MAX_WARNINGS:,} more warnings (run.json: warnings)",
                      soft_wrap=True)


MAX_WARNINGS = 10
"""Tiles named one by one in the warnings of a run; the others are counted."""


def _workers_ignore_ctrl_c():
    """Ignore Ctrl-C while the local cluster starts its worker processes, which keep ignoring it.

    Ctrl-C reaches every process of the terminal's group: the workers would each print a traceback;
    this process stops the run instead and closes the cluster.
    """
    import contextlib

    if threading.current_thread() is not threading.main_thread():
        return contextlib.nullcontext()

    @contextlib.contextmanager
    def ignoring():
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
        try:
            yield
        finally:
            signal.signal(signal.SIGINT, previous)

    return ignoring()


def _interrupted(plan, output: Path, resume: bool) -> None:
    """One line on stderr, the tiles done (on disk) of the plan's, and exit 130 (the shell's code for Ctrl-C)."""
    if plan is None:
        print("interrupted: while reading the inputs, before any tile was computed", file=sys.stderr)
        raise typer.Exit(130)
    from cadastre.territory.run import tiles_done

    done = tiles_done(output, plan) if output.is_dir() else 0
    again = "run the same command again" if resume else "run the same command without --restart"
    print(f"interrupted: {done:,} of {len(plan.tiles):,} tiles done; {again} to resume", file=sys.stderr)
    raise typer.Exit(130)


def _tiles(n: int) -> str:
    return f"{n:,} tile" if n == 1 else f"{n:,} tiles"


def _warn_low_density(sparse: list[dict], resolution: float) -> None:
    """One warning per tile too sparse for the cell size (the first :data:`MAX_WARNINGS`)."""
    from cadastre.territory.density import POINTS_PER_CELL

    for s in sparse[:MAX_WARNINGS]:
        console.print(f"[yellow]warning[/yellow] tile {s['tile']}: {s['density']:.2g} LiDAR points/m², "
                      f"{s['points_per_cell']:.2g} per {resolution:g} m cell: too sparse to find roofs; "
                      f"tiles.resolution = {s['resolution']:g} suits it (about {POINTS_PER_CELL:g} points per cell)",
                      soft_wrap=True)
    if len(sparse) > MAX_WARNINGS:
        console.print(f"[yellow]warning[/yellow] {_tiles(len(sparse) - MAX_WARNINGS)} more too sparse for "
                      f"{resolution:g} m cells (run.json: tiles_low_density)", soft_wrap=True)


def _why_nothing(summary: dict, resolution: float) -> str:
    """The likely reason why a run found no building, for its error line."""
    sparse = summary.get("tiles_low_density", [])
    if sparse:
        suited = max(s["resolution"] for s in sparse)
        return (f"the LiDAR of {_tiles(len(sparse))} is too sparse for {resolution:g} m cells (warnings above); "
                f"set tiles.resolution = {suited:g}, or give denser LiDAR")
    if summary["tiles_failed"]:
        return f"{len(summary['tiles_failed']):,} tasks failed (above)"
    return ("no footprint with a roof cell lies in the tiles; check that inputs.footprints (else the LiDAR's "
            "class-6 building points) cover the tiles' extent")


def _run_with_bars(cfg, plan, output, client, restart, threads, quiet):
    from cadastre.territory.run import run

    if quiet:
        return run(cfg, output, plan=plan, client=client, restart=restart, threads=threads)
    from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn,
                               TimeRemainingColumn)

    bar = Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                   TimeElapsedColumn(), TextColumn("eta"),
                   TimeRemainingColumn(), console=console, transient=True)
    tasks: dict[str, int] = {}

    def update(stage, done, total):
        if stage not in tasks:
            tasks[stage] = bar.add_task(stage, total=total)
        bar.update(tasks[stage], completed=done, total=total)

    with bar:
        return run(cfg, output, plan=plan, client=client, restart=restart, threads=threads, progress=update)


def plan_table(plan, output: Path, workers: int) -> Table:
    est = plan.estimate(workers)
    table = Table(title="cadastre run --dry-run (nothing computed)", show_header=False)
    table.add_row("inputs", f"{len(plan.sources):,} {plan.kind} files, {plan.crs.to_string()}")
    table.add_row("tiles", f"{est['tiles']:,} cores of {plan.config.size:g} m, halo {plan.config.halo:g} m, "
                  f"{plan.config.resolution:g} m cells")
    table.add_row("cells", f"{est['core_cells'] / 1e6:,.1f} M in the cores, {est['window_cells'] / 1e6:,.1f} M read")
    table.add_row("estimated time", f"{duration(est['wall_seconds'])} on {workers} worker(s) "
                  f"({duration(est['wall_seconds_dense'])} if all dense town centre; rough, from benchmarks/RESULTS.md)")
    table.add_row("estimated disk", f"{est['disk_bytes'] / 2**30:,.2f} GiB in {display(output)}/")
    return table


def duration(seconds: float) -> str:
    """A duration as people read it: '< 1 min', '12 min', '2 h 05 min'."""
    minutes = round(seconds / 60)
    if minutes < 1:
        return "< 1 min"
    if minutes < 60:
        return f"{minutes} min"
    return f"{minutes // 60:,} h {minutes % 60:02d} min"


def summary_files() -> tuple[str, ...]:
    """The files of a run folder its summary names (those that exist)."""
    from cadastre.results import contract as c

    return (c.IRRADIANCE_MOSAIC, c.FARFIELD_MOSAIC, c.BUILDINGS, c.ROOFS, c.COVERAGE, c.COMMUNES, c.EPCI, c.TERRITORY,
            c.WORKBOOK, c.RUN_META)


def summary_table(s: dict, output: Path) -> Table:
    t = s.get("totals", {})
    table = Table(title="cadastre run", show_header=False)
    files = [name for name in summary_files() if (output / name).is_file()]
    table.add_row("output", f"{display(output)}/ ({', '.join(files)})")
    table.add_row("tiles", f"{s['tiles_done']:,} done of {s['tiles']:,} ({s['tiles_reused']:,} reused from an earlier "
                  f"run, {len(s['tiles_failed']):,} failed tasks)")
    with_data = t.get("buildings")
    table.add_row("buildings", f"{s['buildings']:,}" + ("" if with_data is None or with_data == s["buildings"] else
                                                       f" ({with_data:,} with LiDAR data)"))
    if t:
        table.add_row("MWp gross / net", f"{t.get('mwp_gross', 0):,.3f} / {t.get('mwp_net', 0):,.3f}")
        table.add_row("GWh/yr gross / net", f"{t.get('gwh_gross', 0):,.4f} / {t.get('gwh_net', 0):,.4f}")
    table.add_row("peak memory per worker", f"{s['peak_rss_mib']:,.0f} MiB")
    table.add_row("time", f"{s['seconds']:.1f} s")
    return table


def init_command(
    output: Path = typer.Option(Path("cadastre-run.toml"), "--output", "-o", help="Configuration file to write."),
    lidar: list[str] = typer.Option(
        None, "--lidar", help="Your LAS/LAZ tiles: a folder, a file or a glob pattern in quotes ('tiles/*.laz'); "
        "repeat for several. Default: the sample shipped in samples/.", show_default=False,
    ),
    footprints: Path = typer.Option(
        None, "--footprints", help="Building polygons (GeoPackage, shapefile, GeoJSON), e.g. BD TOPO's BATIMENT. "
        "Default: derived from the LiDAR building class.", show_default=False,
    ),
    communes: Path = typer.Option(
        None, "--communes", help="Commune polygons with an INSEE code column. Default: the 150 PMA communes.",
        show_default=False,
    ),
    weather: str = typer.Option(
        None, "--weather", help="PVGIS TMY (CSV/JSON), EPW, plain CSV or 'clearsky'. Default: the Lens proxy TMY.",
        show_default=False,
    ),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace the file if it exists."),
) -> None:
    """Write a commented configuration of 'cadastre run', for your own LiDAR tiles or for the sample.

    With --lidar: 1 km tiles with a 200 m halo (IGN LiDAR HD) and every
    parameter at its default, each with a comment. Paths are written relative
    to the configuration file's folder (absolute when given so); the file is
    checked as 'cadastre run' reads it. Without --lidar: the sample shipped in
    samples/ (50 m tiles).

    Examples:

        cadastre init --lidar 'tiles/*.laz' --footprints batiments.gpkg -o run.toml

        cadastre run run.toml -o run/ --dry-run
    """
    from cadastre.territory.config import load_run_config
    from rasters.io import atomic_path

    with handle_errors():
        if output.exists() and not overwrite:
            raise OutputFileError(f"{output}: already exists; pass --overwrite to replace it")
        if not output.resolve().parent.is_dir():
            raise OutputFileError(f"{output}: folder {output.parent} does not exist; create it first")
        base = output.resolve().parent
        if lidar:
            text = _user_config(base, lidar, footprints, communes, weather)
        else:
            text = _sample_config(base, footprints, communes, weather)
        with atomic_path(output) as tmp:
            tmp.write_text(text, encoding="utf-8")
            load_run_config(tmp)  # the file as 'cadastre run' will read it: inputs found, values valid
        stdout.print(f"wrote {display(output)}; check the plan with: cadastre run {shlex.quote(display(output))} -o run/ --dry-run")


def _as_written(value: str | Path, base: Path) -> str:
    """A path given on the command line as it should stand in a file in ``base``: relative to ``base`` when it
    was relative to the working folder, unchanged when absolute ('clearsky' and globs kept as such)."""
    text = str(value)
    if Path(text).is_absolute() or text.lower() == "clearsky":
        return text
    relative = os.path.relpath(Path.cwd() / text, base)
    return relative.replace(os.sep, "/") + ("/" if text.endswith(("/", os.sep)) and relative != "." else "")


def _user_config(base: Path, lidar: list[str], footprints, communes, weather) -> str:
    from cadastre.territory.config import example_config_toml

    return example_config_toml(
        lidar=tuple(_as_written(v, base) for v in lidar),
        footprints="" if footprints is None else _as_written(footprints, base),
        communes="" if communes is None else _as_written(communes, base),
        weather="" if weather is None else _as_written(weather, base),
    )


def _sample_config(base: Path, footprints, communes, weather) -> str:
    from cadastre.areas.aggregate import default_communes_path
    from cadastre.territory.config import example_config_toml

    sample_communes = default_communes_path().with_name("communes-lidar-samples.geojson")
    return example_config_toml(
        lidar=os.path.relpath(SAMPLES / "lidar", base),
        footprints="" if footprints is None else _as_written(footprints, base),
        communes=os.path.relpath(sample_communes, base) if communes is None else _as_written(communes, base),
        weather="" if weather is None else _as_written(weather, base), size=50.0, halo=50.0,
    )
