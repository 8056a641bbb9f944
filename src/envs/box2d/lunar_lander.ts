/**
 * LunarLander: land a rocket on a pad, after Gymnasium's `LunarLander-v3` (Oleg Klimov's Box2D
 * environment), simulated with planck (a TypeScript port of Box2D).
 *
 * ## Description
 * A classic rocket trajectory optimisation problem. By Pontryagin's maximum principle it is optimal
 * to fire an engine at full throttle or not at all, hence the discrete version; the continuous one
 * sets the throttles. The landing pad is always at (0, 0) in observation coordinates. Landing outside
 * the pad is possible. Fuel is infinite.
 *
 * ## Dynamics
 * The world is 600x400 pixels at `SCALE` = 30 pixels per metre (20 m x 13.3 m), gravity `gravity`
 * m/s^2 along y, stepped at `FPS` = 50 with 180 velocity and 60 position iterations. The ground is a
 * chain of 10 edges over 11 random heights, flattened around the helipad between the two flags. The
 * lander is a hexagon (density 5) with two legs (density 1) on revolute joints whose weak motors
 * hold the legs extended against a limit and yield on touchdown, like springs. Lander and legs
 * collide only with the ground.
 * The main engine and the two side engines apply impulses at fixed offsets on the body, shifted by
 * a random dispersion each step, so their torque depends on the lander's orientation (as
 * Gymnasium's, including its side-engine height quirk). With `enableWind`, a non-periodic wind
 * `tanh(sin(0.02 t) + sin(0.01 pi t))` pushes (`windPower`) and twists (`turbulencePower`) the
 * lander while neither leg touches the ground.
 *
 * ## Action space
 * Discrete(4): 0 do nothing, 1 fire the left orientation engine, 2 fire the main engine, 3 fire the
 * right orientation engine.
 * Continuous, `Box(-1, 1, (2,))`, clipped to the box: `[main, lateral]`. The main engine is off for
 * `main <= 0` and throttles from 50% to 100% over (0, 1]. The side engines are off for
 * `|lateral| <= 0.5`; `lateral < -0.5` fires the left one, `> 0.5` the right one, throttling from
 * 50% to 100% as `|lateral|` goes from 0.5 to 1.
 *
 * ## Observation space
 * `Box(8,)` float32: x and y relative to the pad, normalised by half the viewport (|x| = 1 at the
 * screen edges); the velocity times half the viewport (metres) / FPS, that is vx / 5 and vy / 7.5
 * for vx, vy in m/s; the angle (radians); 20 / FPS times the angular velocity (0.4 rad/s units);
 * and 1/0 for each leg touching the ground (the first leg, as in Gymnasium, hangs on the +x side).
 * Gymnasium's inconsistent units are kept, so its observations and ours mean the same.
 * Bounds: +-2.5 for positions, +-10 for velocities, +-2 pi for the angle, 0..1 for the contacts.
 *
 * ## Rewards
 * Each step earns the change of a shaping potential
 * `-100 * |position| - 100 * |velocity| - 100 * |angle| + 10 * (each leg in contact)`
 * minus fuel: 0.3 per frame of main engine and 0.03 per frame of side engine (times the throttle).
 * Coming to rest replaces the step's reward with +100; crashing or leaving the screen with -100.
 * A solution scores at least 200.
 *
 * ## Starting state
 * The lander starts at the top centre of the viewport, pushed by a random force on its centre of mass.
 *
 * ## Episode end
 * Terminated when the lander's body touches the ground (crash), when |x| >= 1 (off screen), or when
 * the body is not awake: Box2D has put it to sleep because it came to rest. `make` truncates at 1000
 * steps.
 *
 * Not bit-exact with Box2D 2.3 (planck's solver differs in floating-point detail), but every rule
 * above follows Gymnasium's, and the terrain and initial push use the same NumPy draws for a seed.
 * Rendering leaves out Gymnasium's exhaust particles (decoration that does not touch the lander).
 *
 * `getState()` gives null: a planck world's contacts, sleep timers and solver caches cannot be
 * saved and put back, so a resumed training run restarts LunarLander's episodes.
 */
