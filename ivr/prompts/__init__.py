"""Prompt catalogues (data only; a package so the YAML files ship with ivr)."""
