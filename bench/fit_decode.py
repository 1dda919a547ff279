"""Benchmark: herstel's fast FIT decoder against fitparse 1.2.0, in one run.

    python bench/fit_decode.py [DIR] [--repeat N] [--rounds R] [--write]

Decodes every *.fit (any case) under DIR (default: ../shared/corpus next to the repo) with

- `fast`: `parsers.fit.fast.decode` (N passes: warm figures, and the first, cold pass),
- `fitparse`: plain `fitparse.FitFile(data).get_messages()` consumption -- the fair
  reference, what a user of fitparse would run,
- `fitparse-engine`: our reference engine `parsers.fit.reference.decode` (fitparse + profile +
  frames),

each in its own subprocess (so peak memory, `ru_maxrss`, is per engine), with the files
read into memory first (no disk time), in R interleaved rounds (best round counts).
Prints MB, MB/s, the ratio to fitparse and peak memory; `--write` puts the figures into
the `## FIT decode` section of bench/RESULTS.md.
Files fitparse cannot read to the end count with all their bytes for every engine.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DIR = REPO.parent / "shared" / "corpus"
SAMPLE_DIR = REPO / "sample_data" / "study"
RESULTS = REPO / "bench" / "RESULTS.md"
SECTION = "## FIT decode"
HERSTEL_ENGINES = ("fast", "fast-decode", "fast-ingest", "fitparse", "fitparse-engine")
RUST_ENGINES = ("fitfast-parse", "fitfast-count", "pyfitparsernative")
ENGINES = HERSTEL_ENGINES + RUST_ENGINES
#: Engines decoding several passes per round (the cheap ones: more passes, steadier minima).
MULTI_PASS = {"fast", "fast-decode", "fast-ingest", *RUST_ENGINES}
RUST_PACKAGES = ("fitfast==0.1.0", "pyfitparsernative==0.2.3")
DEFAULT_RUST_PYTHON = Path("/tmp/fitbench-venv/bin/python")


def fit_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file() and p.suffix.lower() == ".fit")


def sample_files(n: int) -> list[Path]:
    """`n` files of the generated sample study, spread evenly over its sorted file sizes."""
    found = sorted(fit_files(SAMPLE_DIR), key=lambda p: (p.stat().st_size, str(p)))
    if n <= 0 or not found:
        return []
    step = max(1, (len(found) - 1) // max(1, n - 1))
    return [found[min(i * step, len(found) - 1)] for i in range(n)]


def all_files(roots: list[Path], sample: int) -> list[Path]:
    return [p for root in roots for p in fit_files(root)] + sample_files(sample)


def _rows(decode: Callable[[bytes], dict]) -> Callable[[bytes], int]:
    """A herstel decoder as a runner: rows of all message frames (0 when it refuses)."""
    from parsers.base import ParseError

    def run(data: bytes) -> int:
        try:
            frames = decode(data)
        except ParseError:
            return 0
        return sum(f.height for f in frames.values())

    return run


def _fast() -> Callable[[bytes], int]:
    from parsers.fit.fast import decode

    return _rows(lambda data: decode(data)[0])


def _fast_decode() -> Callable[[bytes], int]:
    from parsers.fit import decode_fit

    return _rows(lambda data: decode_fit(data).messages)


def _fast_ingest() -> Callable[[bytes], int]:
    from parsers.fit import decode_fit
    from parsers.fit.canonical import USED_MESSAGES

    return _rows(lambda data: decode_fit(data, only=USED_MESSAGES).messages)


def _fitfast_parse() -> Callable[[bytes], int]:
    import fitfast

    def run(data: bytes) -> int:
        try:
            return sum(len(rows) for rows in fitfast.parse(data).values())
        except ValueError:  # fitfast.FitDecodeError: it refuses a damaged file whole
            return 0

    return run


def _fitfast_count() -> Callable[[bytes], int]:
    import fitfast

    def run(data: bytes) -> int:
        try:
            return fitfast.count(data)[0]
        except ValueError:
            return 0

    return run


def _pyfitparsernative() -> Callable[[bytes], int]:
    from pyfitparsernative import parse_fit_bytes

    def run(data: bytes) -> int:
        try:
            return len(parse_fit_bytes(data))
        except Exception:  # noqa: BLE001 - it raises its own error types on damage
            return 0

    return run


def _fitparse() -> Callable[[bytes], int]:
    import fitparse

    def run(data: bytes) -> int:
        count = 0
        try:
            for _ in fitparse.FitFile(data).get_messages():
                count += 1
        except Exception:  # noqa: BLE001 - damage ends fitparse's run, as for a user
            pass
        return count

    return run


def _fitparse_engine() -> Callable[[bytes], int]:
    from parsers.fit.reference import decode

    return _rows(lambda data: decode(data)[0])


RUNNERS = {
    "fast": _fast,
    "fast-decode": _fast_decode,
    "fast-ingest": _fast_ingest,
    "fitparse": _fitparse,
    "fitparse-engine": _fitparse_engine,
    "fitfast-parse": _fitfast_parse,
    "fitfast-count": _fitfast_count,
    "pyfitparsernative": _pyfitparsernative,
}


def _maxrss_mb() -> float:
    """Peak resident memory of this process (Linux reports KiB, macOS bytes)."""
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / (1024 * 1024 if sys.platform == "darwin" else 1024)


def measure(engine: str, files: list[Path], repeat: int) -> dict:
    """Run one engine over all files in this process: per-file best of `repeat` passes."""
    sys.path.insert(0, str(REPO))
    blobs = [p.read_bytes() for p in files]
    try:
        run = RUNNERS[engine]()  # imports happen here, outside the timings
    except ImportError as exc:
        return {"engine": engine, "skipped": f"not importable: {exc}"}
    per_file = [float("inf")] * len(blobs)
    per_file_cpu = [float("inf")] * len(blobs)
    cold = 0.0
    count = 0
    for n in range(repeat):
        count = 0
        for i, data in enumerate(blobs):
            start, start_cpu = time.perf_counter(), time.process_time()
            count += run(data)
            took, cpu = time.perf_counter() - start, time.process_time() - start_cpu
            per_file[i] = min(per_file[i], took)
            per_file_cpu[i] = min(per_file_cpu[i], cpu)
            cold += took if n == 0 else 0.0
    return {
        "engine": engine,
        "files": len(blobs),
        "bytes": sum(len(b) for b in blobs),
        "messages": count,
        "per_file": per_file,
        "per_file_cpu": per_file_cpu,
        "cold_seconds": cold,
        "peak_rss_mb": _maxrss_mb(),
        "sizes": [len(b) for b in blobs],
    }


def _command(engine: str, args: argparse.Namespace) -> list[str] | None:
    python = sys.executable
    if engine in RUST_ENGINES:
        python = str(args.rust_python)
        if not Path(python).exists():
            return None
    passes = args.repeat if engine in MULTI_PASS else 1
    dirs = [str(d.resolve()) for d in args.dirs]
    return [python, __file__, *dirs, "--sample", str(args.sample), "--engine", engine,
            "--repeat", str(passes)]


def run_all(args: argparse.Namespace) -> tuple[list[dict], dict[str, str]]:
    """Each engine in its own process once per round, rounds interleaved; per file the
    fastest time seen counts, and an engine's time is the sum of those.

    On a shared machine the load changes within seconds: per-file minima over interleaved
    rounds give every engine the quiet moments, so the ratio does not depend on which
    engine the neighbours happened to slow down.
    """
    best: dict[str, dict] = {}
    skipped: dict[str, str] = {}
    for _ in range(args.rounds):
        for engine in args.engines:
            cmd = _command(engine, args)
            if cmd is None:
                skipped[engine] = f"no interpreter at {args.rust_python} (run --setup)"
                continue
            if engine in skipped:
                continue
            out = subprocess.run(cmd, check=True, capture_output=True, text=True, cwd=REPO)
            result = json.loads(out.stdout.strip().splitlines()[-1])
            if "skipped" in result:
                skipped[engine] = result["skipped"]
                continue
            if engine in best:
                seen = best[engine]
                for key in ("per_file", "per_file_cpu"):
                    result[key] = list(map(min, seen[key], result[key]))
                result["cold_seconds"] = min(seen["cold_seconds"], result["cold_seconds"])
                result["peak_rss_mb"] = max(seen["peak_rss_mb"], result["peak_rss_mb"])
            best[engine] = result
    for result in best.values():
        result["seconds"] = sum(result["per_file"])
        result["cpu_seconds"] = sum(result["per_file_cpu"])
    return [best[e] for e in args.engines if e in best], skipped


def _fixed_and_slope(sizes: list[int], cpu: list[float]) -> tuple[float, float]:
    """Least-squares CPU = fixed + slope * MB over the files: (fixed ms/file, ms per MB)."""
    mb = [b / 1e6 for b in sizes]
    n, mx, my = len(mb), sum(mb) / len(mb), sum(cpu) / len(cpu)
    var = sum((x - mx) ** 2 for x in mb)
    slope = sum((x - mx) * (y - my) for x, y in zip(mb, cpu, strict=True)) / var if var else 0.0
    return (my - slope * mx) * 1e3, slope * 1e3 if n else 0.0


def table(results: list[dict], names: list[str], skipped: dict[str, str]) -> list[str]:
    ref = next(r for r in results if r["engine"] == "fitparse")
    lines = [
        "| engine | files | MB | messages | CPU s | MB/s (CPU) | x fitparse (CPU) |"
        " worst file x fitparse (CPU) | fixed ms/file + ms/MB (CPU) | wall s |"
        " x fitparse (wall) | peak RSS MB |",
        "|---|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|",
    ]
    for r in results:
        mb = r["bytes"] / 1e6
        ratios = [f / c for f, c in zip(ref["per_file_cpu"], r["per_file_cpu"], strict=True)]
        worst = min(range(len(ratios)), key=ratios.__getitem__)
        fixed, slope = _fixed_and_slope(r["sizes"], r["per_file_cpu"])
        lines.append(
            f"| {r['engine']} | {r['files']} | {mb:.2f} | {r['messages']} |"
            f" {r['cpu_seconds']:.3f} | {mb / r['cpu_seconds']:.2f} |"
            f" {ref['cpu_seconds'] / r['cpu_seconds']:.1f} |"
            f" {ratios[worst]:.0f} (`{names[worst]}`) | {fixed:.2f} + {slope:.0f} |"
            f" {r['seconds']:.3f} | {ref['seconds'] / r['seconds']:.1f} |"
            f" {r['peak_rss_mb']:.0f} |"
        )
    lines += [f"- {engine}: skipped, {why}" for engine, why in skipped.items()]
    fast = next((r for r in results if r["engine"] == "fast"), None)
    cold = (
        f" fast's first pass in a fresh process, compiling every definition, took"
        f" {fast['cold_seconds']:.3f} s wall ({ref['seconds'] / fast['cold_seconds']:.1f}x"
        " fitparse's best wall)."
        if fast else ""
    )
    lines += [
        "",
        "Per file the best time over all rounds (multi-pass engines: also over their warm"
        " passes), summed; CPU = this process's CPU time, the figure least moved by other load"
        " on a shared machine. `worst file`: the smallest per-file CPU ratio to fitparse (on a"
        " damaged file fitparse stops early, so its time there is short). `fixed + ms/MB`: a"
        " least-squares line through the per-file CPU times. `messages` differ where an"
        " engine refuses a damaged file whole (the Rust decoders do) or counts messages"
        f" differently.{cold} Peak RSS includes the interpreter and imports (polars, pyarrow)."
        " Quote the CPU ratio: under heavy load the wall ratio flatters the short passes.",
    ]
    return lines


def write_results(lines: list[str], command: str) -> None:
    """Replace (or append) the `## FIT decode` section of bench/RESULTS.md."""
    import numpy
    import polars

    versions = (
        f"Python {platform.python_version()}, numpy {numpy.__version__},"
        f" polars {polars.__version__}, fitparse 1.2.0"
    )
    body = [
        SECTION,
        "",
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {platform.machine()}"
        f" ({_cpus()} cores, shared and noisy), {versions}:",
        "",
        f"    {command}",
        "",
        *lines,
        "",
    ]
    text = RESULTS.read_text() if RESULTS.exists() else "# Benchmark results\n\n"
    start = text.find(SECTION + "\n")
    if start < 0:
        text = text.rstrip("\n") + "\n\n" + "\n".join(body)
    else:
        end = text.find("\n## ", start + len(SECTION))
        rest = "" if end < 0 else text[end + 1 :]
        text = text[:start] + "\n".join(body) + ("\n" + rest if rest else "")
    RESULTS.write_text(text)


def _cpus() -> int:
    return os.cpu_count() or 0


def setup(venv: Path) -> None:
    """A venv of its own for the compiled decoders: they are not herstel dependencies."""
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "-q"]
    subprocess.run([*pip, *RUST_PACKAGES], check=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("dirs", nargs="*", type=Path, default=[DEFAULT_DIR])
    parser.add_argument("--sample", type=int, default=4, help="files of the sample study added")
    parser.add_argument("--repeat", type=int, default=5, help="passes of the quick engines")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved runs of every engine")
    parser.add_argument("--engines", default=",".join(ENGINES), help="comma-separated subset")
    parser.add_argument("--rust-python", type=Path,
                        default=Path(os.environ.get("FITBENCH_PYTHON", DEFAULT_RUST_PYTHON)))
    parser.add_argument("--setup", type=Path, metavar="VENV", help="make the Rust decoders' venv")
    parser.add_argument("--write", action="store_true", help="update bench/RESULTS.md")
    parser.add_argument("--engine", choices=ENGINES, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.setup:
        setup(args.setup)
        return
    files = all_files([d.resolve() for d in args.dirs], args.sample)
    if args.engine:
        print(json.dumps(measure(args.engine, files, args.repeat)))
        return
    if not files:
        sys.exit(f"no *.fit files under {', '.join(map(str, args.dirs))}")
    args.engines = [e for e in args.engines.split(",") if e]
    if "fitparse" not in args.engines or any(e not in ENGINES for e in args.engines):
        sys.exit(f"--engines: a subset of {','.join(ENGINES)} that includes fitparse")
    results, skipped = run_all(args)
    names = [p.name for p in files]
    lines = table(results, names, skipped)
    print("\n".join(lines))
    if args.write:
        shown = " ".join(["python bench/fit_decode.py", *sys.argv[1:]])
        write_results(lines, shown)
        print(f"written to {RESULTS}")


if __name__ == "__main__":
    main()
