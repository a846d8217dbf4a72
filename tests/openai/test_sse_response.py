"""SSEResponse keeps Starlette's Response.render method; the chunk renderer is its own attribute."""
from __future__ import annotations

from starlette.responses import Response

from kernel.api.openai.sse import Renderer, SSEResponse


async def _call(sink):  # never run here
    return None


def test_the_renderer_does_not_shadow_response_render() -> None:
    renderer = Renderer("m", chat=True)
    resp = SSEResponse(_call, renderer)
    assert resp.renderer is renderer
    assert resp.render("x") == Response.render(resp, "x") == b"x"  # the method, not the Renderer
