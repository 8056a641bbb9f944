export * from "./async_vector_env.js";
export * from "./batch_space.js";
export * from "./make_vec.js";
export * from "./sync_vector_env.js";
export * from "./vector_env.js";
