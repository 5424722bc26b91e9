"""Dagster code for stancewire: thin assets over `pipeline.steps`, GX asset checks, and
the one `Definitions` that `dagster dev -w workspace.yaml` and the CLI load.

Asset keys are warehouse table names; groups are the pipeline's stages.
"""
