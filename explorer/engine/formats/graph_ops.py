"""The ops a TF.js graph model may contain: pure tensor maths, nothing that touches files, network or Python.

A GraphDef can name any op TensorFlow has, including ``WriteFile``,
``ReadFile``, ``PrintV2``, ``PyFunc`` or dataset and queue ops, and importing
and running it would do what those ops do. So a graph model is checked against
an allow-list before anything is imported or run: the ops the registry's seven
MAXIM packages use, plus the common convolution, arithmetic and shape ops of
image models. Function libraries (where ops could hide behind a call) are
refused outright.
"""

from __future__ import annotations

import collections
from typing import Any

from explorer.errors import UnsupportedLayerError

__all__ = ["ALLOWED_OPS", "check_graph_ops"]

_MAXIM_OPS = frozenset(
    """
    Abs AddV2 BroadcastTo Cast ConcatV2 Const Conv2D Conv2DBackpropInput Einsum Exp ExpandDims Floor FloorDiv
    FloorMod GatherV2 Greater GreaterEqual Identity Less LessEqual LogicalAnd Maximum Minimum Mul Neg NotEqual
    Pack Placeholder Range RealDiv Reciprocal Reshape Rsqrt SelectV2 Shape Sign Square Squeeze StridedSlice Sub
    Sum Tanh Transpose
    """.split()
)

_COMMON_OPS = frozenset(
    """
    Add AddN BiasAdd Div DivNoNan Pow SquaredDifference Sqrt Log Log1p Expm1 Ceil Round Erf ClipByValue
    Relu Relu6 LeakyRelu Elu Selu Sigmoid Softplus Softsign Softmax
    DepthwiseConv2dNative _FusedConv2D MatMul _FusedMatMul BatchMatMul BatchMatMulV2 BatchMatMulV3
    FusedBatchNorm FusedBatchNormV3 MaxPool AvgPool Mean Max Min Prod
    Concat Unpack Split SplitV Slice Tile Pad PadV2 MirrorPad DepthToSpace SpaceToDepth
    ResizeBilinear ResizeNearestNeighbor ShapeN Size Rank ZerosLike OnesLike Gather Select
    Equal LogicalOr LogicalNot IdentityN StopGradient NoOp PlaceholderWithDefault
    """.split()
)

ALLOWED_OPS: frozenset[str] = _MAXIM_OPS | _COMMON_OPS
"""Op types a graph model may use (pure tensor computations)."""


def check_graph_ops(graph_def: Any, source: str) -> dict[str, int]:
    """Refuse a GraphDef with any op outside :data:`ALLOWED_OPS`, before it is imported.

    Parameters
    ----------
    graph_def : tensorflow.compat.v1.GraphDef
        The parsed topology.
    source : str
        Name of the model in error messages.

    Returns
    -------
    dict
        How many nodes of each op type the graph has.

    Raises
    ------
    UnsupportedLayerError
        Naming the first refused ops, or saying that the graph defines functions.
    """
    if len(graph_def.library.function) or len(graph_def.library.gradient):
        names = ", ".join(f.signature.name for f in graph_def.library.function)[:200]
        raise UnsupportedLayerError(
            f"{source}: the graph defines functions ({names or 'gradients'}); graph models with a function "
            "library are not supported, because their ops could not be checked."
        )
    counts = collections.Counter(node.op for node in graph_def.node)
    refused = sorted(op for op in counts if op not in ALLOWED_OPS)
    if refused:
        shown = ", ".join(refused[:8]) + (f" and {len(refused) - 8} more" if len(refused) > 8 else "")
        raise UnsupportedLayerError(
            f"{source}: the graph uses op(s) {shown}, which a model may not run: only pure tensor ops are allowed "
            "(a model must not read or write files, print, reach the network or run Python). "
            "Convert the model without them."
        )
    return dict(counts)
