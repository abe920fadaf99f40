"""Reading pickles without unpickling them.

:func:`walk` runs a pickle's opcodes (from :func:`pickletools.genops`) on a symbolic stack: it
never imports a module or calls anything. A global is only a name (:class:`Global`); calling
one gives a :class:`Call` — except for the few torch helpers that rebuild a tensor from a
storage, whose calls become :class:`TensorRef` with the storage's dtype and the tensor's shape.
Every global the pickle names is recorded, which is what a safety scan needs.

The work is bounded by the pickle's size: a file of ``n`` bytes runs at most ``n`` opcodes, and
containers grow by at most one item per opcode.
"""

from __future__ import annotations

import pickletools
from dataclasses import dataclass, field
from typing import Any

from weighthouse.apps.contract import AppFailed
from weighthouse.apps.weight_files import BoundedReader

MAX_PICKLE = 256 * 1024 * 1024
"""A pickle larger than this is refused: a state dict's pickle runs to megabytes, not more."""
MAX_OPCODES = 2_000_000
"""About 15 s of walking; a state dict takes some ten opcodes per tensor."""

TENSOR_REBUILDERS = {
    ("torch._utils", "_rebuild_tensor"),
    ("torch._utils", "_rebuild_tensor_v2"),
    ("torch._utils", "_rebuild_tensor_v3"),
}
PARAMETER_REBUILDERS = {
    ("torch._utils", "_rebuild_parameter"),
    ("torch._utils", "_rebuild_parameter_with_state"),
}
DICT_TYPES = {("collections", "OrderedDict"), ("builtins", "dict"), ("__builtin__", "dict")}


@dataclass(frozen=True)
class Global:
    module: str
    name: str

    def __str__(self) -> str:
        return f"{self.module}.{self.name}"


@dataclass
class Call:
    """A call the pickle asks for (``REDUCE``, ``NEWOBJ``, ``INST``, ``OBJ``), not made, and
    the state ``BUILD`` would set on its result."""

    func: Any
    args: Any
    state: Any = None


@dataclass(frozen=True)
class StorageRef:
    """A storage named by a persistent id ``('storage', type, key, location, numel, ...)``."""

    type: Global
    key: str


@dataclass(frozen=True)
class TensorRef:
    storage: StorageRef
    shape: tuple[int, ...]


@dataclass
class Walk:
    result: Any
    globals: list[Global] = field(default_factory=list)
    end: int = 0
    """Where the pickle's ``STOP`` ended in the file."""


class _Mark:
    pass


MARK = _Mark()


def walk(reader: BoundedReader, seen: list[Global] | None = None) -> Walk:
    """Run one pickle from the reader's position; raises :class:`AppFailed` for anything that
    is not a well-formed pickle. Each global met is also appended to ``seen`` as it is met, so
    a caller learns what a malformed pickle named before its fault: ``pickle.load`` would have
    imported and called those before failing."""
    # No opcode's argument can be read past the window, however long it claims to be.
    window = reader.window(MAX_PICKLE)
    machine = _Machine([] if seen is None else seen)
    try:
        for count, (opcode, arg, _pos) in enumerate(pickletools.genops(window)):  # type: ignore[arg-type]
            if count > MAX_OPCODES:
                raise AppFailed(f"pickle of more than {MAX_OPCODES} opcodes")
            if opcode.name == "STOP":
                return Walk(machine.pop(), machine.globals, reader.tell())
            machine.step(opcode.name, arg)
    except AppFailed:
        raise
    except (
        ValueError,
        IndexError,
        KeyError,
        TypeError,
        EOFError,
        RecursionError,
        OverflowError,
    ) as e:
        raise AppFailed(f"malformed pickle: {str(e)[:200]}") from None
    raise AppFailed("malformed pickle: no STOP opcode")


