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

__all__ = ["GraphModel", "load_graph_model"]


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


def load_graph_model(path: Path, data: Mapping[str, Any]) -> GraphModel:
    """Build a callable from a TF.js graph model.

    Parameters
    ----------
    path : pathlib.Path
        The model.json (its shards sit beside it).
    data : mapping
        The parsed model.json.

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

    def import_graph(batch):
        return tf.compat.v1.import_graph_def(graph_def, input_map={input_name: batch}, return_elements=[output_name], name="")[0]

    try:
        function = tf.compat.v1.wrap_function(import_graph, [tf.TensorSpec([None, None, None, 3], tf.float32)])
    except (ValueError, KeyError, TypeError, tf.errors.OpError) as exc:
        raise ModelFormatError(f"{source}: TensorFlow cannot import this graph ({exc}).") from exc
    parameters = sum(int(w.size) for w in weights.values() if w.dtype.kind == "f")
    return GraphModel(function, parameters, op_counts)
