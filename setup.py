"""mcunet-tf: MCUNet (TinyNAS + TinyEngine) for TensorFlow / Keras and TF Lite Micro."""
from setuptools import find_packages, setup

setup(
    name="mcunet-tf",
    version="0.1.0",
    description="TinyNAS as a Keras Tuner oracle and a TinyEngine-style code generator for int8 TFLite models",
    license="MIT",
    packages=find_packages(include=["mcunet_tf*", "tflite_patch*", "micro_runtime*"]),
    package_data={"micro_runtime": ["include/*.h", "kernels/*.c", "kernels/*.h", "cortexm/*"]},
    python_requires=">=3.10,<3.13",
    install_requires=[
        "tensorflow>=2.21,<2.22",
        "tf_keras>=2.21,<2.22",
        "keras>=3.10",  # Keras 3 models are read and rebuilt in tf_keras (mcunet_tf/keras3.py)
        "tensorboard>=2.21,<2.22",  # the TensorBoard callback TinyNAS.search takes
        "tensorflow-model-optimization>=0.8,<0.9",
        "keras-tuner>=1.4,<1.5",
        # the reference every output byte is compared with: a new wheel is a new definition, taken on purpose
        "tflite-micro==0.dev20261023182759",
        "flatbuffers>=24.3",
        "absl-py>=1.0",
        "numpy>=1.26",
        "matplotlib>=3.7",
        "scikit-learn>=1.3",
        "scipy>=1.10",
    ],
    # mcunet_tf.cli.COMMANDS: one console script per command (`python -m mcunet_tf <command>` runs the same)
    entry_points={"console_scripts": [
        "mcunet=mcunet_tf.cli.pipeline:main",
        *(f"mcunet-{c}=mcunet_tf.cli.{c}:main" for c in ("stage1", "search", "baseline", "export", "codegen",
                                                          "plan", "bench")),
    ]},
    extras_require={"test": ["pytest>=8", "pytest-xdist>=3.5", "hypothesis>=6.100", "atheris>=2.3"]},
)