import {
  type Body,
  Box as BoxShape,
  type Contact,
  Edge,
  Polygon,
  RevoluteJoint,
  type Vec2Value,
  World,
} from "planck";
import { checkOptions, warnOnce } from "../../util/options.js";
import type { RgbFrame } from "../../util/rgb_frame.js";
import { Env, type EnvOptions, type ResetOptions, type ResetResult, type StepResult } from "../core/env.js";
import { Box, Discrete, describeValue, type Space } from "../core/spaces.js";
import { BLACK, Canvas, type Color, WHITE } from "../rendering/canvas.js";

export const FPS = 50;
/** Pixels per metre; it sets how fast-paced the game is (forces are tuned to it). */
export const SCALE = 30.0;

export const MAIN_ENGINE_POWER = 13.0;
export const SIDE_ENGINE_POWER = 0.6;

/** Bound of each component of the random initial force, in newtons. */
export const INITIAL_RANDOM = 1000.0;

/** The lander's hexagon, in pixels around its centre. */
export const LANDER_POLY: readonly (readonly [number, number])[] = [
  [-14, 17],
  [-17, 0],
  [-17, -10],
  [17, -10],
  [17, 0],
  [14, 17],
];
export const LEG_AWAY = 20;
export const LEG_DOWN = 18;
export const LEG_W = 2;
export const LEG_H = 8;
export const LEG_SPRING_TORQUE = 40;

export const SIDE_ENGINE_HEIGHT = 14;
/** Gymnasium places the side thrust this far along the body axis, not SIDE_ENGINE_HEIGHT (its quirk). */
export const SIDE_ENGINE_AXIS_OFFSET = 17;
export const SIDE_ENGINE_AWAY = 12;
/** How far below the centre (pixels) the main engine pushes. */
export const MAIN_ENGINE_Y_LOCATION = 4;

export const VIEWPORT_W = 600;
export const VIEWPORT_H = 400;

/** Terrain heights sampled across the viewport; the 5 middle ones are flattened into the pad. */
export const TERRAIN_CHUNKS = 11;

/** Box2D iteration counts Gymnasium steps with (high, for stiff legs). */
const VELOCITY_ITERATIONS = 6 * 30;
const POSITION_ITERATIONS = 2 * 30;

/** Fuel cost per frame at full throttle. */
export const MAIN_ENGINE_FUEL_COST = 0.3;
export const SIDE_ENGINE_FUEL_COST = 0.03;

/** The terminal rewards that replace the step's shaping reward. */
export const CRASH_REWARD = -100;
export const REST_REWARD = 100;

// Collision categories: lander and legs collide with the ground only, not with each other.
const GROUND_CATEGORY = 0x0001;
const LANDER_CATEGORY = 0x0010;
const LEG_CATEGORY = 0x0020;

const LANDER_DENSITY = 5.0;
const LEG_DENSITY = 1.0;
const LANDER_FRICTION = 0.1;
const GROUND_FRICTION = 0.1;

/** Legs' joint limits (radians), for the first leg; the second leg's are mirrored. */
const LEG_LIMIT_OUTER = 0.9;
const LEG_LIMIT_RANGE = 0.5;
/** Motor speed pushing each leg outwards: low enough not to jump back into the sky. */
const LEG_MOTOR_SPEED = 0.3;
/** Initial tilt of each leg (radians). */
const LEG_INITIAL_ANGLE = 0.05;

/** Wind: `tanh(sin(WIND_K2 * t) + sin(pi * WIND_K * t))`, which never repeats. */
const WIND_K = 0.01;
const WIND_K2 = 0.02;
const WIND_INDEX_RANGE = 9999;

const W = VIEWPORT_W / SCALE;
const H = VIEWPORT_H / SCALE;

// Rendering: the sky is black above the terrain, the ground white below it.
const LANDER_FILL: Color = [128, 102, 230];
const LANDER_OUTLINE: Color = [77, 77, 128];
const FLAG_COLOR: Color = [204, 204, 0];
/** Flag pole height, flag length and flag height, in pixels. */
const FLAG_POLE = 50;
const FLAG_LENGTH = 25;
const FLAG_HEIGHT = 10;
const LEG_POLY: readonly (readonly [number, number])[] = [
  [-LEG_W, -LEG_H],
  [LEG_W, -LEG_H],
  [LEG_W, LEG_H],
  [-LEG_W, LEG_H],
];

const OBS_HIGH = [2.5, 2.5, 10, 10, 2 * Math.PI, 10, 1, 1];
const OBS_LOW = [-2.5, -2.5, -10, -10, -2 * Math.PI, -10, 0, 0];

