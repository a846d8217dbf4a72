"""The kernel API: the daemon's Unix-socket server and its wire messages."""
from . import messages
from .daemon import AlreadyRunning, claim, pid_path, release, running_pid, serve, socket_path
from .server import ApiServer

__all__ = ["messages", "ApiServer", "AlreadyRunning", "claim", "release", "running_pid", "serve",
           "socket_path", "pid_path"]
