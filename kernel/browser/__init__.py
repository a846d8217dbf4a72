"""The kernel's side of the browser: its boot step and the ``browser`` syscalls."""
