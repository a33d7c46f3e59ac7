"""Scans' errors."""

from vantio.errors import VantioError


class ScanNotRecorded(VantioError):
    """The database could not store the scan: the visitor is asked to scan again."""

    status = 503
    code = "scan_not_recorded"
    message = "The scan could not be recorded; please try again"
