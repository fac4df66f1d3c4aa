class ImportFileError(Exception):
    """The file as a whole cannot be imported (empty, wrong header, not UTF-8, bad gzip...).

    The message is shown to the person who uploaded the file, so it says what is wrong and,
    where it can, how to fix it.
    """

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class RowRejected(Exception):
    """One row is invalid; it is listed in the report with its line number."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class RowSkipped(Exception):
    """One row is deliberately left out (not an error), counted by reason in the report."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
