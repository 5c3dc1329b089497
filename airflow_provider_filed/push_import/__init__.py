"""Importing a firm's client export into Filed, run after run: read it, decide what is new, stage the batches."""
