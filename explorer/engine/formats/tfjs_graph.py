"""Load a TF.js graph model (``format: graph-model``) as a TensorFlow callable.

A graph model's ``modelTopology`` is a TensorFlow ``GraphDef`` written as
JSON; its ``Const`` nodes are empty and take their values from the weights
manifest (by node name, many of them int32). We parse the GraphDef (ignoring
fields newer than our protobuf), fill the constants, clear the device pins the
converter left (``/device:CPU:0``), and import it into one function whose
input, ``[N, H, W, 3]`` with every size unknown, is mapped onto the signature's
input (``input_map``): pruning the imported graph instead took about three
times as long for MAXIM (52 s against 12 s on a busy 2-core machine) and 1.5 GB
more, and a shape-free function is optimised by TensorFlow once, not per size.
Before any of that, every op is checked against an allow-list of pure tensor
ops (:mod:`explorer.engine.formats.graph_ops`): a graph that could read or
write files is refused without being imported.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Mapping

import numpy as np

from explorer.engine._tf import import_tensorflow
from explorer.engine.formats.graph_ops import check_graph_ops
from explorer.engine.formats.tfjs_weights import read_weights
from explorer.errors import ModelFormatError

__all__ = ["BF16_OPS", "GraphModel", "load_graph_model"]

BF16_OPS = {"Conv2D": None, "Conv2DBackpropInput": (1, 2)}
"""The ops a graph runs in bf16, and which of their inputs are float (None: all). Einsums stay float32: on
maxim-deraining (a 64² photo crop, bf16 emulated) convolutions alone in bf16 gave 49.9 dB and at most 4 levels from
exact, and with the einsums too 41.6 dB and 11 levels."""


class GraphModel:
    """A TensorFlow function imported from a TF.js graph model.

    Attributes
    ----------
    parameters : int
        Number of float weights (int32 shape constants are not counted).
    op_counts : mapping
        How many nodes of each op type the graph has.
    """

    def __init__(self, function: Callable, parameters: int, op_counts: Mapping[str, int]):
        self._function = function
        self.parameters = parameters
        self.op_counts = dict(op_counts)

    def __call__(self, batch):
        """Run an ``[N, H, W, 3]`` float32 batch (a tensor or an array: the imported function takes only tensors)."""
        tf = import_tensorflow()
        return self._function(tf.convert_to_tensor(batch, tf.float32))


def _signature_tensor(data: Mapping[str, Any], key: str, source: str) -> str:
    entries = (data.get("signature") or {}).get(key) or {}
    if len(entries) != 1:
        raise ModelFormatError(f"{source}: a graph model must have exactly one {key[:-1]} in its signature, found {len(entries)}.")
    return next(iter(entries.values()))["name"]


def _parse_graph_def(topology: Mapping[str, Any], source: str):
    tf = import_tensorflow()
    from google.protobuf import json_format

    try:
        return json_format.ParseDict(topology, tf.compat.v1.GraphDef(), ignore_unknown_fields=True)
    except (json_format.ParseError, RecursionError, TypeError, AttributeError) as exc:
        raise ModelFormatError(f"{source}: the graph topology is not a valid GraphDef ({exc}).") from exc


def _fill_constants(graph_def, weights: Mapping[str, np.ndarray], source: str) -> None:
    tf = import_tensorflow()
    used = set()
    for node in graph_def.node:
        node.device = ""
        if node.op == "Const" and node.name in weights:
            node.attr["value"].tensor.CopyFrom(tf.make_tensor_proto(weights[node.name]))
            used.add(node.name)
    unused = sorted(weights.keys() - used)
    if unused:
        raise ModelFormatError(
            f"{source}: {len(unused)} weight(s) match no Const node of the graph ({', '.join(unused[:3])}); "
            "the weights do not belong to this topology."
        )


def load_graph_model(path: Path, data: Mapping[str, Any], *, bf16: bool = False) -> GraphModel:
    """Build a callable from a TF.js graph model.

    Parameters
    ----------
    path : pathlib.Path
        The model.json (its shards sit beside it).
    data : mapping
        The parsed model.json.
    bf16 : bool
        Run the convolutions (:data:`BF16_OPS`) in bf16: their float inputs
        are cast to bf16 and their outputs back to float32, so every other op
        (einsums, normalisations, activations, additions) stays float32.

    Raises
    ------
    ModelFormatError
        Malformed topology or signature, missing/short shards, weights that
        match no constant, or ops TensorFlow does not know.
    UnsupportedLayerError
        An op outside the allow-list (named), or a function library.
    """
    tf = import_tensorflow()
    source = str(path)
    input_name = _signature_tensor(data, "inputs", source)
    output_name = _signature_tensor(data, "outputs", source)
    graph_def = _parse_graph_def(data["modelTopology"], source)
    op_counts = check_graph_ops(graph_def, source)
    weights = read_weights(data.get("weightsManifest", []), path.parent, source)
    _fill_constants(graph_def, weights, source)
    if bf16:
        _convolutions_in_bf16(graph_def)

    def import_graph(batch):
        return tf.compat.v1.import_graph_def(graph_def, input_map={input_name: batch}, return_elements=[output_name], name="")[0]

    try:
        function = tf.compat.v1.wrap_function(import_graph, [tf.TensorSpec([None, None, None, 3], tf.float32)])
    except (ValueError, KeyError, TypeError, tf.errors.OpError) as exc:
        raise ModelFormatError(f"{source}: TensorFlow cannot import this graph ({exc}).") from exc
    parameters = sum(int(w.size) for w in weights.values() if w.dtype.kind == "f")
    return GraphModel(function, parameters, op_counts)


def _convolutions_in_bf16(graph_def) -> None:
    """Rewrite ``graph_def`` in place: each float :data:`BF16_OPS` node computes in bf16 between two casts.

    The node keeps its consumers: a cast back to float32 takes its name.
    """
    tf = import_tensorflow()
    float32, bfloat16 = tf.float32.as_datatype_enum, tf.bfloat16.as_datatype_enum
    for node in list(graph_def.node):
        if node.op not in BF16_OPS or node.attr["T"].type != float32:
            continue
        floats = BF16_OPS[node.op] or range(len(node.input))
        for index in floats:
            cast = _cast(graph_def, f"{node.name}/bf16_input_{index}", node.input[index], float32, bfloat16)
            node.input[index] = cast.name
        name, node.name = node.name, f"{node.name}/bf16"
        node.attr["T"].type = bfloat16
        _cast(graph_def, name, node.name, bfloat16, float32)


def _cast(graph_def, name: str, source: str, from_type: int, to_type: int):
    cast = graph_def.node.add()
    cast.name, cast.op = name, "Cast"
    cast.input.append(source)
    cast.attr["SrcT"].type, cast.attr["DstT"].type = from_type, to_type
    cast.attr["Truncate"].b = False
    return cast
