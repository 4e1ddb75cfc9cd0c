"""Cameras: discovery, capture threads and synthetic sources."""
