"""elt projects: the ``plugins.yml`` model, loading, validation, config resolution, edits.

A project is a directory holding ``plugins.yml`` (its shape is documented in
:mod:`elt.project.model`) and optionally ``.env``. This package turns them into a validated
:class:`Project`, says where each setting of a plugin gets its value
(:func:`resolve_config`, over a run's ``--config`` overrides read by
:func:`parse_overrides`), and edits the files without losing comments (:func:`add_plugin`,
:func:`set_config`).
Everything wrong is a :class:`elt.errors.ProjectError` (the files) or
:class:`elt.errors.ConfigError` (a value) naming the YAML path and line.
"""

from __future__ import annotations

from elt.project.catalogue import (
    CatalogueEntry,
    catalogue,
    catalogue_entry,
    entry_for,
    settings_from_schema,
)
from elt.project.edit import (
    ConfigChange,
    ConfigRemoval,
    ConfigStore,
    PluginAdded,
    PluginRemoved,
    SelectionChange,
    add_plugin,
    change_selection,
    remove_plugin,
    set_config,
    unset_config,
)
from elt.project.kinds import coerce, parse_value
from elt.project.loader import find_project_root, load_project, read_dotenv
from elt.project.model import (
    AlertEvent,
    AlertSpec,
    CatchUp,
    EnvironmentSpec,
    JobSpec,
    Manifest,
    PluginKind,
    PluginSpec,
    ScheduleSpec,
    SettingKind,
    SettingSpec,
    blocks_of,
    check_executor,
    setting_variable,
)
from elt.project.overrides import (
    OVERRIDE_FORM,
    check_overrides,
    parse_overrides,
    redact_overrides,
    typed_overrides,
)
from elt.project.project import DOTENV_FILE, PROJECT_FILE, Plugin, Project
from elt.project.scaffold import ProjectCreated, init_project
from elt.project.schedules import (
    JobAdded,
    ScheduleAdded,
    add_job,
    add_schedule,
    remove_job,
    remove_schedule,
)
from elt.project.schema import plugins_schema, render_schema
from elt.project.settings import (
    NO_OVERRIDES,
    REDACTED,
    Overrides,
    PluginConfig,
    ResolvedSetting,
    SettingSource,
    basic_credentials,
    is_secret,
    redact,
    resolve_config,
    resolve_setting,
    secret_texts,
    url_password,
)

__all__ = [
    "DOTENV_FILE",
    "NO_OVERRIDES",
    "OVERRIDE_FORM",
    "PROJECT_FILE",
    "REDACTED",
    "AlertEvent",
    "AlertSpec",
    "CatalogueEntry",
    "CatchUp",
    "ConfigChange",
    "ConfigRemoval",
    "ConfigStore",
    "EnvironmentSpec",
    "JobAdded",
    "JobSpec",
    "Manifest",
    "Overrides",
    "Plugin",
    "PluginAdded",
    "PluginConfig",
    "PluginKind",
    "PluginRemoved",
    "PluginSpec",
    "Project",
    "ProjectCreated",
    "ResolvedSetting",
    "ScheduleAdded",
    "ScheduleSpec",
    "SelectionChange",
    "SettingKind",
    "SettingSource",
    "SettingSpec",
    "add_job",
    "add_plugin",
    "add_schedule",
    "basic_credentials",
    "blocks_of",
    "catalogue",
    "catalogue_entry",
    "change_selection",
    "check_executor",
    "check_overrides",
    "coerce",
    "entry_for",
    "find_project_root",
    "init_project",
    "is_secret",
    "load_project",
    "parse_overrides",
    "parse_value",
    "plugins_schema",
    "read_dotenv",
    "redact",
    "redact_overrides",
    "remove_job",
    "remove_plugin",
    "remove_schedule",
    "render_schema",
    "resolve_config",
    "resolve_setting",
    "secret_texts",
    "set_config",
    "setting_variable",
    "settings_from_schema",
    "typed_overrides",
    "unset_config",
    "url_password",
]
