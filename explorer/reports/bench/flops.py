"""Count a loaded model's convolution FLOPs from its real Keras layers.

Each ``Conv2D`` layer costs ``2 · k_h · k_w · C_in · C_out · H_out · W_out``
floating-point operations (a multiply and an add per weight per output pixel;
``C_in`` per group), at the resolution the layer runs at for a given input.
The resolutions come from Keras's own shape inference on a symbolic input of
that size: nothing is computed, and nothing is assumed about the architecture.
Bias additions, activations, additions, concatenations and pixel shuffles are
not counted (they are a small fraction of the convolutions' work).
"""

from __future__ import annotations

from typing import Any

from explorer.engine._tf import import_tensorflow

__all__ = ["conv_flops"]


def conv_flops(keras_model: Any, height: int, width: int) -> int:
    """Convolution FLOPs of one forward pass on a ``height``×``width`` RGB input.

    Parameters
    ----------
    keras_model : keras.Model
        A functional Keras model with one image input (channels last).
    height, width : int
        Input size in pixels.

    Returns
    -------
    int
        The sum over every ``Conv2D`` layer of ``2·k_h·k_w·C_in·C_out·H·W``;
        0 for a model without convolutions.
    """
    import_tensorflow()
    import keras

    convs = [layer for layer in keras_model.layers if isinstance(layer, keras.layers.Conv2D)]
    if not convs:
        return 0
    channels = keras_model.inputs[0].shape[-1]
    probe = keras.Model(keras_model.inputs, [layer.output for layer in convs])
    outputs = probe(keras.Input(shape=(height, width, channels), batch_size=1))
    total = 0
    for layer, output in zip(convs, outputs):
        k_h, k_w, c_in, c_out = layer.kernel.shape
        total += 2 * k_h * k_w * c_in * c_out * output.shape[1] * output.shape[2]
    return int(total)
