"""Modal screens: help, confirm, open, save, add layer."""
