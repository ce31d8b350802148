"""micro_runtime: the engine. C kernels (kernels/, include/), the code generator and the targets."""
