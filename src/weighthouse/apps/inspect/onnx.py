"""ONNX: a ``ModelProto`` protobuf message (onnx/onnx.proto). The model's weights are the
graph's initializers, ``TensorProto`` messages with dims, a data type and a name; their data
(raw or typed, in the file or external) is skipped, never read."""

from __future__ import annotations

from weighthouse.apps.contract import AppFailed
from weighthouse.apps.inspect import protowire
from weighthouse.apps.inspect.protowire import LEN, VARINT, Field
from weighthouse.apps.inspect.report import MAX_DIMS, MAX_TENSORS, FileReport, TensorInfo
from weighthouse.apps.weight_files import BoundedReader

# Field numbers from onnx.proto.
MODEL_IR_VERSION, MODEL_PRODUCER, MODEL_GRAPH = 1, 2, 7
GRAPH_NAME, GRAPH_INITIALIZER, GRAPH_NODE = 2, 5, 1
TENSOR_DIMS, TENSOR_DATA_TYPE, TENSOR_NAME, TENSOR_DATA_LOCATION = 1, 2, 8, 14

DATA_TYPES = {
    1: "float32", 2: "uint8", 3: "int8", 4: "uint16", 5: "int16", 6: "int32", 7: "int64",
    8: "string", 9: "bool", 10: "float16", 11: "float64", 12: "uint32", 13: "uint64",
    14: "complex64", 15: "complex128", 16: "bfloat16", 17: "float8e4m3fn",
    18: "float8e4m3fnuz", 19: "float8e5m2", 20: "float8e5m2fnuz", 21: "uint4", 22: "int4",
    23: "float4e2m1",
}  # fmt: skip


def read(reader: BoundedReader) -> FileReport:
    report = FileReport("onnx")
    graph: Field | None = None
    for field in protowire.fields(reader, reader.size):
        if field.number == MODEL_IR_VERSION and field.wire_type == VARINT:
            report.metadata["ir_version"] = field.value
        elif field.number == MODEL_PRODUCER and field.wire_type == LEN:
            report.metadata["producer_name"] = protowire.text(reader, field)
        elif field.number == MODEL_GRAPH and field.wire_type == LEN:
            graph = field
    if "ir_version" not in report.metadata or graph is None:
        raise AppFailed("not an ONNX model: no IR version or no graph")
    nodes = 0
    reader.seek(graph.start)
    for field in protowire.fields(reader, graph.start + graph.value):
        if field.number == GRAPH_INITIALIZER and field.wire_type == LEN:
            if len(report.tensors) >= MAX_TENSORS:
                raise AppFailed(f"ONNX graph has more than {MAX_TENSORS} initializers")
            report.tensors.append(_initializer(reader, field))
        elif field.number == GRAPH_NODE and field.wire_type == LEN:
            nodes += 1
        elif field.number == GRAPH_NAME and field.wire_type == LEN:
            report.metadata["graph_name"] = protowire.text(reader, field)
    report.metadata["node_count"] = nodes
    return report


def _initializer(reader: BoundedReader, tensor: Field) -> TensorInfo:
    dims: list[int] = []
    data_type, name = 0, ""
    reader.seek(tensor.start)
    for field in protowire.fields(reader, tensor.start + tensor.value):
        if field.number == TENSOR_DIMS and field.wire_type == VARINT:
            dims.append(field.value)
        elif field.number == TENSOR_DIMS and field.wire_type == LEN:
            dims.extend(protowire.packed_varints(reader, field))
        elif field.number == TENSOR_DATA_TYPE and field.wire_type == VARINT:
            data_type = field.value
        elif field.number == TENSOR_NAME and field.wire_type == LEN:
            name = protowire.text(reader, field)
        if len(dims) > MAX_DIMS:
            raise AppFailed(f"ONNX initializer {name!r} has more than {MAX_DIMS} dimensions")
    # int64 dims are varints of two's complement: a negative one is over 2**63.
    if any(d >= 2**63 for d in dims):
        raise AppFailed(f"ONNX initializer {name!r} has a negative dimension")
    return TensorInfo(name, DATA_TYPES.get(data_type, f"onnx_type_{data_type}"), tuple(dims))
