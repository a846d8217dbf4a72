"""Drivers: everything that touches the outside world. No driver imports the kernel."""
