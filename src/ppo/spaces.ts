/** What PPO needs to know about an env's spaces, and whether it can serve them. */
import { Box, Discrete, type Space } from "../envs/core/spaces.js";
import type { ActionSpaceInfo, ObservationSpaceInfo } from "./config.js";
import type { PolicySpec } from "./policy.js";

export function describeObservationSpace(space: Space): ObservationSpaceInfo {
  const description = String(space);
  if (space instanceof Box && space.dtype === "uint8" && space.shape.length === 3) {
    return { kind: "image", description, shape: space.shape };
  }
  if (space instanceof Box && space.dtype === "float32")
    return { kind: "box", description, shape: space.shape };
  return { kind: "other", description, shape: space.shape };
}

export function describeActionSpace(space: Space): ActionSpaceInfo {
  const description = String(space);
  if (space instanceof Discrete) {
    return { kind: space.start === 0 ? "discrete" : "other", description, size: space.n };
  }
  if (space instanceof Box && space.dtype === "float32") {
    return { kind: "box", description, size: space.size, bounded: space.isBounded() };
  }
  return { kind: "other", description, size: space.size };
}

/** The policy's view of the spaces (call after `validateConfig` has accepted them). */
export function policySpecFor(observation: Space, action: Space): PolicySpec {
  const continuous = action instanceof Box;
  return {
    obsShape: [...observation.shape],
    actionSize: action instanceof Discrete ? action.n : action.size,
    continuous,
  };
}
