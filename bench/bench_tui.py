"""Latency of live scoring in the assessor TUI: edit -> rescore -> redraw -> render.

Run: ``python bench/bench_tui.py [--edits N] [--size 100x32] [SAMPLE.toml ...]``
(default: every bundled sample, ``samples/*.toml``).

For each sample the app is driven headless (``App.run_test``) on a private copy, and
an assessor's keystroke is replayed ``N`` times (default 200) in the editor of the
first numeric input the project gives, alternating two valid values. Each keystroke
runs exactly what typing runs, synchronously, and is timed in parts:

* ``rescore``: validate the value and score a copy of the project through the
  vectorised engine (cached compiled scheme) -- :meth:`Session.preview`;
* ``redraw``: the input's change handler end to end: parse, rescore, and update the
  tree labels, the score panel, the detail header (and derived table columns);
* ``render``: what the screen then does for that keystroke: layout and compositor
  render of the changed regions (time spent in ``Screen._refresh_layout`` and
  ``Screen._compositor_refresh``; the test pilot's idle waits are not counted);
* ``total`` = ``redraw`` + ``render``: one keystroke to a repainted screen (wall time);
* ``cpu``: the same in CPU time of the UI thread -- what the keystroke costs on an
  otherwise idle core (wall time also counts waiting for a busy CPU).

For samples with facades it also replays typing a facade's window area on the
Facades tab (preview of facade and building ETTV/RETV in the table, and the score).
A frame at 60 Hz is 16.7 ms; the target is a total under 16 ms (p95) per keystroke.

``--start N`` measures start-up instead: ``greenmark assess SAMPLE`` is run N times as a
new process (headless, 120x36), timed from the process being spawned to the main screen
being ready for keys (when keys typed meanwhile are replayed), in parts: ``open`` (to
the project loaded and scored) and ``ready``. The target is under 1.5 s on a quiet
2-core machine; the load average is printed with the result.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from textual.widgets import Input

ROOT = Path(__file__).resolve().parent.parent
FRAME_MS = 16.0


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def summary(values: list[float]) -> str:
    return f"{statistics.median(values):6.2f} {percentile(values, 0.95):6.2f}"


def _numeric_target(session: Any) -> tuple[str, str, float, float] | None:
    """(criterion id, input name, value a, value b) for the first numeric input given."""
    from greenmark.tui.marks import criterion_inputs
    from greenmark.tui.values import edit_text

    compiled = session.scored.scores.compiled
    for index, criterion in enumerate(compiled.criteria):
        for name in criterion_inputs(compiled, index):
            spec = session.scheme.inputs.get(name)
            raw = session.project.inputs.get(name)
            if spec is None or spec.type != "number" or isinstance(raw, bool | str | None):
                continue
            try:
                value = float(edit_text(raw).split()[0])
            except ValueError:
                continue
            other = value * 0.9 if value else 1.0
            if spec.min is not None and other < spec.min:
                other = value * 1.1
            if spec.max is not None and other > spec.max:
                continue
            return criterion.id, name, value, other
    return None


class RenderClock:
    """Accumulates the time the screen spends on layout and compositing (rendering)."""

    def __init__(self, screen: Any) -> None:
        self.ms = 0.0
        self.cpu_ms = 0.0
        self.depth = 0
        for name in ("_refresh_layout", "_compositor_refresh"):
            setattr(screen, name, self._timed(getattr(screen, name)))

    def _timed(self, method: Any) -> Any:
        def timed(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            cpu = time.thread_time()
            self.depth += 1
            try:
                return method(*args, **kwargs)
            finally:
                self.depth -= 1
                if not self.depth:  # the layout refresh calls the compositor: count once
                    self.ms += (time.perf_counter() - start) * 1000
                    self.cpu_ms += (time.thread_time() - cpu) * 1000

        return timed


async def _replay(
    app: Any, pilot: Any, editor: Any, texts: list[str], edits: int
) -> dict[str, list[float]]:
    """Replay ``edits`` keystrokes in ``editor``; times in ms per part."""
    field: Input = editor.input
    field.focus()
    await pilot.pause()
    screen = app.screen
    clock = RenderClock(screen)
    times: dict[str, list[float]] = {"redraw": [], "render": [], "total": [], "cpu": []}
    for i in range(edits):
        text = texts[i % len(texts)]
        start = time.perf_counter()
        cpu = time.thread_time()
        with field.prevent(Input.Changed):
            field.value = text  # the keystroke's effect on the field itself
        editor.on_input_changed(Input.Changed(field, text))  # what the message handler runs
        redraw = (time.perf_counter() - start) * 1000
        redraw_cpu = (time.thread_time() - cpu) * 1000
        clock.ms = clock.cpu_ms = 0.0
        await pilot.pause()  # the screen lays out and renders the changed regions
        times["redraw"].append(redraw)
        times["render"].append(clock.ms)
        times["total"].append(redraw + clock.ms)
        times["cpu"].append(redraw_cpu + clock.cpu_ms)
    editor.reload(editor.stored)
    screen.cancel_preview()
    await pilot.pause()
    return times


def _rescore_times(session: Any, target: Any, values: list[Any], edits: int) -> list[float]:
    times = []
    for i in range(edits):
        start = time.perf_counter()
        session.preview(target, values[i % len(values)])
        times.append((time.perf_counter() - start) * 1000)
    return times


async def bench_sample(
    path: Path, edits: int, size: tuple[int, int]
) -> list[tuple[str, dict[str, list[float]]]]:
    """Rows of (what was edited, timings) for one sample file."""
    from greenmark.tui.app import GreenmarkApp
    from greenmark.tui.session import Session, Target
    from greenmark.tui.widgets.fields import TextEditor

    session = Session.open(path, "bench")
    app = GreenmarkApp(session, theme="textual-dark", blink=False)
    rows: list[tuple[str, dict[str, list[float]]]] = []
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        screen = app.screen
        found = _numeric_target(session)
        if found is not None:
            cid, name, a, b = found
            await screen.goto("criterion", cid)
            await pilot.pause()
            editor = screen.query_one(f"#input-{name}", TextEditor)
            times = await _replay(app, pilot, editor, [f"{a:g}", f"{b:g}"], edits)
            times["rescore"] = _rescore_times(session, Target("inputs", name), [a, b], edits)
            rows.append((f"{cid} {name}", times))
        if session.project.facades:
            await pilot.press("2")
            await pilot.pause()
            editor = screen.query_one("#facades-panel #cell-window_area", TextEditor)
            wall = session.project.facades[0].wall_area
            window = session.project.facades[0].window_area
            values = [window, round(min(wall, window * 1.1 + 1), 2)]
            times = await _replay(app, pilot, editor, [f"{v:g}" for v in values], edits)
            target = Target("facades", "window_area", 0)
            times["rescore"] = _rescore_times(session, target, values, edits)
            rows.append(("facade window_area", times))
    return rows


#: Run in the child process: ``greenmark assess`` headless, reporting when it is ready.
_START_CHILD = """
import functools, json, os, sys, time
t0 = float(os.environ["GREENMARK_BENCH_T0"])
from greenmark.tui.app import GreenmarkApp
from greenmark.tui.session import Session
marks = {}
opened = Session.open.__func__
def timed_open(cls, *args, **kwargs):
    session = opened(cls, *args, **kwargs)
    marks["open"] = time.monotonic() - t0
    return session
