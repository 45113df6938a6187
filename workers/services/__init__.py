"""Writes on the workforce. One module per entity; import from the module itself."""
