"""shipping adapters: read models and their projector, the label worker loop."""
