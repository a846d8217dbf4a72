"""Syscall dispatch (xv6's syscall.c) and the small syscall families with no subsystem of their own:
``fs``, ``tool`` (with MCP servers' tools), ``user`` (the person's desk) and the files a person copies in and out."""
