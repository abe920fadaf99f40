"""Writes one weight file per format with the format's own library into the folder given as
argv[1], and ``expected.json`` with each file's tensor count and parameter total as that
library counts them. Run in the apps environment (tests/apps_env.py)."""

import json
import sys
from pathlib import Path

import gguf
import numpy as np
import onnx
import torch
from onnx import TensorProto, helper, numpy_helper
from safetensors.numpy import save_file

out = Path(sys.argv[1])
out.mkdir(parents=True, exist_ok=True)
expected = {}
rng = np.random.default_rng(7)


def record(name, tensors):
    expected[name] = {
        "tensor_count": len(tensors),
        "parameter_count": int(sum(int(np.prod(shape)) for shape in tensors.values())),
        "shapes": {k: list(v) for k, v in tensors.items()},
    }


# safetensors: mixed dtypes, a scalar and an empty tensor.
arrays = {
    "embed.weight": rng.standard_normal((50, 16)).astype(np.float16),
    "layer.0.weight": rng.standard_normal((16, 16)).astype(np.float32),
    "layer.0.bias": np.zeros(16, dtype=np.float32),
    "steps": np.array(3, dtype=np.int64),
    "empty": np.zeros((0, 4), dtype=np.float32),
}
save_file(arrays, out / "model.safetensors", metadata={"format": "np"})
record("model.safetensors", {k: v.shape for k, v in arrays.items()})

# GGUF v3 with metadata of every kind, including a string array (a vocabulary) and a
# quantised tensor.
writer = gguf.GGUFWriter(out / "model.gguf", "llama")
writer.add_block_count(2)
writer.add_context_length(128)
writer.add_token_list([f"tok{i}" for i in range(300)])
writer.add_array("tokenizer.ggml.scores", [float(i) for i in range(300)])
writer.add_string("general.name", "tiny")
writer.add_float32("some.float", 0.5)
writer.add_bool("some.flag", True)
gguf_tensors = {
    "token_embd.weight": rng.standard_normal((300, 32)).astype(np.float32),
    "blk.0.attn_q.weight": rng.standard_normal((32, 32)).astype(np.float16),
    "output_norm.weight": np.ones(32, dtype=np.float32),
}
for name, value in gguf_tensors.items():
    writer.add_tensor(name, value)
q8 = gguf.quants.quantize(
    rng.standard_normal((4, 64)).astype(np.float32), gguf.GGMLQuantizationType.Q8_0
)
writer.add_tensor(
    "blk.0.ffn.weight", q8, raw_shape=q8.shape, raw_dtype=gguf.GGMLQuantizationType.Q8_0
)
writer.write_header_to_file()
writer.write_kv_data_to_file()
writer.write_tensors_to_file()
writer.close()
reader = gguf.GGUFReader(out / "model.gguf")
record(
    "model.gguf",
    {t.name: tuple(int(d) for d in reversed(t.shape.tolist())) for t in reader.tensors},
)
expected["model.gguf"]["gguf_parameter_count"] = int(sum(int(t.n_elements) for t in reader.tensors))

# PyTorch: a state dict saved as a zip and in the legacy format, with a tied weight, a
# bfloat16 tensor, a non-contiguous view and nested non-tensor entries.
torch.manual_seed(0)
model = torch.nn.Sequential(torch.nn.Linear(8, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2))
state = {
    "model": model.state_dict(),
    "extra": {
        "scale": torch.ones(3, dtype=torch.bfloat16),
        "view": torch.arange(12.0).reshape(3, 4).t(),
    },
    "epoch": 7,
    "names": ["a", "b"],
}
torch.save(state, out / "zip.pt")
torch.save(state, out / "legacy.bin", _use_new_zipfile_serialization=False)
flat = {f"model.{k}": tuple(v.shape) for k, v in model.state_dict().items()}
flat |= {"extra.scale": (3,), "extra.view": (4, 3)}
record("zip.pt", flat)
record("legacy.bin", flat)
# A whole module pickled: its tensors sit in the state each object gets after it is built.
torch.save(model, out / "module.pth")
record("module.pth", {k: tuple(v.shape) for k, v in model.state_dict().items()})

# ONNX: a graph with initializers of several types.
init = {
    "w": rng.standard_normal((4, 3)).astype(np.float32),
    "b": np.zeros(3, dtype=np.float32),
    "idx": np.arange(5, dtype=np.int64),
}
nodes = [
    helper.make_node("MatMul", ["x", "w"], ["h"]),
    helper.make_node("Add", ["h", "b"], ["y"]),
]
graph = helper.make_graph(
    nodes,
    "tiny",
    [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])],
    [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 3])],
    initializer=[numpy_helper.from_array(v, k) for k, v in init.items()],
)
onnx_model = helper.make_model(graph, producer_name="weighthouse-tests")
onnx.checker.check_model(onnx_model)
onnx.save(onnx_model, out / "model.onnx")
record("model.onnx", {k: v.shape for k, v in init.items()})

(out / "expected.json").write_text(json.dumps(expected, indent=1))
print(out)
