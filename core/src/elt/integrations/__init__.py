"""elt inside orchestrators (Airflow, Dagster, Prefect): each an optional extra, imported lazily."""
