"""One exception tree for everything elt reports to a person.

Every error carries three things, so that the one paragraph a user reads is enough to act:
*what* happened (``message``), *where* (``where``: a file and line, a plugin, a stream, a
field) and *what to do* (``hint``). The CLI renders them in one place and maps each class to
an exit code there; a scheduler reads the exit code to decide whether a retry makes sense.

    EltError
    ├── UsageError          bad command-line arguments                          (exit 2)
    ├── ProjectError        plugins.yml, .env, interpolation, unknown plugin    (exit 78)
    ├── ConfigError         a plugin's settings are missing or of the wrong kind (exit 78)
    │   └── AccessError     credentials refused or missing, access denied, no such
    │                       bucket/database/container: retrying cannot help     (exit 78)
    ├── ProtocolError       a Singer stream that breaks the protocol            (exit 65)
    ├── PluginError         a plugin failed, could not start, or is not installed (exit 70;
    │                       a plugin's own 65, 75 or 78 is passed on)
    ├── ServiceError        a service is unreachable, timed out, overloaded (5xx,
    │                       throttling): a retry may succeed                    (exit 75)
    └── Interrupted         a run was stopped by SIGINT or SIGTERM           (exit 130, 143)

Exit codes follow sysexits(3): 65 data error, 70 software error, 75 temporary failure (a
retry may succeed), 78 configuration error; an interrupted run exits the way a shell reports
a process killed by the signal, 128 + its number. Anything else escaping is a bug (exit 1).
``retriable`` says whether running the same thing again may succeed: a ServiceError, or a
PluginError whose plugin exited 75 (EX_TEMPFAIL, its own way of saying so) or was killed
by a signal elt did not send (the OOM killer, an operator).

Failures of a service are classified here, once, for every plugin and store: what a retry
may fix (unreachable, timeouts, 5xx, throttling) is a :class:`ServiceError`; what it cannot
(refused or missing credentials, access denied, a missing bucket or database) an
:class:`AccessError`. :func:`http_status_error` sorts HTTP status codes that way; the
Postgres plugins sort SQLSTATEs in :mod:`elt.sdk.postgres`; S3, GCS and Azure answers, for
the lake targets and the state backends alike, are read in :mod:`elt.cloudfailures`.
"""

from __future__ import annotations

__all__ = [
    "AccessError",
    "ConfigError",
    "EltError",
    "Interrupted",
    "PluginError",
    "ProjectError",
    "ProtocolError",
    "ServiceError",
    "UsageError",
    "http_status_error",
]


class EltError(Exception):
    """Base of every error elt reports; never raised itself."""

    exit_code = 1
    #: the run that failed, when a run failed (its history record and log): set by the run
    run_id: str | None = None

    def __init__(self, message: str, *, where: str | None = None, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.where = where
        self.hint = hint

    def __str__(self) -> str:
        text = f"{self.where}: {self.message}" if self.where else self.message
        if self.hint:
            text = f"{text.rstrip('.')}. {self.hint[:1].upper()}{self.hint[1:]}"
        return text

    @property
    def retriable(self) -> bool:
        """Whether the same command may succeed if run again: a temporary failure (75)."""
        return self.exit_code == 75


class UsageError(EltError):
    """The command line itself is wrong: unknown option, missing argument."""

    exit_code = 2


class ProjectError(EltError):
    """plugins.yml or its .env is missing, malformed, or names something unknown."""

    exit_code = 78


class ConfigError(EltError):
    """A plugin's configuration is missing a required setting or has a value of the wrong kind."""

    exit_code = 78


class AccessError(ConfigError):
    """A service refused our credentials or lacks what we asked for; retrying cannot help.

    Wrong or missing password, key or token, access denied, a bucket, container or
    database that does not exist: a person must change the configuration or the grants.
    """


class ProtocolError(EltError):
    """A Singer message stream is malformed: bad JSON, unknown type, missing keys, bad bytes."""

    exit_code = 65


class PluginError(EltError):
    """A plugin could not be found, started, or exited with an error.

    ``returncode`` is the failed plugin's exit code when it exited on its own (negative: the
    signal that killed it), None when it never ran or failed some other way. A plugin that
    classified its failure itself — 65 bad data, 75 temporary, 78 configuration or
    credentials — passes its code on: elt exits with it, so a scheduler (and ``--retries``)
    reads the same class whether the plugin runs alone or under elt. Anything else is 70.
    """

    exit_code = 70
    #: plugin exit codes elt passes on as its own
    PASSED_ON = frozenset({65, 75, 78})

    def __init__(
        self,
        message: str,
        *,
        where: str | None = None,
        hint: str | None = None,
        returncode: int | None = None,
    ) -> None:
        super().__init__(message, where=where, hint=hint)
        self.returncode = returncode
        if returncode in self.PASSED_ON:
            self.exit_code = returncode

    @property
    def retriable(self) -> bool:
        """The plugin said a retry may help (exit 75) or something outside killed it."""
        return self.returncode is not None and (self.returncode == 75 or self.returncode < 0)


class ServiceError(EltError):
    """An external service (database, object store, API) could not be reached, timed out or
    failed on its side (5xx, throttling): the same request may succeed later."""

    exit_code = 75


class Interrupted(EltError):
    """A run was asked to stop (Ctrl-C, ``kill``) and did, keeping what was committed.

    The exit code is 128 + the signal number (130 for SIGINT, 143 for SIGTERM), as a shell
    reports it, so a scheduler can tell "stopped on purpose" from "failed".
    """

    exit_code = 130

    def __init__(
        self,
        message: str,
        *,
        signal_number: int,
        where: str | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message, where=where, hint=hint)
        self.signal_number = signal_number
        self.exit_code = 128 + signal_number


#: HTTP statuses a later attempt may get past: timeout, too early, throttled
_TRANSIENT_STATUSES = frozenset({408, 425, 429})


def http_status_error(status: int) -> type[EltError]:
    """The error class for a failed HTTP response of ``status``: the one rule every client
    of elt's follows. 5xx and 408/425/429 → :class:`ServiceError` (75, retried); 401, 403
    and 404 (a missing bucket, container or endpoint) → :class:`AccessError` (78); any
    other 4xx is a request our configuration made wrong → :class:`ConfigError` (78)."""
    if status >= 500 or status in _TRANSIENT_STATUSES:
        return ServiceError
    if status in (401, 403, 404):
        return AccessError
    return ConfigError
