"""The exceptions mcusim raises on purpose. Each class says when it is raised.

The CLI turns every :class:`McusimError` into one line on stderr and exit code 2;
anything else is a bug and is shown with its traceback.
"""

from __future__ import annotations


class McusimError(Exception):
    """Base class: an expected failure caused by the user's input or environment."""


class FormatError(McusimError):
    """A packed model file (model.bin) is malformed.

    Raised by the reader when validation fails and by the writer when asked to
    write something the format cannot hold. ``offset`` is the byte offset in the
    file where the problem was found and ``section`` the section it belongs to,
    when known; both also appear in the message.
    """

    def __init__(self, message: str, *, path: str | None = None,
                 offset: int | None = None, section: str | None = None):
        self.path = path
        self.offset = offset
        self.section = section
        self.detail = message
        super().__init__(self._render())

    def _render(self) -> str:
        where = f"{self.path}: " if self.path else ""
        return f"{where}{self.detail}"

    def with_path(self, path: str) -> "FormatError":
        """The same error, naming the file it came from."""
        return FormatError(self.detail, path=path, offset=self.offset, section=self.section)


class InputError(McusimError):
    """Input windows or a record given to run a model are unusable
    (wrong dtype, shape or window length, missing WFDB record, no usable lead)."""


class ExampleError(McusimError):
    """An unknown example model name or impossible example parameters."""


class ExportError(McusimError):
    """A model cannot be exported to TFLite as it is: the optional
    ``tflite-micro`` package is missing, or a stored requantization parameter
    is not what TFLite would derive from the stored float scales (so a TFLite
    runtime would compute something else)."""
