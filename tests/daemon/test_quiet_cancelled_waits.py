"""The CLI's loop drops asyncio's report of a readiness callback on a wait that was already cancelled (a
race in anyio's socket streams that printed a traceback after 'llmos run' of a failing program), and only
that report."""
import asyncio

from llmos.client import quiet_cancelled_waits


def test_a_result_for_a_cancelled_wait_is_not_reported_and_anything_else_is(caplog):
    async def main() -> None:
        quiet_cancelled_waits()
        loop = asyncio.get_running_loop()
        f = loop.create_future()
        f.cancel()
        loop.call_soon(f.set_result, None)  # what a socket's reader callback does after the wait was cancelled
        loop.call_soon(lambda: 1 / 0)  # any other error in a callback is still reported
        await asyncio.sleep(0.01)
    asyncio.run(main())
    reported = "\n".join(f"{r.getMessage()} {r.exc_info[1]!r}" for r in caplog.records if r.name == "asyncio")
    assert "InvalidStateError" not in reported and "ZeroDivisionError" in reported
