"""elt inside orchestrators: one module per orchestrator, each an extra imported on its own."""
