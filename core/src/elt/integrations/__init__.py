"""elt inside orchestrators: Airflow, Dagster and Prefect.

Each module is one orchestrator's face over the public API (:class:`elt.Project`), an
optional extra of elt-core (``elt-core[airflow]``, ``elt-core[dagster]``,
``elt-core[prefect]``) that imports its orchestrator at its top: import the module only
where that orchestrator is installed. Nothing else in elt imports them.
"""
