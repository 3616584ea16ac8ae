"""The network: its spec, the layer registry, plain-Python shape and parameter inference, and the torch builder."""
