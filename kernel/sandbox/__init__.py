"""The kernel's side of the Docker sandbox: its boot step and the ``python``/``shell`` tools."""
