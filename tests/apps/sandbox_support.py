"""Whether the real sandbox can run here: a Docker engine that answers and the llmos sandbox image."""
from __future__ import annotations


def docker_ready() -> bool:
    try:
        from sandbox import image_exists, image_tag
        from sandbox.engine import connect
        client = connect()
        try:
            return image_exists(client, image_tag())
        finally:
            client.close()
    except Exception:  # noqa: BLE001 - any failure to reach Docker means "not available"
        return False
