"""Graph models may only run pure tensor ops: file, print and Python ops are refused before anything runs.

The hostile graphs are real TensorFlow graphs, built here and written as TF.js
graph models (GraphDef as JSON, constants in a weight shard), the way the
TF.js converter writes them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from explorer import Upscaler, list_models
from explorer.engine import store
from explorer.engine.formats.graph_ops import ALLOWED_OPS, check_graph_ops
from explorer.engine.formats.tfjs_graph import _parse_graph_def
from explorer.errors import UnsupportedLayerError
from tests.helpers import assert_equal_but_rounding, serve_folder

REPO = Path(__file__).resolve().parents[2]
IMAGE = np.random.default_rng(3).integers(0, 256, (12, 20, 3), dtype=np.uint8)


def _write_graph_model(folder: Path, build) -> Path:
    """Build a graph with ``build(x) -> y`` and save it as a TF.js graph model; Const nodes named ``w*`` become weights."""
    import tensorflow as tf
    from google.protobuf import json_format

    graph = tf.Graph()
    with graph.as_default():
        x = tf.compat.v1.placeholder(tf.float32, [None, None, None, 3], name="x")
        tf.identity(build(x), name="y")
    graph_def = graph.as_graph_def()
    manifest, shard = [], b""
    for node in graph_def.node:
        if node.op == "Const" and node.name.startswith("w"):
            value = tf.make_ndarray(node.attr["value"].tensor).astype("<f4")
            manifest.append({"name": node.name, "shape": list(value.shape), "dtype": "float32"})
            shard += value.tobytes()
            node.attr["value"].tensor.ClearField("tensor_content")  # as the converter writes it: values live in the shard
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "group1-shard1of1.bin").write_bytes(shard)
    model = {
        "format": "graph-model",
        "modelTopology": json_format.MessageToDict(graph_def),
        "signature": {"inputs": {"x": {"name": "x:0"}}, "outputs": {"y": {"name": "y:0"}}},
        "weightsManifest": [{"paths": ["group1-shard1of1.bin"], "weights": manifest}] if manifest else [],
    }
    (folder / "model.json").write_text(json.dumps(model))
    return folder / "model.json"


KERNEL = np.random.default_rng(5).normal(0, 0.1, (3, 3, 3, 12)).astype(np.float32)


def _benign(x):
    """A 2x upscaler: a 3x3 convolution to 12 channels, then depth-to-space."""
    import tensorflow as tf

    kernel = tf.constant(KERNEL, name="w_kernel")
    return tf.nn.depth_to_space(tf.nn.conv2d(x, kernel, 1, "SAME"), 2)


def test_a_benign_graph_model_runs_without_a_scale_and_gives_tensorflows_pixels(tmp_path):
    import tensorflow as tf

    upscaler = Upscaler(_write_graph_model(tmp_path / "benign", _benign))
    assert upscaler.scale == 2 and upscaler.model_file.format == "tfjs-graph"
    raw = tf.nn.depth_to_space(tf.nn.conv2d(IMAGE[None].astype(np.float32), KERNEL, 1, "SAME"), 2).numpy()[0]
    # The same ops in float32, eager here and traced in the Upscaler: kernels may sum in another order, so values
    # agree to a few units in the last place (~1e-5 at 100 levels); only values that close to a half level may
    # round the other way. 0.01 levels is far above that noise and far below any real error.
    assert_equal_but_rounding(upscaler.upscale(IMAGE), np.clip(raw, 0, 255), tolerance=0.01)


def _write_file_graph(target: Path):
    def build(x):
        import tensorflow as tf

        written = tf.raw_ops.WriteFile(filename=str(target), contents="written by a model")
        with tf.control_dependencies([written]):
            return tf.identity(x)

    return build


def _read_file_graph(x):
    import tensorflow as tf

    contents = tf.io.read_file("/etc/hostname")
    return x + tf.cast(tf.strings.length(contents), tf.float32) * 0


def test_a_graph_that_writes_a_file_is_refused_by_path_and_nothing_is_written(tmp_path):
    target = tmp_path / "pwned.txt"
    model = _write_graph_model(tmp_path / "writer", _write_file_graph(target))
    with pytest.raises(UnsupportedLayerError, match=r"op\(s\) WriteFile, which a model may not run"):
        Upscaler(model, scale=1)
    assert not target.exists()


def test_a_graph_that_reads_a_file_is_refused_by_url(tmp_path):
    folder = tmp_path / "reader"
    _write_graph_model(folder, _read_file_graph)
    with serve_folder(folder) as base:
        with pytest.raises(UnsupportedLayerError, match="ReadFile"):
            Upscaler(f"{base}/model.json")


def test_the_cli_refuses_a_file_writing_graph_by_url_with_one_error_line(tmp_path):
    target = tmp_path / "pwned.txt"
    folder = tmp_path / "writer"
    _write_graph_model(folder, _write_file_graph(target))
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    image = REPO / "explorer" / "examples" / "astronaut.png"
    with serve_folder(folder) as base:
        run = subprocess.run(
            [sys.executable, "-m", "explorer", "upscale", str(image), "-o", str(tmp_path / "o.png"),
             "--model", f"{base}/model.json", "--scale", "2", "-q"],
            capture_output=True, text=True, env=env, timeout=300,
        )  # fmt: skip
    assert run.returncode == 2, run.stderr
    errors = [line for line in run.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "WriteFile" in errors[0] and "Traceback" not in run.stderr
    assert not target.exists() and not (tmp_path / "o.png").exists()


@pytest.mark.parametrize("op", ["PrintV2", "PyFunc", "EagerPyFunc", "ReadFile", "MatchingFiles", "Save", "DecodeImage"])
def test_any_op_outside_the_allow_list_is_named(tmp_path, op):
    def build(x):
        return x * 2.0

    path = _write_graph_model(tmp_path / op, build)
    data = json.loads(path.read_text())
    data["modelTopology"]["node"].append({"name": "hidden", "op": op, "input": ["x"]})
    path.write_text(json.dumps(data))
    with pytest.raises(UnsupportedLayerError, match=rf"\b{op}\b"):
        Upscaler(path, scale=1)


def test_a_graph_with_a_function_library_is_refused(tmp_path):
    path = _write_graph_model(tmp_path / "lib", lambda x: x * 2.0)
    data = json.loads(path.read_text())
    data["modelTopology"]["library"] = {"function": [{"signature": {"name": "hidden_writer"}, "nodeDef": [{"name": "w", "op": "WriteFile"}]}]}
    path.write_text(json.dumps(data))
    with pytest.raises(UnsupportedLayerError, match="hidden_writer.*function library"):
        Upscaler(path, scale=1)


def test_the_allow_list_holds_every_op_of_the_registry_maxim_models():
    maxim = [spec for spec in list_models() if spec.family == "maxim"]
    assert len(maxim) == 7
    for spec in maxim:
        path = store.model_json_path(spec)
        topology = json.loads(path.read_text())["modelTopology"]
        counts = check_graph_ops(_parse_graph_def(topology, str(path)), str(path))
        assert set(counts) <= ALLOWED_OPS and counts["Einsum"] > 0
    assert not {"WriteFile", "ReadFile", "PrintV2", "PyFunc"} & ALLOWED_OPS
