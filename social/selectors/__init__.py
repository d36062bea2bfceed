"""Composed reads (the feed, the directory, search), returning querysets."""
