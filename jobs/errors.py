"""The command line's outcomes other than success, and their exit codes (0 ok, 1 the job
failed, 2 usage or config error): plain classes, importable before anything else loads."""

EXIT_FAILED, EXIT_USAGE = 1, 2


class ConfigError(Exception):
    """A bad config file or value: ``str(err)`` is the one line the user sees."""


class Failed(Exception):
    """The job ran and failed: exit 1 with this one-line message."""
