"""Keras 3 as the fixture generators need it; import this module before anything imports keras or jax.

Backend JAX on the CPU with 64-bit floats enabled (``JAX_ENABLE_X64`` must be set before jax is imported),
and Keras's default float type set to float64, so the recorded steps are Keras's arithmetic in the engine's
precision. Exposes ``keras`` and ``jax`` already configured.
"""
import os

os.environ["KERAS_BACKEND"] = "jax"
os.environ["JAX_ENABLE_X64"] = "1"
os.environ.setdefault("JAX_PLATFORMS", "cpu")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import jax  # noqa: E402,F401
import keras  # noqa: E402

keras.config.set_floatx("float64")