export interface LunarLanderOptions extends EnvOptions {
  /** Box(2) throttles instead of Discrete(4). */
  continuous?: boolean;
  /** Gravity along y in m/s^2, in (-12, 0). */
  gravity?: number;
  enableWind?: boolean;
  /** Largest wind force (recommended 0..20). */
  windPower?: number;
  /** Largest wind torque (recommended 0..2). */
  turbulencePower?: number;
}

const OPTION_NAMES = ["continuous", "gravity", "enableWind", "windPower", "turbulencePower"];

export type LunarLanderAction = number | ArrayLike<number>;

function clip(value: number, low: number, high: number): number {
  return Math.min(Math.max(value, low), high);
}

export class LunarLander extends Env<Float32Array, LunarLanderAction> {
  observationSpace: Box;
  actionSpace: Space<number> | Box;

  readonly continuous: boolean;
  readonly gravity: number;
  readonly enableWind: boolean;
  readonly windPower: number;
  readonly turbulencePower: number;

  // The simulation, rebuilt at every reset (a fresh world, as Gymnasium v3).
  world: World | undefined;
  moon: Body | undefined;
  lander: Body | undefined;
  legs: Body[] = [];
  /** Whether each leg touches the ground, kept by the contact listener. */
  legGroundContact: [boolean, boolean] = [false, false];
  /** Set when the lander's body touches the ground. */
  gameOver = false;
  /** The shaping potential after the last step; undefined before the first. */
  prevShaping: number | undefined;
  helipadX1 = 0;
  helipadX2 = 0;
  helipadY = 0;
  /** The terrain edges, as x0, y0, x1, y1 per chunk (metres), for rendering. */
  terrain = new Float64Array(4 * (TERRAIN_CHUNKS - 1));
  windIndex = 0;
  torqueIndex = 0;

  // Scratch vectors for the impulses, so a step allocates nothing of its own.
  private readonly impulse: Vec2Value = { x: 0, y: 0 };
  private readonly impulsePoint: Vec2Value = { x: 0, y: 0 };

  constructor(options: LunarLanderOptions = {}) {
    super();
    checkOptions("LunarLander", options, OPTION_NAMES);
    const {
      renderMode,
      continuous = false,
      gravity = -10.0,
      enableWind = false,
      windPower = 15.0,
      turbulencePower = 1.5,
    } = options;
    if (!(gravity > -12 && gravity < 0)) {
      throw new RangeError(`LunarLander: gravity must be between -12 and 0 (exclusive), got ${gravity}`);
    }
    if (!(windPower >= 0 && windPower <= 20)) {
      warnOnce(`LunarLander: windPower is recommended to be between 0 and 20, got ${windPower}`);
    }
    if (!(turbulencePower >= 0 && turbulencePower <= 2)) {
      warnOnce(`LunarLander: turbulencePower is recommended to be between 0 and 2, got ${turbulencePower}`);
    }
    this.continuous = continuous;
    this.gravity = gravity;
    this.enableWind = enableWind;
    this.windPower = windPower;
    this.turbulencePower = turbulencePower;
    this.renderMode = renderMode;
    this.metadata = { renderModes: ["rgb_array"], renderFps: FPS };
    this.observationSpace = new Box(OBS_LOW, OBS_HIGH);
    // Continuous: [main, lateral] throttles; discrete: noop, left, main, right.
    this.actionSpace = continuous ? new Box<Float32Array>(-1, 1, [2]) : new Discrete(4);
  }

