"""Safe arithmetic: walks the expression's syntax tree; never calls ``eval``."""
from __future__ import annotations

import ast
import math
import operator
from collections.abc import Callable
from typing import Any

_BIN: dict[type[ast.AST], Callable[[Any, Any], Any]] = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
        ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod, ast.Pow: operator.pow}
_UNARY: dict[type[ast.AST], Callable[[Any], Any]] = {ast.UAdd: operator.pos, ast.USub: operator.neg}
_FUNCS: dict[str, Callable[..., Any]] = {"sqrt": math.sqrt, "abs": abs, "round": round, "min": min, "max": max, "log": math.log,
          "exp": math.exp, "sin": math.sin, "cos": math.cos, "tan": math.tan, "floor": math.floor, "ceil": math.ceil}
_CONSTS = {"pi": math.pi, "e": math.e}
MAX_LEN = 500
MAX_POW = 10_000
MAX_ABS = 10 ** 100


class CalcError(ValueError):
    pass


def evaluate(expr: str) -> int | float:
    expr = expr.replace("×", "*").replace("÷", "/").replace("^", "**").replace(",", "").strip()
    if not expr:
        raise CalcError("empty expression")
    if len(expr) > MAX_LEN:
        raise CalcError(f"expression longer than {MAX_LEN} characters")
    try:
        tree = ast.parse(expr, mode="eval")
    except SyntaxError:
        raise CalcError(f"not an arithmetic expression: {expr!r}") from None
    value = _eval(tree.body)
    if isinstance(value, float) and value.is_integer() and abs(value) < 2 ** 53:
        value = int(value)
    return value


def _check(v):
    if isinstance(v, (int, float)) and not isinstance(v, bool) and abs(v) > MAX_ABS:
        raise CalcError("result too large")
    return v


def _eval(node: ast.AST):
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
        return node.value
    if isinstance(node, ast.BinOp) and type(node.op) in _BIN:
        left, right = _eval(node.left), _eval(node.right)
        if isinstance(node.op, ast.Pow) and abs(right) > MAX_POW:
            raise CalcError("exponent too large")
        try:
            return _check(_BIN[type(node.op)](left, right))
        except ZeroDivisionError:
            raise CalcError("division by zero") from None
        except OverflowError:
            raise CalcError("result too large") from None
    if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
        return _UNARY[type(node.op)](_eval(node.operand))
    if isinstance(node, ast.Name) and node.id in _CONSTS:
        return _CONSTS[node.id]
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in _FUNCS and not node.keywords:
        try:
            return _check(_FUNCS[node.func.id](*[_eval(a) for a in node.args]))
        except (ValueError, TypeError, OverflowError) as exc:
            raise CalcError(f"{node.func.id}: {exc}") from None
    raise CalcError(f"unsupported element in expression: {ast.dump(node)[:60]}")
