"""Writes on the marketplace. One module per entity; import from the module itself."""
