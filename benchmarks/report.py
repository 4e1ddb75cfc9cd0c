"""The `layers bench` report: one table per scene, then issue 2's speed targets as PASS/FAIL lines.

Ratios: "vs Pillow" is Pillow's median over the row's (x faster); "vs floor" is the row's median
over the bandwidth floor (x slower than moving the bytes once). Uses ``rich`` when it is
installed, plain aligned text otherwise.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from benchmarks.harness import KERNEL, SceneResult

HEADERS = ("contender", "threads", "median ms", "p99 ms", "vs Pillow", "vs floor", "first call s")
PILLOW = "pillow"
FLOOR = "floor"


@dataclass(frozen=True)
class Target:
    """The kernel on ``threads`` ("1" or "all") beats ``baseline`` on ``baseline_threads`` by ``factor``;
    for the floor it is "within ``factor`` of" instead of "``factor`` times faster"."""

    scene: str
    threads: str
    baseline: str  # contender key, or "floor"
    baseline_threads: str
    factor: float

    def describe(self, baseline_name: str) -> str:
        ours = "layers on 1 thread" if self.threads == "1" else "layers on all cores"
        if self.baseline == FLOOR:
            return f"{self.scene}: {ours} within {self.factor:g}x of the bandwidth floor"
        theirs = ""
        if self.baseline != PILLOW:
            theirs = " on 1 thread" if self.baseline_threads == "1" else " on all cores"
        return f"{self.scene}: {ours} at least {self.factor:g}x faster than {baseline_name}{theirs}"


# Issue 2, "Speed": targets on the 2-core development machine, as medians in one run.
TARGETS = (
    Target("camera-720p", "1", PILLOW, "1", 3.5),
    Target("camera-720p", "all", PILLOW, "1", 6.0),
    Target("camera-720p", "all", "ffmpeg", "all", 2.0),
    Target("camera-720p", "all", FLOOR, "", 2.5),
    Target("immersive-1080p", "1", PILLOW, "1", 5.0),
    Target("immersive-1080p", "all", PILLOW, "1", 12.0),
    Target("immersive-1080p", "all", "opencv", "all", 4.0),
    Target("immersive-1080p", "all", "gstreamer", "all", 4.0),
)


def _threads(spec: str) -> int:
    return 1 if spec == "1" else (os.cpu_count() or 1)


def check_targets(results: list[SceneResult]) -> list[str]:
    """One PASS/FAIL line per target whose rows were measured."""
    lines = []
    by_scene = {result.scene: result for result in results}
    for target in TARGETS:
        result = by_scene.get(target.scene)
        ours = result and result.row(KERNEL, _threads(target.threads))
        if not ours:
            continue
        if target.baseline == FLOOR:
            ratio = ours.median_ms / result.floor.ms
            passed, name = ratio <= target.factor, "the floor"
        else:
            theirs = result.row(target.baseline, _threads(target.baseline_threads))
            if not theirs:
                continue
            ratio = theirs.median_ms / ours.median_ms
            passed, name = ratio >= target.factor, theirs.name
        lines.append(f"{'PASS' if passed else 'FAIL'}  {target.describe(name)}: {ratio:.2f}x")
    return lines


def table_rows(result: SceneResult) -> list[tuple[str, ...]]:
    """The cells of one scene's table, the floor last."""
    pillow = result.row(PILLOW, 1)
    rows = []
    for row in result.rows:
        faster = f"{pillow.median_ms / row.median_ms:.1f}x" if pillow else "-"
        rows.append((row.label, str(row.threads), f"{row.median_ms:.2f}", f"{row.p99_ms:.2f}", faster,
                     f"{row.median_ms / result.floor.ms:.1f}x", f"{row.prepare_s + row.first_frame_s:.2f}"))
    floor_faster = f"{pillow.median_ms / result.floor.ms:.1f}x" if pillow else "-"
    rows.append(("bandwidth floor", "-", f"{result.floor.ms:.2f}", "-", floor_faster, "1.0x", "-"))
    return rows


def title(result: SceneResult) -> str:
    floor = result.floor
    return (f"{result.scene}: {floor.bytes_per_frame / 1e6:.1f} MB per frame at "
            f"{floor.bandwidth / 1e9:.1f} GB/s copy bandwidth")


def plain_text(results: list[SceneResult]) -> str:
    """The whole report as aligned text."""
    out = []
    for result in results:
        cells = [HEADERS, *table_rows(result)]
        widths = [max(len(row[i]) for row in cells) for i in range(len(HEADERS))]
        out.append(title(result))
        for row in cells:
            out.append("  ".join(cell.ljust(width) if i == 0 else cell.rjust(width)
                                 for i, (cell, width) in enumerate(zip(row, widths))).rstrip())
        out += [f"skipped {name}: {why}" for name, why in result.skipped.items()]
        out.append("")
    out += check_targets(results) or [no_targets(results)]
    return "\n".join(out)


def no_targets(results: list[SceneResult]) -> str:
    """Why no target line was printed."""
    if not any(target.scene == result.scene for result in results for target in TARGETS):
        return "no targets checked: issue 2 sets none for " + ", ".join(r.scene for r in results)
    return "no targets checked: the layers kernel was not measured"


def print_report(results: list[SceneResult]) -> None:
    """Print with rich when available (nicer tables), else the plain text."""
    try:
        from rich.console import Console
        from rich.table import Table
    except ImportError:
        print(plain_text(results))
        return
    console = Console()
    for result in results:
        table = Table(*HEADERS, title=title(result))
        for row in table_rows(result):
            table.add_row(*row)
        console.print(table)
        for name, why in result.skipped.items():
            console.print(f"skipped {name}: {why}")
    for line in check_targets(results) or [no_targets(results)]:
        console.print(line, style="green" if line.startswith("PASS") else "red", highlight=False)