  override reset(opts: ResetOptions = {}): ResetResult<Float32Array> {
    super.reset(opts);
    const rng = this.npRandom;

    const world = new World({ gravity: { x: 0, y: this.gravity } });
    world.on("begin-contact", (contact) => this.beginContact(contact));
    world.on("end-contact", (contact) => this.endContact(contact));
    this.world = world;
    this.gameOver = false;
    this.prevShaping = undefined;
    this.legGroundContact = [false, false];

    // Terrain: random heights, flat around the pad, smoothed by a 3-point average (which wraps
    // around at the left edge, as Python's height[-1] does).
    const height = rng.uniformArray(0, H / 2, TERRAIN_CHUNKS + 1);
    const chunkX = Array.from({ length: TERRAIN_CHUNKS }, (_, i) => (W / (TERRAIN_CHUNKS - 1)) * i);
    const middle = Math.floor(TERRAIN_CHUNKS / 2);
    this.helipadX1 = chunkX[middle - 1];
    this.helipadX2 = chunkX[middle + 1];
    this.helipadY = H / 4;
    for (let i = middle - 2; i <= middle + 2; i++) height[i] = this.helipadY;
    const smoothY = chunkX.map(
      (_, i) => 0.33 * (height[(i - 1 + height.length) % height.length] + height[i] + height[i + 1]),
    );

    const moon = world.createBody();
    // A floor edge under everything (Gymnasium's with the default fixture), then the surface.
    moon.createFixture(new Edge({ x: 0, y: 0 }, { x: W, y: 0 }));
    for (let i = 0; i < TERRAIN_CHUNKS - 1; i++) {
      const x0 = chunkX[i];
      const y0 = smoothY[i];
      const x1 = chunkX[i + 1];
      const y1 = smoothY[i + 1];
      moon.createFixture(new Edge({ x: x0, y: y0 }, { x: x1, y: y1 }), {
        density: 0,
        friction: GROUND_FRICTION,
      });
      this.terrain.set([x0, y0, x1, y1], 4 * i);
    }
    this.moon = moon;

    // The lander, pushed by a random force for its first step.
    const initialX = W / 2;
    const initialY = H;
    const lander = world.createDynamicBody({ position: { x: initialX, y: initialY }, angle: 0 });
    lander.createFixture(new Polygon(LANDER_POLY.map(([x, y]) => ({ x: x / SCALE, y: y / SCALE }))), {
      density: LANDER_DENSITY,
      friction: LANDER_FRICTION,
      restitution: 0,
      filterCategoryBits: LANDER_CATEGORY,
      filterMaskBits: GROUND_CATEGORY,
    });
    lander.applyForceToCenter(
      {
        x: rng.uniform(-INITIAL_RANDOM, INITIAL_RANDOM),
        y: rng.uniform(-INITIAL_RANDOM, INITIAL_RANDOM),
      },
      true,
    );
    this.lander = lander;

    if (this.enableWind) {
      this.windIndex = rng.integers(-WIND_INDEX_RANGE, WIND_INDEX_RANGE);
      this.torqueIndex = rng.integers(-WIND_INDEX_RANGE, WIND_INDEX_RANGE);
    }

    // Legs in Gymnasium's order: side = -1 is the first leg, which hangs on the +x side, +1 the
    // second, on the -x side.
    this.legs = [];
    for (const side of [-1, 1]) {
      const leg = world.createDynamicBody({
        position: { x: initialX - (side * LEG_AWAY) / SCALE, y: initialY },
        angle: side * LEG_INITIAL_ANGLE,
      });
      leg.createFixture(new BoxShape(LEG_W / SCALE, LEG_H / SCALE), {
        density: LEG_DENSITY,
        restitution: 0,
        filterCategoryBits: LEG_CATEGORY,
        filterMaskBits: GROUND_CATEGORY,
      });
      // The joint angle starts at the leg's tilt (reference angle 0, as Box2D's default def), so the
      // limits swing the legs out at once; planck would otherwise take the initial tilt as zero.
      const lowerAngle = side < 0 ? LEG_LIMIT_OUTER - LEG_LIMIT_RANGE : -LEG_LIMIT_OUTER;
      world.createJoint(
        new RevoluteJoint({
          bodyA: lander,
          bodyB: leg,
          localAnchorA: { x: 0, y: 0 },
          localAnchorB: { x: (side * LEG_AWAY) / SCALE, y: LEG_DOWN / SCALE },
          referenceAngle: 0,
          enableMotor: true,
          enableLimit: true,
          maxMotorTorque: LEG_SPRING_TORQUE,
          motorSpeed: LEG_MOTOR_SPEED * side,
          lowerAngle,
          upperAngle: lowerAngle + LEG_LIMIT_RANGE,
        }),
      );
      this.legs.push(leg);
    }

    const [obs] = this.step(this.continuous ? [0, 0] : 0);
    return [obs, {}];
  }

  private beginContact(contact: Contact): void {
    const bodyA = contact.getFixtureA().getBody();
    const bodyB = contact.getFixtureB().getBody();
    if (bodyA === this.lander || bodyB === this.lander) this.gameOver = true;
    for (let i = 0; i < 2; i++) {
      if (bodyA === this.legs[i] || bodyB === this.legs[i]) this.legGroundContact[i] = true;
    }
  }

