"""User-facing errors: a clear message and an exit code, never a traceback."""


class CodetetherError(Exception):
    """An error whose message is meant for the user as-is."""

    exit_code = 1

    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint

    def render(self) -> str:
        return f"error: {self.message}" + (f"\n{self.hint}" if self.hint else "")


class UsageError(CodetetherError):
    exit_code = 2


class ConfigError(CodetetherError):
    pass
