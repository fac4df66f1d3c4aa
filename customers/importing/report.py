from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class ImportReport:
    """What one import did; stored as JSON on ``ImportJob.report``."""

    kind: str
    partial: bool = False
    rows_read: int = 0
    # Per model, e.g. {"customers": 12}. Zeroed when the import was rolled back, so the
    # numbers always describe what is in the database.
    created: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    # Rows left out on purpose, by reason (duplicates, postage lines...): not errors.
    skipped: dict[str, int] = field(default_factory=dict)
    # Other things worth counting that are neither errors nor skips.
    notes: dict[str, int] = field(default_factory=dict)
    rejected: list[tuple[int, str]] = field(default_factory=list)
    committed: bool = False
    duration_seconds: float = 0.0

    def count_created(self, model: str, n: int = 1) -> None:
        self.created[model] = self.created.get(model, 0) + n

    def count_updated(self, model: str, n: int = 1) -> None:
        self.updated[model] = self.updated.get(model, 0) + n

    def skip(self, reason: str, n: int = 1) -> None:
        self.skipped[reason] = self.skipped.get(reason, 0) + n

    def note(self, what: str, n: int = 1) -> None:
        self.notes[what] = self.notes.get(what, 0) + n

    def reject(self, line: int, reason: str) -> None:
        self.rejected.append((line, reason))

    @property
    def rows_rejected(self) -> int:
        return len(self.rejected)

    @property
    def rows_skipped(self) -> int:
        return sum(self.skipped.values())

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["rejected"] = [[line, reason] for line, reason in self.rejected]
        data["rows_rejected"] = self.rows_rejected
        data["rows_skipped"] = self.rows_skipped
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "ImportReport":
        names = cls.__dataclass_fields__
        report = cls(**{key: value for key, value in data.items() if key in names})
        report.rejected = [(int(line), str(reason)) for line, reason in report.rejected]
        return report