Session.open = classmethod(timed_open)
release = GreenmarkApp.release_keys
def ready(self):
    release(self)
    marks["ready"] = time.monotonic() - t0
    print(json.dumps(marks), flush=True)
    self.exit()
GreenmarkApp.release_keys = ready
GreenmarkApp.run = functools.partialmethod(GreenmarkApp.run, headless=True, size=(120, 36))
from greenmark.cli.main import main
try:
    main(["assess", sys.argv[1]])
except SystemExit:
    pass
"""


def bench_start(sample: Path, runs: int) -> dict[str, list[float]]:
    """Seconds from spawning ``greenmark assess`` to the project opened and to ready."""
    import json
    import subprocess

    found: dict[str, list[float]] = {"open": [], "ready": []}
    with tempfile.TemporaryDirectory() as folder:
        copy = Path(folder) / sample.name
        shutil.copyfile(sample, copy)
        for _ in range(runs):
            env = {**os.environ, "GREENMARK_BENCH_T0": repr(time.monotonic())}
            done = subprocess.run(
                [sys.executable, "-c", _START_CHILD, str(copy)],
                capture_output=True,
                text=True,
                env=env,
                check=False,
                cwd=folder,
            )
            line = next((x for x in done.stdout.splitlines() if x.startswith("{")), None)
            if line is None:
                raise SystemExit(f"{sample.name}: greenmark assess did not start\n{done.stderr}")
            for key, value in json.loads(line).items():
                found[key].append(value)
    return found


def main_start(samples: list[Path], runs: int) -> int:
    """Print start-up times (median, worst) per sample."""
    print(f"greenmark assess: spawn -> project open -> ready for keys, {runs} runs, s")
    print(f"{'sample':34} {'open':>14} {'ready':>14}   (median worst)")
    worst = 0.0
    for sample in samples:
        times = bench_start(sample, runs)
        worst = max(worst, statistics.median(times["ready"]))
        print(
            f"{sample.stem[:34]:34} {statistics.median(times['open']):7.2f}"
            f"{max(times['open']):7.2f} {statistics.median(times['ready']):7.2f}"
            f"{max(times['ready']):7.2f}"
        )
    print(
        f"\nworst median start {worst:.2f} s (target 1.5 s); load average "
        f"{os.getloadavg()[0]:.2f} on {os.cpu_count()} cores"
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("samples", nargs="*", type=Path)
    parser.add_argument("--edits", type=int, default=200)
    parser.add_argument("--size", default="100x32")
    parser.add_argument("--start", type=int, default=0, metavar="N", help="time start-up")
    args = parser.parse_args(argv)
    width, height = (int(v) for v in args.size.split("x"))
    samples = args.samples or sorted((ROOT / "samples").glob("*.toml"))
    if args.start:
        return main_start(samples, args.start)
    print(
        f"edit -> rescore -> redraw -> render, {args.edits} keystrokes each, "
        f"{width}x{height}, ms (median p95)"
    )
    header = (
        f"{'sample':28} {'edited':26} {'rescore':>13} {'redraw':>13} {'render':>13} "
        f"{'total':>13} {'cpu':>13}"
    )
    print(header)
    print("-" * len(header))
    medians: list[float] = []
    worst: list[float] = []
    worst_cpu: list[float] = []
    rescore: list[float] = []
    with tempfile.TemporaryDirectory() as folder:
        for sample in samples:
            copy = Path(folder) / sample.name
            shutil.copyfile(sample, copy)
            rows = asyncio.run(bench_sample(copy, args.edits, (width, height)))
            for what, times in rows:
                medians.append(statistics.median(times["total"]))
                worst.append(percentile(times["total"], 0.95))
                worst_cpu.append(percentile(times["cpu"], 0.95))
                rescore.append(percentile(times["rescore"], 0.95))
                print(
                    f"{sample.stem[:28]:28} {what[:26]:26} {summary(times['rescore'])} "
                    f"{summary(times['redraw'])} {summary(times['render'])} "
                    f"{summary(times['total'])} {summary(times['cpu'])}"
                )
    if worst:
        within = sum(m < FRAME_MS for m in medians)
        print(
            f"\nrescore p95 at most {max(rescore):.2f} ms; keystroke-to-frame median under "
            f"{FRAME_MS:g} ms in {within} of {len(medians)} cases (worst median "
            f"{max(medians):.2f} ms); worst p95 {max(worst):.2f} ms wall, "
            f"{max(worst_cpu):.2f} ms CPU; load average {os.getloadavg()[0]:.2f} on "
            f"{os.cpu_count()} cores"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
