/* mr_model_config.h - which kernel specialisations a build compiles. This default keeps them all (the tests, and
 * any model); the code generator writes its own copy next to a model's sources with only what that model uses,
 * so that Flash holds no code it never runs. A wrong copy costs speed, never correctness: a missing
 * specialisation falls back to the general code. */
#ifndef MR_MODEL_CONFIG_H_
#define MR_MODEL_CONFIG_H_

/* Depthwise convolutions with a 5 or a 7 in their window (depthwise_fast.c: the ring and block instances). */
#ifndef MR_DW_KERNEL_5
#define MR_DW_KERNEL_5 1
#endif
#ifndef MR_DW_KERNEL_7
#define MR_DW_KERNEL_7 1
#endif

#endif /* MR_MODEL_CONFIG_H_ */
