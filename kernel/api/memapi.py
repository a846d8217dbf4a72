"""The kernel API's ``mem.*`` requests: the person's long-term memory, served from the kernel's one store."""
from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import msgspec

from drivers.errors import DriverError
from drivers.vectors import Hit, Item
from kernel.api import messages as m
from kernel.memory.admin import MemoryAdmin

if TYPE_CHECKING:
    from kernel.kernel import Kernel


def item(collection: str, it: Item | Hit) -> m.MemItem:
    md = it.metadata
    return m.MemItem(id=it.id, text=it.text, kind=str(md.get("kind", "")), collection=collection,
                     score=round(it.score, 4) if isinstance(it, Hit) else None, time=float(md.get("time", 0) or 0))


# blocking: the daemon runs them in worker threads; ``llmos mem`` runs them itself when no daemon is up
def do_store(admin: MemoryAdmin, req: m.MemStore) -> m.MemItem:
    mid, name = admin.put(req.text, user=req.user, app=req.app, kind=req.kind)
    return m.MemItem(id=mid, text=req.text, kind=req.kind, collection=name)


def do_search(admin: MemoryAdmin, req: m.MemSearch) -> list[m.MemItem]:
    return [item(h.collection, h) for h in admin.search(req.query, user=req.user, app=req.app, k=req.k)]


def do_list(admin: MemoryAdmin, req: m.MemList) -> list[m.MemItem]:
    return [item(name, it) for name, it in admin.list(user=req.user, app=req.app, limit=req.limit)]


def do_forget(admin: MemoryAdmin, req: m.MemForget) -> str:
    name = admin.forget(req.mem_id)
    if name is None:
        from kernel.api.handlers import ApiError
        raise ApiError("not_found", f"no memory {req.mem_id!r} in any user or app collection")
    return name


def do_drop_user(admin: MemoryAdmin, req: m.MemDropUser) -> bool:
    return admin.drop_user(req.user)


DO: dict[type[msgspec.Struct], Callable[[MemoryAdmin, Any], Any]] = {
    m.MemStore: do_store, m.MemSearch: do_search, m.MemList: do_list, m.MemForget: do_forget,
    m.MemDropUser: do_drop_user}


async def handle(kernel: Kernel, req: Any) -> Any:
    mm = kernel.memory
    if mm is None:
        from kernel.api.handlers import ApiError
        raise ApiError("unavailable", "this kernel runs without its memory manager")
    try:
        return await mm.run(DO[type(req)], mm.admin, req)
    except DriverError as exc:  # the store refused (disk full, read-only, ...): say so, typed
        from kernel.api.handlers import ApiError
        raise ApiError(exc.code, str(exc)) from None


HANDLERS: dict[type[msgspec.Struct], Callable[[Any, Any], Awaitable[Any]]] = {t: handle for t in DO}
