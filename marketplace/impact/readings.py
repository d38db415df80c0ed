"""KPI readings in: CSV files and the JSON API share one validator; all or nothing; same key updates."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import bindparam, insert, select, update

from marketplace.accounts.models import Department
from marketplace.catalog.models import KPI
from marketplace.extensions import db
from marketplace.impact.models import ImportState, KpiReading, Period, ReadingImport
from marketplace.timeutil import utcnow

REQUIRED = ("kpi", "period", "start", "value")
OPTIONAL = ("department", "unit", "target", "baseline")
MAX_ROWS = 200_000
MAX_ERRORS = 50
NUMBER = re.compile(r"^[+-]?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?$")
PERIOD_WORDS = {"day": Period.DAY, "daily": Period.DAY, "week": Period.WEEK, "weekly": Period.WEEK,
                "month": Period.MONTH, "monthly": Period.MONTH}


class ImportError_(Exception):
    """The whole file is unusable (encoding, header, size); nothing was stored."""


@dataclass
class Problem:
    row: int  # 1-based line in the file (the header is line 1); 0 for API bodies without rows
    column: str
    message: str

    def __str__(self) -> str:
        where = f"Row {self.row}, column “{self.column}”" if self.row else f"Field “{self.column}”"
        return f"{where}: {self.message}"


@dataclass
class Checked:
    """The validated rows, keyed for upsert, and every problem found."""

    rows: list[dict] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    total: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems and bool(self.rows)


def decode(raw: bytes) -> str:
    """UTF-8 text (a BOM is fine), or a clear error naming the likely fix."""
    if b"\x00" in raw[:4096]:
        raise ImportError_("This is not a text CSV file (it looks like a spreadsheet or UTF-16). Save it as “CSV UTF-8”.")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ImportError_(
            f"The file is not UTF-8 (byte {error.start + 1} cannot be read). Save it as “CSV UTF-8” and upload it again."
        ) from error


def parse_csv(text: str) -> list[dict]:
    """Rows as dicts with lower-case header names; header problems raise ImportError_."""
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [h.strip().lower() for h in next(reader)]
    except StopIteration as error:
        raise ImportError_("The file is empty. The first line must name the columns: kpi, period, start, value.") from error
    except csv.Error as error:
        raise ImportError_(f"The file cannot be read as CSV: {error}.") from error
    missing = [c for c in REQUIRED if c not in header]
    unknown = [h for h in header if h and h not in REQUIRED + OPTIONAL]
    if missing or unknown:
        parts = [f"missing column{'s' if len(missing) > 1 else ''}: {', '.join(missing)}"] if missing else []
        parts += [f"unknown column{'s' if len(unknown) > 1 else ''}: {', '.join(u[:40] for u in unknown)}"] if unknown else []
        raise ImportError_("The header line is not right (" + "; ".join(parts) + "). Expected: kpi, period, start, value, and optionally department, unit, target, baseline.")
    rows = []
    try:
        for number, values in enumerate(reader, start=2):
            if not any(v.strip() for v in values):
                continue
            if len(rows) >= MAX_ROWS:
                raise ImportError_(f"The file has more than {MAX_ROWS:,} rows; split it.")
            rows.append({"_row": number, **{h: (values[i] if i < len(values) else "") for i, h in enumerate(header)}})
    except csv.Error as error:
        raise ImportError_(f"The file cannot be read as CSV near line {reader.line_num}: {error}.") from error
    return rows


def _number(text: object, unit: str) -> float:
    if isinstance(text, int | float) and not isinstance(text, bool):
        return float(text)
    raw = str(text or "").strip()
    if unit == "%" and raw.endswith("%"):
        raw = raw[:-1].strip()
    if not NUMBER.match(raw):
        raise ValueError("is not a number (write it like 12.5, without currency signs or formulas)")
    return float(raw.replace(",", ""))


def _start(text: object, period: Period) -> date:
    raw = str(text or "").strip()
    try:
        if period == Period.MONTH and re.fullmatch(r"\d{4}-\d{2}", raw):
            raw += "-01"
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw):
            raise ValueError
        day = date.fromisoformat(raw)
    except ValueError as error:
        raise ValueError("is not a date in the form YYYY-MM-DD") from error
    if period == Period.WEEK:
        return day - timedelta(days=day.weekday())  # the Monday of that week
    if period == Period.MONTH:
        return day.replace(day=1)
    return day


def check(rows: list[dict], only_kpi: KPI | None = None, allowed_kpi_ids: set[int] | None = None) -> Checked:
    """Validate every row; collect up to MAX_ERRORS problems naming row and column."""
    kpis = {k.slug: k for k in db.session.scalars(select(KPI))}
    departments = {d.slug: d for d in db.session.scalars(select(Department))}
    result = Checked(total=len(rows))
    seen: dict[tuple, int] = {}
    for row in rows:
        line = row.get("_row", 0)
        problems = _check_row(row, line, kpis, departments, only_kpi, allowed_kpi_ids, seen, result)
        result.problems += problems
        if len(result.problems) >= MAX_ERRORS:
            result.problems = result.problems[:MAX_ERRORS]
            break
    if not rows:
        result.problems.append(Problem(0, "readings", "there are no readings in it"))
    return result


def _check_row(row, line, kpis, departments, only_kpi, allowed, seen, result) -> list[Problem]:  # noqa: ANN001, PLR0913
    problems: list[Problem] = []
    slug = str(row.get("kpi") or (only_kpi.slug if only_kpi else "")).strip()
    kpi = kpis.get(slug)
    if kpi is None:
        return [Problem(line, "kpi", f"there is no KPI “{slug[:60]}”")]
    if only_kpi is not None and kpi.id != only_kpi.id:
        return [Problem(line, "kpi", f"this address takes readings for “{only_kpi.slug}” only")]
    if allowed is not None and kpi.id not in allowed:
        return [Problem(line, "kpi", f"this token may not write “{kpi.slug}”")]
    period = PERIOD_WORDS.get(str(row.get("period") or "").strip().lower())
    if period is None:
        problems.append(Problem(line, "period", "must be day, week or month"))
    unit = str(row.get("unit") or "").strip()
    if unit and unit.lower() != (kpi.unit or "").lower():
        problems.append(Problem(line, "unit", f"“{unit[:40]}” is not this KPI's unit (“{kpi.unit}”)"))
    department_slug = str(row.get("department") or "").strip()
    department = departments.get(department_slug) if department_slug else None
    if department_slug and department is None:
        problems.append(Problem(line, "department", f"there is no department “{department_slug[:60]}”"))
    values = {}
    for name in ("value", "target", "baseline"):
        raw = row.get(name)
        if name != "value" and (raw is None or str(raw).strip() == ""):
            values[name] = None
            continue
        try:
            values[name] = _number(raw, kpi.unit)
        except ValueError as error:
            problems.append(Problem(line, name, str(error)))
    start = None
    if period is not None:
        try:
            start = _start(row.get("start"), period)
        except ValueError as error:
            problems.append(Problem(line, "start", str(error)))
    if problems:
        return problems
    key = (kpi.id, department_slug, period.value, start)
    if key in seen:
        return [Problem(line, "start", f"the same KPI, department, period and start are already in row {seen[key]}")]
    seen[key] = line
    result.rows.append({"kpi_id": kpi.id, "scope": department_slug, "department_id": department.id if department else None,
                        "period": period, "period_start": start, **values})
    return []


def store(checked: Checked, source: str) -> tuple[int, int]:
    """Insert new readings and update existing ones (same KPI, scope, period, start); the caller commits."""
    kpi_ids = {r["kpi_id"] for r in checked.rows}
    existing = {}
    for kpi_id in kpi_ids:
        for rid, scope, period, start in db.session.execute(
            select(KpiReading.id, KpiReading.scope, KpiReading.period, KpiReading.period_start).where(KpiReading.kpi_id == kpi_id)
        ).all():
            existing[(kpi_id, scope, Period(period), start)] = rid
    now = utcnow()
    new, changed = [], []
    for row in checked.rows:
        rid = existing.get((row["kpi_id"], row["scope"], row["period"], row["period_start"]))
        values = {**row, "source": source, "updated_at": now}
        if rid is None:
            new.append(values)
        else:
            changed.append({"rid": rid, "v": row["value"], "t": row["target"], "b": row["baseline"], "s": source, "u": now})
    if new:
        db.session.execute(insert(KpiReading), new)
    if changed:
        statement = update(KpiReading.__table__).where(KpiReading.__table__.c.id == bindparam("rid")).values(
            value=bindparam("v"), target=bindparam("t"), baseline=bindparam("b"), source=bindparam("s"), updated_at=bindparam("u"))
        db.session.execute(statement, changed, execution_options={"synchronize_session": False})
    from marketplace.impact import summaries

    summaries.refresh(sorted(kpi_ids))
    return len(new), len(changed)


def stage(user_id: int, filename: str, raw: bytes) -> tuple[ReadingImport | None, Checked | None, str | None]:
    """Check an upload; keep it for confirmation when it is clean. Returns (import, checked, file error)."""
    try:
        text = decode(raw)
        rows = parse_csv(text)
    except ImportError_ as error:
        return None, None, str(error)
    checked = check(rows)
    if not checked.ok:
        return None, checked, None
    staged = ReadingImport(user_id=user_id, filename=filename[:255], content=text, rows=len(checked.rows))
    db.session.add(staged)
    db.session.commit()
    return staged, checked, None


def confirm(staged: ReadingImport) -> tuple[int, int]:
    """Apply a previewed import (checked again: the catalog may have changed since)."""
    if staged.state != ImportState.PREVIEWED:
        raise ImportError_("This import was applied already.")
    checked = check(parse_csv(staged.content))
    if not checked.ok:
        raise ImportError_("The file no longer checks out: " + "; ".join(str(p) for p in checked.problems[:5]))
    counts = store(checked, "csv")
    staged.state = ImportState.APPLIED
    staged.content = ""
    db.session.commit()
    return counts
