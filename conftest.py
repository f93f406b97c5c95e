"""Load the real-service fixtures for every test in the workspace."""

pytest_plugins = [
    "tests.fixtures.services",
    "tests.fixtures.sshd",
    "tests.fixtures.dist",
    "tests.fixtures.dask",
    "tests.fixtures.cache",
]
