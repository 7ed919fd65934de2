"""Writing a fixture file the way the three case-per-line generators do (Keras zoo, torch, torch zoo).

One case per line keeps the committed files diff-friendly; ``json.dumps`` writes floats with ``repr``, so
every float64 round-trips exactly. NaN and infinity are refused (``allow_nan=False``): a fixture holds only
finite numbers. Standard library only, so each generator's own venv (Keras or torch) can import it.
"""
from __future__ import annotations

import json
from pathlib import Path


def dump(data: dict, path) -> Path:
    """Write ``{"meta": ..., "cases": [...]}`` to ``path``, one case per line; returns the path."""
    head = json.dumps(data["meta"], ensure_ascii=False)
    body = ",\n".join(json.dumps(c, ensure_ascii=False, allow_nan=False) for c in data["cases"])
    path = Path(path)
    path.write_text('{"meta": ' + head + ',\n "cases": [\n' + body + "\n]}\n", encoding="utf-8")
    return path


def write(build, argv, default_out, library: str) -> None:
    """A generator's ``main``: build the data, write it to ``argv[1]`` (or ``default_out``) and say so."""
    out = dump(build(), Path(argv[1]) if len(argv) > 1 else default_out)
    n = len(json.loads(out.read_text(encoding="utf-8"))["cases"])
    print(f"wrote {n} cases to {out} ({out.stat().st_size} bytes, {library})")
