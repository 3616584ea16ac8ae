"""The experiment file: typed fields, the section schemas, and the YAML checker."""
