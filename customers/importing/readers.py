"""Stream rows out of a CSV file, plain or gzip-compressed, one record at a time.

Every problem with the file as a whole becomes an ``ImportFileError`` with a message meant
for the person who uploaded it; problems with single rows are for the importers to judge.
"""

import csv
import gzip
import io
import os
import zlib
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from .errors import ImportFileError

GZIP_MAGIC = b"\x1f\x8b"
ZIP_MAGIC = b"PK\x03\x04"
# Small enough that progress (bytes read / size) moves smoothly on a few-MB gzip file.
READ_BUFFER_BYTES = 64 * 1024

# csv's default limit (128 KiB) raises csv.Error in the middle of the file, after which the
# reader cannot be trusted to find the next record. Raising it lets the importers reject an
# oversized field cleanly, against the model's own max_length. A field above this limit is
# almost always an unbalanced quote swallowing the rest of the file: a file-level error.
CSV_FIELD_LIMIT = 32 * 1024 * 1024


def _raise_csv_field_limit() -> None:
    # The limit is global to the csv module; only ever raise it, so no other reader in the
    # process gets a lower limit than it had.
    if csv.field_size_limit() < CSV_FIELD_LIMIT:
        csv.field_size_limit(CSV_FIELD_LIMIT)


class _CountingReader(io.RawIOBase):
    """Counts the bytes taken from the source: the import's progress is bytes read / size.

    Closing it (as the wrappers stacked on it do) leaves the source open: a file object
    passed in belongs to the caller.
    """

    def __init__(self, source: Any) -> None:
        self._source = source
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._source.read(len(buffer))
        size = len(data)
        buffer[:size] = data
        self.count += size
        return size


@dataclass
class CsvFile:
    name: str
    header: list[str]
    # (line of the record's start, its fields, "" or why the record cannot be read)
    rows: Iterator[tuple[int, list[str], str]]
    total_bytes: int | None
    _counter: _CountingReader

    def bytes_read(self) -> int:
        return self._counter.count


def _source_size(source: Any) -> int | None:
    size = getattr(source, "size", None)
    if isinstance(size, int):
        return size
    try:
        return os.fstat(source.fileno()).st_size
    except (AttributeError, OSError, io.UnsupportedOperation):
        pass
    try:
        position = source.tell()
        end = source.seek(0, io.SEEK_END)
        source.seek(position)
        return end
    except (AttributeError, OSError, io.UnsupportedOperation):
        return None


def _display_name(path_or_file: Any) -> str:
    if isinstance(path_or_file, str | os.PathLike):
        return Path(path_or_file).name
    return Path(str(getattr(path_or_file, "name", "") or "upload")).name


def _not_utf8(line: int, exc: UnicodeDecodeError) -> ImportFileError:
    bad = exc.object[exc.start : exc.start + 1]
    byte = f"byte 0x{bad.hex()} " if bad else ""
    return ImportFileError(
        f"The file is not UTF-8 text: {byte}near line {line} cannot be decoded. "
        'Save it as "CSV UTF-8" and import it again.'
    )


def _not_gzip(name: str, exc: Exception) -> ImportFileError:
    return ImportFileError(
        f"{name} is not a valid gzip file ({exc or 'the compressed data ends too early'}). "
        "Upload the plain CSV, or compress it again with gzip."
    )


def _read_record(reader: Any, name: str) -> tuple[int, list[str], str] | None:
    """The next record as (first line, fields, problem); problem is "" or why it is unusable."""
    line = reader.line_num + 1
    try:
        return line, next(reader), ""
    except StopIteration:
        return None
    except UnicodeDecodeError as exc:
        raise _not_utf8(line, exc) from exc
    except csv.Error as exc:
        message = str(exc)
        if "NUL" in message:
            raise ImportFileError(
                f"Line {line} contains a NUL byte: this looks like a binary file "
                "(a spreadsheet?), not CSV text."
            ) from exc
        if "field larger than field limit" in message:
            raise ImportFileError(
                f"Line {line}: a field is longer than {CSV_FIELD_LIMIT // (1024 * 1024)} MB. "
                'This usually means a quote (") that is never closed.'
            ) from exc
        if "unexpected end of data" in message:
            raise ImportFileError(
                f'Line {line}: a quoted field starts here but its closing quote (") never '
                "comes, so the rest of the file would be read as one value."
            ) from exc
        # A malformed record (text after a closing quote...) spoils only itself: the reader
        # starts the next record on the next line.
        return line, [], f"cannot be read as CSV: {message}"
    except (gzip.BadGzipFile, EOFError, zlib.error) as exc:
        raise _not_gzip(name, exc) from exc


def _records(reader: Any, name: str) -> Iterator[tuple[int, list[str], str]]:
    while (record := _read_record(reader, name)) is not None:
        yield record


@contextmanager
def open_csv(path_or_file: str | os.PathLike | BinaryIO | Any) -> Iterator[CsvFile]:
    """Open a path or a binary file object (left open for the caller) as a stream of rows.

    Gzip is recognised by its magic bytes or a ``.gz`` name; UTF-8 with or without a BOM is
    accepted. Line numbers count physical lines, the header being line 1, so they match what
    a text editor shows even when quoted fields span lines.
    """
    _raise_csv_field_limit()
    name = _display_name(path_or_file)
    with ExitStack() as stack:
        if isinstance(path_or_file, str | os.PathLike):
            try:
                source: Any = stack.enter_context(open(path_or_file, "rb"))
            except FileNotFoundError as exc:
                raise ImportFileError(f"There is no file {os.fspath(path_or_file)}.") from exc
            except IsADirectoryError as exc:
                raise ImportFileError(
                    f"{os.fspath(path_or_file)} is a folder, not a file."
                ) from exc
        else:
            source = path_or_file
            if isinstance(source, io.TextIOBase):
                raise ImportFileError("The file must be opened in binary mode.")
            if getattr(source, "seekable", lambda: False)():
                source.seek(0)
        total = _source_size(source)
        counter = _CountingReader(source)
        buffered = io.BufferedReader(counter, buffer_size=READ_BUFFER_BYTES)
        head = buffered.peek(4)[:4]
        if not head:
            raise ImportFileError("The file is empty.")
        if head.startswith(ZIP_MAGIC):
            raise ImportFileError(
                f"{name} is a ZIP archive or an Excel workbook, not a CSV file. "
                'Export the sheet as "CSV UTF-8" and import that.'
            )
        binary: Any = buffered
        if head.startswith(GZIP_MAGIC):
            binary = gzip.GzipFile(fileobj=buffered, mode="rb")
        elif name.lower().endswith(".gz"):
            raise ImportFileError(
                f"{name} has a .gz name but is not gzip-compressed. "
                "Rename it to .csv, or compress it with gzip."
            )
        text = io.TextIOWrapper(binary, encoding="utf-8-sig", newline="")
        # strict: an unclosed quote at the end of the file is an error, instead of the rest
        # of the file silently becoming one value.
        reader = csv.reader(text, strict=True)

        header_record = _read_record(reader, name)
        while header_record is not None and not any(v.strip() for v in header_record[1]):
            if header_record[2]:
                raise ImportFileError(f"The header {header_record[2]}.")
            header_record = _read_record(reader, name)
        if header_record is None:
            raise ImportFileError("The file is empty.")
        header = [value.strip() for value in header_record[1]]
        yield CsvFile(
            name=name,
            header=header,
            rows=_records(reader, name),
            total_bytes=total,
            _counter=counter,
        )
