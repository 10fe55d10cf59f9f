"""Reports over many designs: one row per design directory, as a table, Markdown, CSV or JSON.

A row holds the design's name (its directory, relative to the directories' common parent),
``key=value`` labels parsed from that name, the labels and accuracy a sweep stored
(``adderflow.sweep``), and the design's own figures (``rtl_emit.design_summary``: cost
model, latency, Yosys and post-route Vivado counts where those ran).
"""

import csv
import io
import json
import os
import re
from collections.abc import Iterable
from pathlib import Path

FORMATS = ("table", "md", "csv", "json")
_LABEL = re.compile(r"(?:^|[_,])([A-Za-z][A-Za-z0-9]*)=([^_,=]*)")


class ReportError(FileNotFoundError):
    """Some directories hold no design; ``rows`` holds the report of the others."""

    def __init__(self, errors: list[str], rows: list[dict]):
        self.errors, self.rows = errors, rows
        super().__init__("; ".join(errors))


def report(dirs: Iterable[str | Path], sort_by: str | None = None, descending: bool = False,
           as_frame: bool = False, skip_missing: bool = False):
    """One dict per design directory (or, with ``as_frame``, a pandas DataFrame of them).

    ``sort_by``: a column (numbers in order, empty cells last). A directory that holds no design
    raises ``ReportError`` naming it (its ``rows`` holds the others), or with ``skip_missing`` is
    left out.
    """
    rows, errors = collect(dirs)
    if errors and not skip_missing:
        raise ReportError(errors, rows)
    rows = sort_rows(rows, sort_by, descending)
    if not as_frame:
        return rows
    try:
        import pandas
    except ImportError:
        raise ImportError("as_frame=True needs pandas (pip install pandas); without it, report() returns "
                          "a list of dicts") from None
    return pandas.DataFrame(rows, columns=columns(rows))


def collect(dirs: Iterable[str | Path]) -> tuple[list[dict], list[str]]:
    """The rows of the directories that hold a design, and an error message naming each one that does not."""
    from rtl_emit.summary import design_summary

    from .sweep import read_point

    dirs = [Path(d) for d in dirs]
    names = design_names(dirs)
    rows, errors = [], []
    for folder, name in zip(dirs, names):
        try:
            summary = design_summary(folder)
        except (FileNotFoundError, NotADirectoryError, ValueError, KeyError) as error:
            errors.append(f"{folder}: {error}" if str(folder) not in str(error) else str(error))
            continue
        point = read_point(folder) or {}
        row = dict(name=name, **parse_labels(name), **point.get("labels", {}))
        if point.get("accuracy") is not None:
            row["accuracy"] = point["accuracy"]
        rows.append({**row, **summary})
    return rows, errors


def design_names(dirs: list[Path]) -> list[str]:
    """Each directory relative to the common parent of all of them (a single one: its own name)."""
    full = [os.path.abspath(d) for d in dirs]
    if len(full) == 1:
        return [Path(full[0]).name]
    base = os.path.commonpath(full)
    return [Path(os.path.relpath(f, base)).as_posix() if f != base else Path(f).name for f in full]


def parse_labels(name: str) -> dict[str, int | float | str]:
    """``key=value`` pairs in a design's name, e.g. ``beta=1e-5_lc=3`` or ``sweep/beta=1e-5,lc=3``: pairs are
    separated by ``_`` or ``,`` (or are path components), keys are letters and digits; numbers become numbers."""
    labels: dict[str, int | float | str] = {}
    for part in name.split("/"):
        for key, value in _LABEL.findall(part):
            labels[key] = _number(value)
    return labels


def columns(rows: list[dict]) -> list[str]:
    """Every column some row holds: name, labels (first seen first), accuracy, then the design's figures."""
    from rtl_emit.summary import COLUMNS

    seen: dict[str, None] = {"name": None}
    figures = set(COLUMNS) | {"accuracy"}
    for row in rows:
        seen.update((k, None) for k in row if k not in figures)
    present = {k for row in rows for k in row}
    return list(seen) + [c for c in ("accuracy", *COLUMNS) if c in present]


def sort_rows(rows: list[dict], column: str | None, descending: bool = False) -> list[dict]:
    """Rows in order of ``column``; rows without a value last either way."""
    if column is None:
        return list(rows)
    if rows and column not in columns(rows):
        raise ValueError(f"no column {column!r} to sort by; the columns are: {', '.join(columns(rows))}")
    filled = [r for r in rows if r.get(column) is not None]
    empty = [r for r in rows if r.get(column) is None]
    filled.sort(key=lambda r: (isinstance(r[column], str), r[column]), reverse=descending)
    return filled + empty


def render(rows: list[dict], fmt: str = "table", cols: list[str] | None = None) -> str:
    """The rows as an aligned text table, Markdown, CSV (header first, empty cells for missing values) or JSON.

    ``cols``: the columns, in order (default: a design report's, ``columns(rows)``).
    """
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}, got {fmt!r}")
    cols = columns(rows) if cols is None else cols
    if fmt == "json":
        return json.dumps([{c: row.get(c) for c in cols} for row in rows], indent=1) + "\n"
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(cols)
        writer.writerows([["" if row.get(c) is None else row[c] for c in cols] for row in rows])
        return out.getvalue()
    cells = [[_cell(row.get(c)) for c in cols] for row in rows]
    numeric = [all(isinstance(row.get(c), (int, float)) or row.get(c) is None for row in rows) for c in cols]
    if fmt == "md":
        lines = ["| " + " | ".join(cols) + " |", "|" + "|".join("---:" if n else "---" for n in numeric) + "|"]
        return "\n".join(lines + ["| " + " | ".join(r) + " |" for r in cells]) + "\n"
    widths = [max([len(c)] + [len(r[j]) for r in cells]) for j, c in enumerate(cols)]

    def line(values: list[str]) -> str:
        return "  ".join(v.rjust(w) if n else v.ljust(w) for v, w, n in zip(values, widths, numeric)).rstrip()

    return "\n".join([line(cols), line(["-" * w for w in widths])] + [line(r) for r in cells]) + "\n"


def _cell(value) -> str:
    if value is None:
        return ""
    return f"{value:.6g}" if isinstance(value, float) else str(value)


def _number(text: str) -> int | float | str:
    if re.fullmatch(r"[-+]?\d+", text):
        return int(text)
    return float(text) if re.fullmatch(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?", text) else text
