"""elt in Airflow: :class:`EltRunOperator`, one elt run as an Airflow task.

The DAG files ``elt schedule export airflow`` writes use it (see
:mod:`elt.schedule.airflow`), and so can a hand-written DAG::

    from elt.integrations.airflow import EltRunOperator

    load = EltRunOperator(
        task_id="orders",
        project_dir="/opt/elt/project",
        task="tap-csv target-postgres",
        environment="prod",
        config={"tap-csv.start_date": "{{ ds }}"},
    )

A run is ``Project.run_task`` of the public API in the worker's process. Airflow owns the
retries (the run itself is not retried, ``retries=0``), but only of what a retry may fix:
an error elt says is not retriable (``EltError.retriable`` false: a wrong password or
setting, exit 78; bad data, 65) fails the task with ``AirflowFailException``, which Airflow
never retries; a retriable one (a service unreachable, exit 75) raises
``AirflowException`` and takes the task's retries. Either way the message is elt's one
paragraph, with the exit code and the id of the failed run (``elt runs show ID``).

A successful run pushes ``run_id`` and ``rows`` (per stream) to XCom; the return value
(XCom ``return_value``) is ``RunResult.as_dict()``, secrets of ``config`` redacted.
Written for Airflow 3 (``airflow.sdk``); this is the only module of elt importing Airflow.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from airflow.sdk import BaseOperator
from airflow.sdk.exceptions import AirflowException, AirflowFailException

from elt import EltError, Project

__all__ = ["EltRunOperator"]


class EltRunOperator(BaseOperator):  # type: ignore[misc]  # Airflow is untyped for mypy here
    """Run one elt task, ``"TAP [MAPPER...] TARGET"``, of the project in ``project_dir``.

    ``environment`` None: the worker's ``ELT_ENVIRONMENT``, else the project's
    default_environment. ``job`` and ``schedule`` name what the run is part of in elt's
    history. ``config`` sets settings for this run only (``{"PLUGIN.SETTING": value}``).
    ``project_dir``, ``task``, ``environment`` and ``config`` are templated.
    """

    template_fields: ClassVar[Sequence[str]] = ("project_dir", "task", "environment", "config")
    template_fields_renderers: ClassVar[Mapping[str, str]] = {"config": "json"}
    ui_color = "#d8ecf3"

    def __init__(
        self,
        *,
        project_dir: str,
        task: str,
        job: str | None = None,
        schedule: str | None = None,
        environment: str | None = None,
        config: Mapping[str, object] | None = None,
        full_refresh: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.project_dir = project_dir
        self.task = task
        self.job = job
        self.schedule = schedule
        self.environment = environment
        self.config = dict(config) if config is not None else None
        self.full_refresh = full_refresh

    def execute(self, context: Mapping[str, Any]) -> dict[str, Any]:
        """Run the task; fail the Airflow task with elt's error paragraph if it fails."""
        try:
            project = Project.open(self.project_dir, environment=self.environment)
            result = project.run_task(
                self.task,
                job=self.job,
                schedule=self.schedule,
                config=self.config,
                full_refresh=self.full_refresh,
                retries=0,
            )
        except EltError as error:
            raise _failure(error) from error
        ti = context["ti"]
        ti.xcom_push(key="run_id", value=result.run_id)
        ti.xcom_push(key="rows", value=dict(result.rows))
        self.log.info("elt run %s: %s rows %s", result.run_id, result.status.value, result.rows)
        return result.as_dict()


def _failure(error: EltError) -> AirflowException:
    """The Airflow exception a failed elt run ends its task with: not retried
    (``AirflowFailException``) unless elt says a retry may fix it."""
    run = f", run {error.run_id}" if error.run_id else ""
    message = f"elt failed (exit {error.exit_code}{run}): {error}"
    if error.retriable:
        return AirflowException(message)
    return AirflowFailException(message)
