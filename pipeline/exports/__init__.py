"""Derived outputs for researchers: the discourse network export and the data dictionary."""
