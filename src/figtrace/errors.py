"""The one exception type the pipeline raises for bad input: its message is what the user sees."""


class FigtraceError(Exception):
    """Bad input or a broken provenance chain; the message names the file, what is wrong and the fix."""
