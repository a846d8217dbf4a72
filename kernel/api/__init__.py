"""The kernel API: the daemon's Unix-socket server and its wire messages."""
from kernel.api import messages
from kernel.api.daemon import AlreadyRunning, claim, pid_path, release, running_pid, serve, socket_path
from kernel.api.server import ApiServer

__all__ = ["messages", "ApiServer", "AlreadyRunning", "claim", "release", "running_pid", "serve",
           "socket_path", "pid_path"]