class _Machine:
    def __init__(self, seen: list[Global]) -> None:
        self.stack: list[Any] = []
        self.memo: dict[int, Any] = {}
        self.globals = seen

    def pop(self) -> Any:
        value = self.stack.pop()
        if value is MARK:
            raise AppFailed("malformed pickle: mark where a value was expected")
        return value

    def pop_mark(self) -> list[Any]:
        items: list[Any] = []
        while True:
            value = self.stack.pop()
            if value is MARK:
                items.reverse()
                return items
            items.append(value)

    def step(self, name: str, arg: Any) -> None:
        push = self.stack.append
        if name in ("PROTO", "FRAME"):
            return
        if name == "MARK":
            push(MARK)
        elif name == "POP":
            self.stack.pop()
        elif name == "POP_MARK":
            self.pop_mark()
        elif name == "DUP":
            push(self.stack[-1])
        elif name in ("PUT", "BINPUT", "LONG_BINPUT"):
            self.memo[arg] = self.stack[-1]
        elif name == "MEMOIZE":
            self.memo[len(self.memo)] = self.stack[-1]
        elif name in ("GET", "BINGET", "LONG_BINGET"):
            push(self.memo[arg])
        elif name in _CONSTANTS:
            push(_CONSTANTS[name])
        elif name in _LITERALS:
            push(arg)
        elif name in ("EMPTY_DICT",):
            push({})
        elif name in ("EMPTY_LIST",):
            push([])
        elif name == "EMPTY_TUPLE":
            push(())
        elif name == "EMPTY_SET":
            push(set())
        elif name in ("TUPLE1", "TUPLE2", "TUPLE3"):
            n = int(name[-1])
            items = [self.pop() for _ in range(n)][::-1]
            push(tuple(items))
        elif name == "TUPLE":
            push(tuple(self.pop_mark()))
        elif name == "LIST":
            push(self.pop_mark())
        elif name == "DICT":
            push(_pairs_to_dict({}, self.pop_mark()))
        elif name == "FROZENSET":
            push(frozenset(_hashable(v) for v in self.pop_mark()))
        elif name == "APPEND":
            value = self.pop()
            _append(self.stack[-1], [value])
        elif name == "APPENDS":
            values = self.pop_mark()
            _append(self.stack[-1], values)
        elif name == "SETITEM":
            value, key = self.pop(), self.pop()
            _pairs_to_dict(self.stack[-1], [key, value])
        elif name == "SETITEMS":
            items = self.pop_mark()
            _pairs_to_dict(self.stack[-1], items)
        elif name == "ADDITEMS":
            items = self.pop_mark()
            if isinstance(self.stack[-1], set):
                self.stack[-1].update(_hashable(v) for v in items)
        elif name in ("GLOBAL", "INST"):
            module, _, attr = str(arg).partition(" ")
            found = self.record(module, attr)
            if name == "INST":
                push(Call(found, tuple(self.pop_mark())))
            else:
                push(found)
        elif name == "STACK_GLOBAL":
            attr, module = self.pop(), self.pop()
            if not isinstance(module, str) or not isinstance(attr, str):
                raise AppFailed("malformed pickle: STACK_GLOBAL of something other than names")
            push(self.record(module, attr))
        elif name == "REDUCE":
            args = self.pop()
            push(_reduce(self.pop(), args))
        elif name == "NEWOBJ":
            args = self.pop()
            push(Call(self.pop(), args))
        elif name == "NEWOBJ_EX":
            kwargs, args = self.pop(), self.pop()
            push(Call(self.pop(), (args, kwargs)))
        elif name == "OBJ":
            items = self.pop_mark()
            if not items:
                raise AppFailed("malformed pickle: OBJ without a class")
            push(Call(items[0], tuple(items[1:])))
        elif name == "BUILD":
            state = self.pop()
            if isinstance(self.stack[-1], Call):
                self.stack[-1].state = state
        elif name in ("PERSID", "BINPERSID"):
            push(_persistent(arg if name == "PERSID" else self.pop()))
        elif name in ("EXT1", "EXT2", "EXT4"):
            # The extension registry maps codes to globals known only to the loading process.
            global_ = self.record("copyreg", f"extension:{arg}")
            push(global_)
        elif name in ("BYTEARRAY8", "NEXT_BUFFER", "READONLY_BUFFER"):
            push(arg)
        else:
            raise AppFailed(f"unsupported pickle opcode {name}")

    def record(self, module: str, name: str) -> Global:
        found = Global(module, name)
        self.globals.append(found)
        return found


_CONSTANTS = {"NONE": None, "NEWTRUE": True, "NEWFALSE": False}
_LITERALS = {
    "INT", "BININT", "BININT1", "BININT2", "LONG", "LONG1", "LONG4", "FLOAT", "BINFLOAT",
    "STRING", "BINSTRING", "SHORT_BINSTRING", "BINBYTES", "SHORT_BINBYTES", "BINBYTES8",
    "UNICODE", "BINUNICODE", "SHORT_BINUNICODE", "BINUNICODE8",
}  # fmt: skip


def _hashable(value: Any) -> Any:
    """``value`` where it can be a dict key or set item, else its id. Only flat values are
    hashed: hashing a tuple nested a million deep overflows CPython's C stack."""
    return (
        value
        if isinstance(value, str | bytes | int | float | Global) or value is None
        else id(value)
    )


def _append(target: Any, values: list[Any]) -> None:
    if isinstance(target, list):
        target.extend(values)


def _pairs_to_dict(target: Any, items: list[Any]) -> Any:
    if len(items) % 2:
        raise AppFailed("malformed pickle: odd number of dict items")
    if isinstance(target, dict):
        for key, value in zip(items[::2], items[1::2], strict=True):
            target[_hashable(key)] = value
    return target


def _reduce(func: Any, args: Any) -> Any:
    key = (func.module, func.name) if isinstance(func, Global) else None
    if key in TENSOR_REBUILDERS and isinstance(args, tuple) and len(args) >= 3:
        storage, shape = args[0], args[2]
        if isinstance(storage, StorageRef) and _is_shape(shape):
            return TensorRef(storage, tuple(shape))
    if key in PARAMETER_REBUILDERS and isinstance(args, tuple) and args:
        return args[0]
    if key in DICT_TYPES:
        return {}
    return Call(func, args)


def _is_shape(shape: Any) -> bool:
    return isinstance(shape, tuple) and all(
        isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in shape
    )


def _persistent(pid: Any) -> Any:
    if (
        isinstance(pid, tuple)
        and len(pid) >= 3
        and pid[0] == "storage"
        and isinstance(pid[1], Global)
    ):
        return StorageRef(pid[1], str(pid[2]))
    return Call(Global("pickle", "persistent_load"), pid)
