"""Build a Keras 3 model from a TF.js layers-model (``model.json`` + shards).

Keras 3 cannot deserialize these topologies as saved (``Functional`` and
``Model`` class names from Keras 2, custom layers, ``Sequential`` files without
``model_config``), so we walk the layer list ourselves and build each layer
from an explicit table of supported types. Anything else (and anything that
would run code, like ``Lambda``) is refused with an error naming it.

Weights are matched to layers by name (the manifest is alphabetical, not in
layer order); every weight must be used and every shape must match.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Callable, Mapping

import numpy as np

from explorer.engine._tf import import_tensorflow
from explorer.engine.formats.tfjs_weights import read_weights
from explorer.errors import ModelFormatError, UnsupportedLayerError

__all__ = ["SUPPORTED_LAYERS", "load_layers_model", "read_model_json"]

_CODE_RUNNING_LAYERS = {"Lambda", "TFOpLambda", "SlicingOpLambda", "Functional", "Model", "Sequential"}

_ACTIVATIONS: Mapping[str, str] = {
    "linear": "linear",
    "relu": "relu",
    "relu6": "relu6",
    "sigmoid": "sigmoid",
    "hardSigmoid": "hard_sigmoid",
    "hard_sigmoid": "hard_sigmoid",
    "tanh": "tanh",
    "elu": "elu",
    "selu": "selu",
    "softplus": "softplus",
    "softsign": "softsign",
    "swish": "swish",
    "gelu": "gelu",
}


def _keras():
    import_tensorflow()  # deferred and quiet: importing TensorFlow takes seconds
    import keras

    return keras


def _custom_layer_classes():
    """The two custom layers of the RRDN models, defined on first use."""
    keras = _keras()
    import tensorflow as tf

    class MultiplyBeta(keras.layers.Layer):
        """Scales its input by ``beta`` (0.2 in the ESRGAN residual blocks)."""

        def __init__(self, beta: float = 0.2, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.beta = float(beta)

        def call(self, inputs):
            return inputs * self.beta

    class PixelShuffle(keras.layers.Layer):
        """Depth-to-space by ``scale`` (sub-pixel convolution output)."""

        def __init__(self, scale: int, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.scale = int(scale)

        def call(self, inputs):
            return tf.nn.depth_to_space(inputs, self.scale, data_format="NHWC")

    return MultiplyBeta, PixelShuffle


def _activation(name: Any, layer: str) -> str:
    if not isinstance(name, str) or name not in _ACTIVATIONS:
        raise UnsupportedLayerError(
            f"Layer {layer!r} uses activation {name!r}, which is not supported "
            f"(supported: {', '.join(sorted(set(_ACTIVATIONS)))})."
        )
    return _ACTIVATIONS[name]


def _pair(value: Any) -> tuple[int, int]:
    if isinstance(value, (list, tuple)):
        return (int(value[0]), int(value[1]))
    return (int(value), int(value))


def _channels_last(cfg: Mapping[str, Any], layer: str) -> None:
    if cfg.get("data_format", "channels_last") != "channels_last":
        raise UnsupportedLayerError(f"Layer {layer!r} uses data_format={cfg['data_format']!r}; only channels_last is supported.")


def _conv2d(cfg: Mapping[str, Any], name: str):
    _channels_last(cfg, name)
    use_bias = bool(cfg.get("use_bias", True))
    layer = _keras().layers.Conv2D(
        filters=int(cfg["filters"]),
        kernel_size=_pair(cfg["kernel_size"]),
        strides=_pair(cfg.get("strides", 1)),
        padding=cfg.get("padding", "valid"),
        dilation_rate=_pair(cfg.get("dilation_rate", 1)),
        groups=int(cfg.get("groups", 1)),
        activation=_activation(cfg.get("activation", "linear"), name),
        use_bias=use_bias,
        name=name,
    )
    return layer, ("kernel", "bias") if use_bias else ("kernel",)


def _upsampling2d(cfg: Mapping[str, Any], name: str):
    _channels_last(cfg, name)
    interpolation = cfg.get("interpolation", "nearest")
    if interpolation != "nearest":
        raise UnsupportedLayerError(
            f"Layer {name!r} is UpSampling2D with interpolation={interpolation!r}; only 'nearest' is supported "
            "(TF.js and Keras disagree on bilinear sampling, so results would not match UpscalerJS)."
        )
    return _keras().layers.UpSampling2D(size=_pair(cfg.get("size", 2)), name=name), ()


def _activation_layer(cfg: Mapping[str, Any], name: str):
    return _keras().layers.Activation(_activation(cfg.get("activation", "linear"), name), name=name), ()


def _concatenate(cfg: Mapping[str, Any], name: str):
    axis = int(cfg.get("axis", -1))
    return _keras().layers.Concatenate(axis=-1 if axis == 3 else axis, name=name), ()


def _add(cfg: Mapping[str, Any], name: str):
    return _keras().layers.Add(name=name), ()


def _multiply_beta(cfg: Mapping[str, Any], name: str):
    multiply_beta, _ = _custom_layer_classes()
    return multiply_beta(beta=cfg.get("beta", 0.2), name=name), ()


def _pixel_shuffle(cfg: Mapping[str, Any], name: str, class_name: str):
    _, pixel_shuffle = _custom_layer_classes()
    scale = cfg.get("scale") or int(re.fullmatch(r"PixelShuffle(\d+)x", class_name).group(1))  # type: ignore[union-attr]
    return pixel_shuffle(scale=int(scale), name=name), ()


_BUILDERS: Mapping[str, Callable[[Mapping[str, Any], str], tuple[Any, tuple[str, ...]]]] = {
    "Conv2D": _conv2d,
    "UpSampling2D": _upsampling2d,
    "Activation": _activation_layer,
    "Concatenate": _concatenate,
    "Add": _add,
    "MultiplyBeta": _multiply_beta,
}

SUPPORTED_LAYERS: tuple[str, ...] = ("InputLayer", *_BUILDERS, "PixelShuffle{N}x")
"""Layer class names this loader builds."""


def _builder(class_name: str, name: str):
    if class_name in _BUILDERS:
        return _BUILDERS[class_name]
    if re.fullmatch(r"PixelShuffle\d+x", class_name):
        return lambda cfg, layer_name: _pixel_shuffle(cfg, layer_name, class_name)
    why = " (it runs arbitrary code, which a model file must not do)" if class_name in _CODE_RUNNING_LAYERS else ""
    raise UnsupportedLayerError(
        f"Layer {name!r} has type {class_name!r}, which is not supported{why}. "
        f"Supported layer types: {', '.join(SUPPORTED_LAYERS)}."
    )


def read_model_json(path: Path) -> dict[str, Any]:
    """Read and sanity-check a TF.js ``model.json``.

    Raises
    ------
    ModelFormatError
        If the file is missing, not JSON, or lacks ``modelTopology``.
    """
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ModelFormatError(f"No model file at {path}.") from exc
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelFormatError(
            f"{path} is not valid JSON ({exc}). A TF.js model.json is expected: check the file or fetch it again."
        ) from exc
    except RecursionError as exc:
        raise ModelFormatError(f"{path} is nested too deeply to be a TF.js model.json.") from exc
    if not isinstance(data, dict) or "modelTopology" not in data:
        raise ModelFormatError(f"{path} has no 'modelTopology': it is not a TF.js model.json.")
    return data


def _model_config(topology: Mapping[str, Any], source: str) -> tuple[str, Any]:
    config = topology.get("model_config", topology)
    if not isinstance(config, Mapping) or "class_name" not in config:
        raise ModelFormatError(f"{source}: the topology has no model class; is this a layers model?")
    return config["class_name"], config.get("config")


def _layer_list(class_name: str, config: Any, source: str) -> list[Mapping[str, Any]]:
    layers = config if isinstance(config, list) else (config or {}).get("layers")
    if not isinstance(layers, list) or not layers:
        raise ModelFormatError(f"{source}: the {class_name} topology has no layer list.")
    for layer in layers:
        if not isinstance(layer, Mapping) or "class_name" not in layer:
            raise ModelFormatError(f"{source}: malformed layer entry {str(layer)[:120]}.")
    return layers


def _input_shape(layer_config: Mapping[str, Any], source: str) -> tuple[Any, ...]:
    shape = layer_config.get("batch_input_shape") or layer_config.get("batch_shape")
    if not isinstance(shape, list) or len(shape) != 4 or shape[3] not in (3, None):
        raise ModelFormatError(f"{source}: the model input must be a batch of RGB images (N, H, W, 3), got {str(shape)[:80]}.")
    if not all(d is None or (isinstance(d, int) and d > 0) for d in shape[1:3]):
        raise ModelFormatError(f"{source}: the model input has an invalid size {shape!r}.")
    return tuple(shape[1:])


def _layer_name(layer: Mapping[str, Any]) -> str:
    config = layer.get("config")
    name = layer.get("name") or (config.get("name") if isinstance(config, Mapping) else None)
    if not isinstance(name, str) or not name:
        raise ModelFormatError(f"A layer of type {str(layer.get('class_name'))[:40]!r} has no name.")
    return name


def _check_declared_weights(keras_layer, weight_names: tuple[str, ...], inputs, weights, source: str) -> None:
    """Compare a Conv2D's declared shapes with its weights before Keras allocates them.

    A topology can declare any number of filters (``filters: 2e9`` would
    allocate gigabytes); the weights are bounded by the shard sizes, so the
    declared kernel and bias must match weights that exist.
    """
    if not weight_names:
        return
    config = keras_layer.get_config()
    channels = inputs.shape[-1]
    if channels is None:
        raise ModelFormatError(f"{source}: layer {keras_layer.name!r} gets inputs with an unknown number of channels.")
    kernel = (*config["kernel_size"], channels // config["groups"], config["filters"])
    for weight_name, needed in zip(weight_names, (kernel, (config["filters"],))):
        key = _find_weight(weights, keras_layer.name, weight_name)
        if key is None:
            raise ModelFormatError(
                f"{source}: no weight '{keras_layer.name}/{weight_name}' in the manifest; the weights do not match the topology."
            )
        if tuple(weights[key].shape) != tuple(needed):
            raise ModelFormatError(
                f"{source}: layer {keras_layer.name!r} declares a {weight_name} of shape {tuple(needed)} but the "
                f"weights hold {tuple(weights[key].shape)}; the topology and the weights do not belong together."
            )


def _add_layer(layer: Mapping[str, Any], inputs, weights: Mapping[str, np.ndarray], source: str):
    """Build one layer from its config, check it against its weights, and apply it to Keras tensors.

    Returns
    -------
    tuple
        The output tensor and ``(keras layer, weight names)``.
    """
    name = _layer_name(layer)
    config = layer.get("config", {})
    try:
        if not isinstance(config, Mapping):
            raise TypeError("its config is not an object")
        keras_layer, weight_names = _builder(layer["class_name"], name)(config, name)
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise ModelFormatError(f"{source}: layer {name!r} has an invalid configuration ({exc}).") from exc
    first = inputs[0] if isinstance(inputs, list) else inputs
    _check_declared_weights(keras_layer, weight_names, first, weights, source)
    try:
        output = keras_layer(inputs)
    except (ValueError, TypeError) as exc:
        raise ModelFormatError(f"{source}: layer {keras_layer.name!r} cannot be built from the topology ({exc}).") from exc
    return output, (keras_layer, weight_names)


def _build_sequential(layers: list[Mapping[str, Any]], weights: Mapping[str, np.ndarray], source: str):
    keras = _keras()
    first = layers[0]
    if first["class_name"] == "InputLayer":
        shape, layers = _input_shape(first["config"], source), layers[1:]
    else:
        shape = _input_shape(first["config"], source)
    inputs = keras.Input(shape=shape, name="input")
    tensor, built = inputs, []
    for layer in layers:
        tensor, layer_and_weights = _add_layer(layer, tensor, weights, source)
        built.append(layer_and_weights)
    return keras.Model(inputs, tensor), built


def _inbound_names(layer: Mapping[str, Any], source: str) -> list[str]:
    nodes = layer.get("inbound_nodes") or []
    if len(nodes) != 1:
        raise ModelFormatError(f"{source}: layer {_layer_name(layer)!r} is called {len(nodes)} times; shared layers are not supported.")
    try:
        return [str(ref[0]) for ref in nodes[0]]
    except (TypeError, IndexError, KeyError) as exc:
        raise ModelFormatError(f"{source}: unreadable inbound nodes of layer {_layer_name(layer)!r}.") from exc


def _build_functional(config: Mapping[str, Any], layers: list[Mapping[str, Any]], weights: Mapping[str, np.ndarray], source: str):
    keras = _keras()
    inputs_spec, outputs_spec = config.get("input_layers") or [], config.get("output_layers") or []
    if len(inputs_spec) != 1 or len(outputs_spec) != 1:
        raise ModelFormatError(f"{source}: an upscaling model must have exactly one input and one output.")
    tensors: dict[str, Any] = {}
    built = []
    pending = list(layers)
    while pending:
        progressed = False
        for layer in list(pending):
            name = _layer_name(layer)
            if layer["class_name"] == "InputLayer":
                tensors[name] = keras.Input(shape=_input_shape(layer["config"], source), name=name)
            else:
                sources = _inbound_names(layer, source)
                if not all(s in tensors for s in sources):
                    continue
                args = [tensors[s] for s in sources]
                tensors[name], layer_and_weights = _add_layer(layer, args if len(args) > 1 else args[0], weights, source)
                built.append(layer_and_weights)
            pending.remove(layer)
            progressed = True
        if not progressed:
            missing = sorted({s for layer in pending for s in _inbound_names(layer, source)} - tensors.keys())
            raise ModelFormatError(f"{source}: layers refer to unknown inputs {missing[:5]}; the topology is broken.")
    model = keras.Model(tensors[inputs_spec[0][0]], tensors[outputs_spec[0][0]])
    return model, built


def _find_weight(weights: Mapping[str, np.ndarray], layer: str, weight: str) -> str | None:
    exact = f"{layer}/{weight}"
    if exact in weights:
        return exact
    suffixed = [name for name in weights if name.endswith(f"/{exact}")]
    return suffixed[0] if len(suffixed) == 1 else None


def _assign_weights(built, weights: Mapping[str, np.ndarray], source: str) -> None:
    used: set[str] = set()
    for keras_layer, weight_names in built:
        values = []
        for weight_name, variable in zip(weight_names, keras_layer.weights, strict=True):
            key = _find_weight(weights, keras_layer.name, weight_name)
            if key is None:
                raise ModelFormatError(
                    f"{source}: no weight '{keras_layer.name}/{weight_name}' in the manifest; the weights do not match the topology."
                )
            if tuple(weights[key].shape) != tuple(variable.shape):
                raise ModelFormatError(
                    f"{source}: weight {key!r} has shape {tuple(weights[key].shape)} but layer "
                    f"{keras_layer.name!r} needs {tuple(variable.shape)}."
                )
            values.append(weights[key])
            used.add(key)
        if values:
            keras_layer.set_weights(values)
    unused = sorted(weights.keys() - used)
    if unused:
        raise ModelFormatError(
            f"{source}: {len(unused)} weight(s) in the manifest are used by no layer ({', '.join(unused[:5])}); "
            "the weights do not belong to this topology."
        )


def load_layers_model(path: Path, data: Mapping[str, Any] | None = None):
    """Load a TF.js layers model as a Keras 3 model.

    Parameters
    ----------
    path : pathlib.Path
        The model.json file; its weight shards sit beside it.
    data : mapping, optional
        The parsed model.json, if already read.

    Returns
    -------
    keras.Model
        Built, with every weight assigned.

    Raises
    ------
    ModelFormatError
        Malformed files, missing or short shards, weights that do not match.
    UnsupportedLayerError
        A layer type outside :data:`SUPPORTED_LAYERS` (named in the message).
    """
    data = read_model_json(path) if data is None else data
    source = str(path)
    class_name, config = _model_config(data["modelTopology"], source)
    layers = _layer_list(class_name, config, source)
    for layer in layers:  # refuse unknown types before building anything
        if layer["class_name"] != "InputLayer":
            _builder(layer["class_name"], _layer_name(layer))
    weights = read_weights(data.get("weightsManifest", []), path.parent, source)
    if class_name == "Sequential":
        model, built = _build_sequential(layers, weights, source)
    elif class_name in ("Functional", "Model"):
        model, built = _build_functional(config, layers, weights, source)
    else:
        raise UnsupportedLayerError(f"{source}: model class {class_name!r} is not supported (Sequential, Functional, Model).")
    _assign_weights(built, weights, source)
    return model