  private endContact(contact: Contact): void {
    const bodyA = contact.getFixtureA().getBody();
    const bodyB = contact.getFixtureB().getBody();
    for (let i = 0; i < 2; i++) {
      if (bodyA === this.legs[i] || bodyB === this.legs[i]) this.legGroundContact[i] = false;
    }
  }

  step(action: LunarLanderAction): StepResult<Float32Array> {
    const { world, lander } = this;
    if (world === undefined || lander === undefined) {
      throw new Error(`${this.displayName}: step() called before reset(). Call env.reset() first.`);
    }

    if (this.enableWind && !(this.legGroundContact[0] || this.legGroundContact[1])) {
      const windMagnitude =
        Math.tanh(Math.sin(WIND_K2 * this.windIndex) + Math.sin(Math.PI * WIND_K * this.windIndex)) *
        this.windPower;
      this.windIndex++;
      this.impulse.x = windMagnitude;
      this.impulse.y = 0;
      lander.applyForceToCenter(this.impulse, true);
      const torqueMagnitude =
        Math.tanh(Math.sin(WIND_K2 * this.torqueIndex) + Math.sin(Math.PI * WIND_K * this.torqueIndex)) *
        this.turbulencePower;
      this.torqueIndex++;
      lander.applyTorque(torqueMagnitude, true);
    }

    // Decode the action into engine throttles: 0 means off.
    let mainPower = 0;
    let sidePower = 0;
    let sideDirection = 0;
    if (this.continuous) {
      if (typeof action === "number" || action.length !== 2) {
        throw new RangeError(
          `${this.displayName}: continuous action ${describeValue(action)} must be two numbers [main, lateral]`,
        );
      }
      const main = clip(action[0], -1, 1);
      const lateral = clip(action[1], -1, 1);
      if (main > 0) mainPower = (clip(main, 0, 1) + 1) * 0.5; // 0.5..1
      if (Math.abs(lateral) > 0.5) {
        sideDirection = Math.sign(lateral);
        sidePower = clip(Math.abs(lateral), 0.5, 1);
      }
    } else {
      if (typeof action !== "number" || !Number.isInteger(action) || action < 0 || action > 3) {
        throw new RangeError(
          `${this.displayName}: action ${describeValue(action)} is not in the action space Discrete(4)`,
        );
      }
      if (action === 2) mainPower = 1;
      if (action === 1 || action === 3) {
        sideDirection = action - 2; // 1 is the left engine (-1), 3 the right one (+1)
        sidePower = 1;
      }
    }

    // The body's axis (tip) and its perpendicular (side), and this step's nozzle dispersion.
    const angle = lander.getAngle();
    const tipX = Math.sin(angle);
    const tipY = Math.cos(angle);
    const sideX = -tipY;
    const sideY = tipX;
    const rng = this.npRandom;
    const dispersion0 = rng.uniform(-1, 1) / SCALE;
    const dispersion1 = rng.uniform(-1, 1) / SCALE;
    const position = lander.getPosition();

    if (mainPower > 0) {
      // Thrust from a little below the centre, shifted by the dispersion.
      const along = MAIN_ENGINE_Y_LOCATION / SCALE + 2 * dispersion0;
      const ox = tipX * along + sideX * dispersion1;
      const oy = -tipY * along - sideY * dispersion1;
      this.impulsePoint.x = position.x + ox;
      this.impulsePoint.y = position.y + oy;
      this.impulse.x = -ox * MAIN_ENGINE_POWER * mainPower;
      this.impulse.y = -oy * MAIN_ENGINE_POWER * mainPower;
      lander.applyLinearImpulse(this.impulse, this.impulsePoint, true);
    }

    if (sidePower > 0) {
      const across = 3 * dispersion1 + (sideDirection * SIDE_ENGINE_AWAY) / SCALE;
      const ox = tipX * dispersion0 + sideX * across;
      const oy = -tipY * dispersion0 - sideY * across;
      this.impulsePoint.x = position.x + ox - (tipX * SIDE_ENGINE_AXIS_OFFSET) / SCALE;
      this.impulsePoint.y = position.y + oy + (tipY * SIDE_ENGINE_HEIGHT) / SCALE;
      this.impulse.x = -ox * SIDE_ENGINE_POWER * sidePower;
      this.impulse.y = -oy * SIDE_ENGINE_POWER * sidePower;
      lander.applyLinearImpulse(this.impulse, this.impulsePoint, true);
    }

    world.step(1.0 / FPS, VELOCITY_ITERATIONS, POSITION_ITERATIONS);

    const pos = lander.getPosition();
    const vel = lander.getLinearVelocity();
    const x = (pos.x - W / 2) / (W / 2);
    const y = (pos.y - (this.helipadY + LEG_DOWN / SCALE)) / (H / 2);
    const vx = (vel.x * (W / 2)) / FPS;
    const vy = (vel.y * (H / 2)) / FPS;
    const bodyAngle = lander.getAngle();
    const angularVelocity = (20.0 * lander.getAngularVelocity()) / FPS;
    const leftContact = this.legGroundContact[0] ? 1 : 0;
    const rightContact = this.legGroundContact[1] ? 1 : 0;
    const obs = Float32Array.of(x, y, vx, vy, bodyAngle, angularVelocity, leftContact, rightContact);

    // Ten points per leg in contact, so losing contact after landing costs them back.
    const shaping =
      -100 * Math.sqrt(x * x + y * y) -
      100 * Math.sqrt(vx * vx + vy * vy) -
      100 * Math.abs(bodyAngle) +
      10 * leftContact +
      10 * rightContact;
    let reward = this.prevShaping === undefined ? 0 : shaping - this.prevShaping;
    this.prevShaping = shaping;
    reward -= mainPower * MAIN_ENGINE_FUEL_COST;
    reward -= sidePower * SIDE_ENGINE_FUEL_COST;

    let terminated = false;
    if (this.gameOver || Math.abs(x) >= 1.0) {
      terminated = true;
      reward = CRASH_REWARD;
    }
    if (!lander.isAwake()) {
      terminated = true;
      reward = REST_REWARD;
    }
    return [obs, reward, terminated, false, {}];
  }

