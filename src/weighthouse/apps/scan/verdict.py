"""Which globals a pickle may name: the verdict on a file from the globals its pickles import.

Loading a pickle imports every global it names and may call it, so the globals are the whole
attack surface. ``safe`` files name only what a state dict of tensors needs (torch's rebuild
helpers and storage types, ``collections.OrderedDict``, numpy's array reconstruction);
``dangerous`` ones name something that runs commands, code or I/O; everything else is
``suspicious``: not known harmful, but not needed to load weights either.
"""

from __future__ import annotations

from collections.abc import Iterable

SAFE, SUSPICIOUS, DANGEROUS = "safe", "suspicious", "dangerous"
RANK = {SAFE: 0, SUSPICIOUS: 1, DANGEROUS: 2}

ALLOWED = {
    "collections": {"OrderedDict", "defaultdict"},
    "torch._utils": {
        "_rebuild_tensor", "_rebuild_tensor_v2", "_rebuild_tensor_v3", "_rebuild_parameter",
        "_rebuild_parameter_with_state", "_rebuild_qtensor", "_rebuild_sparse_tensor",
        "_rebuild_meta_tensor_no_storage", "_rebuild_device_tensor_from_numpy",
    },
    "torch": {
        "Size", "device", "dtype", "float32", "float64", "float16", "bfloat16", "int64",
        "int32", "int16", "int8", "uint8", "bool", "complex64", "complex128",
        "per_tensor_affine", "per_channel_affine", "contiguous_format", "channels_last",
    },
    "torch.nn.parameter": {"Parameter"},
    "numpy.core.multiarray": {"_reconstruct", "scalar"},
    "numpy._core.multiarray": {"_reconstruct", "scalar"},
    "numpy": {"ndarray", "dtype"},
    # numpy and torch pickle raw bytes through codecs.encode under protocol 2.
    "_codecs": {"encode"},
    "builtins": {"set", "frozenset", "slice", "complex", "bytearray", "tuple", "list", "dict"},
}  # fmt: skip
ALLOWED["__builtin__"] = ALLOWED["builtins"]  # The name protocol 2 pickles give builtins.
ALLOWED_SUFFIXES = {"torch": ("Storage",)}
"""``torch.FloatStorage``, ``torch.BFloat16Storage`` and the other storage types."""

DANGEROUS_MODULES = {
    "os", "posix", "nt", "subprocess", "runpy", "socket", "shutil", "sys", "pty", "commands",
    "webbrowser", "importlib", "pickle", "_pickle", "marshal", "ctypes", "multiprocessing",
    "code", "codeop", "platform", "signal", "asyncio", "http", "urllib", "requests", "ftplib",
    "telnetlib", "smtplib", "pdb", "bdb", "timeit", "tempfile", "pathlib", "io", "_io",
    "torch.storage", "torch.serialization", "types", "operator", "functools",
    "dill", "joblib", "cloudpickle", "pip", "setuptools", "venv", "zipimport",
}  # fmt: skip
DANGEROUS_BUILTINS = {
    "eval", "exec", "compile", "__import__", "open", "getattr", "setattr", "delattr",
    "globals", "locals", "vars", "breakpoint", "input", "apply", "execfile", "file",
    "memoryview", "help", "exit", "quit",
}  # fmt: skip


def classify(module: str, name: str) -> str:
    """The verdict on one global ``module.name``."""
    if name in ALLOWED.get(module, ()) or (
        name.endswith(ALLOWED_SUFFIXES.get(module, ())) and name.isidentifier()
    ):
        return SAFE
    root = module.split(".")[0]
    if module in ("builtins", "__builtin__") and name in DANGEROUS_BUILTINS:
        return DANGEROUS
    if module in DANGEROUS_MODULES or root in DANGEROUS_MODULES:
        return DANGEROUS
    return SUSPICIOUS


def worst(verdicts: Iterable[str]) -> str:
    return max(verdicts, key=RANK.__getitem__, default=SAFE)
