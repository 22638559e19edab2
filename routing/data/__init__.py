"""Routing reference data (YAML); a package so the files ship with the wheel."""