  /** A 600x400 frame: sky, terrain, lander, legs and the helipad's flags (renderMode "rgb_array"). */
  override render(): RgbFrame | undefined {
    if (!this.canRenderRgb() || this.lander === undefined) return undefined;
    const canvas = new Canvas(VIEWPORT_W, VIEWPORT_H, { yUp: true, background: WHITE });
    // The sky as one polygon (terrain line, then the top corners), so no seams show between chunks.
    const sky: number[] = [];
    for (let i = 0; i < TERRAIN_CHUNKS - 1; i++) sky.push(this.terrain[4 * i], this.terrain[4 * i + 1]);
    sky.push(
      this.terrain[4 * (TERRAIN_CHUNKS - 2) + 2],
      this.terrain[4 * (TERRAIN_CHUNKS - 2) + 3],
      W,
      H,
      0,
      H,
    );
    canvas.fillPolygon(
      sky.map((v) => v * SCALE),
      BLACK,
    );
    this.drawBody(canvas, this.lander, LANDER_POLY);
    for (const leg of this.legs) this.drawBody(canvas, leg, LEG_POLY);
    for (const x of [this.helipadX1 * SCALE, this.helipadX2 * SCALE]) {
      const poleBottom = this.helipadY * SCALE;
      const poleTop = poleBottom + FLAG_POLE;
      canvas.line(x, poleBottom, x, poleTop, WHITE);
      canvas.fillPolygon(
        [x, poleTop, x, poleTop - FLAG_HEIGHT, x + FLAG_LENGTH, poleTop - FLAG_HEIGHT / 2],
        FLAG_COLOR,
      );
    }
    return canvas.frame();
  }

  /** Fills and outlines a body's polygon, given in pixels around the body's origin. */
  private drawBody(canvas: Canvas, body: Body, polygon: readonly (readonly [number, number])[]): void {
    const { x, y } = body.getPosition();
    const cos = Math.cos(body.getAngle());
    const sin = Math.sin(body.getAngle());
    const points = polygon.flatMap(([px, py]) => [
      (x + (px * cos - py * sin) / SCALE) * SCALE,
      (y + (px * sin + py * cos) / SCALE) * SCALE,
    ]);
    canvas.fillPolygon(points, LANDER_FILL);
    canvas.polyline(points, LANDER_OUTLINE, 1, true);
  }

  override close(): void {
    this.world = undefined;
    this.moon = undefined;
    this.lander = undefined;
    this.legs = [];
  }
}
