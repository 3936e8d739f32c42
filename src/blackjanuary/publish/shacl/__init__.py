"""The SHACL gate: invalid data is never published."""
