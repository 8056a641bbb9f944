/**
 * The form refuses what `ppo-ts train` refuses, next to the field and with why, and does not start;
 * an Atari game without its ROM, or with another file, says which file and md5 it needs.
 */
import { describe, expect, it } from "vitest";
import { BREAKOUT } from "../src/envs/atari/games/breakout.js";
import { md5Hex } from "../src/envs/atari/md5.js";
import { pageStatus, screenshotForDocs } from "./helpers/browser.js";
import { webFixture } from "./helpers/web_fixture.js";

const web = webFixture("ppo-ts-web-form-");

describe("the form", () => {
  it("shows a bad value's error next to its field and does not start", async () => {
    const session = await web.open({ query: "?env=CartPole-v1" });
    const { page } = session;
    await page.click("summary:text('PPO')");
    await page.fill("#field-learningRate", "-0.001");
    await page.press("#field-learningRate", "Tab");
    expect(await page.textContent("#field-learningRate-error")).toBe(
      "learningRate must be a finite number > 0, got -0.001",
    );
    expect(await page.getAttribute("#field-learningRate", "aria-invalid")).toBe("true");
    await page.fill("#field-numEnvs", "two");
    await page.click("#start");
    expect(await page.textContent("#field-numEnvs-error")).toBe('numEnvs must be an integer, got "two"');
    expect((await pageStatus(page)).state).toBe("idle");
    await screenshotForDocs(page, "web_form_error.png", {
      selector: "#setup",
      around: "#field-learningRate",
      height: 470,
    });

    // A rule across fields (validateConfig's) lands on its field too.
    await page.fill("#field-learningRate", "0.001");
    await page.fill("#field-numEnvs", "8");
    await page.fill("#field-numMinibatches", "3");
    await page.click("#start");
    expect(await page.textContent("#field-numMinibatches-error")).toMatch(
      /numMinibatches the batch \(numEnvs \* numSteps = 8 \* 32 = 256\) is not divisible by numMinibatches = 3/,
    );
    expect(await page.evaluate(() => document.activeElement?.id)).toBe("field-numMinibatches");
    expect((await pageStatus(page)).state).toBe("idle");
    expect(session.problems).toEqual([]);
  });

  it("refuses a bad value given in the address instead of starting", async () => {
    const session = await web.open({ query: "?env=CartPole-v1&gamma=2&autostart=1" });
    const { page } = session;
    await page.waitForSelector("#field-gamma-error:not([hidden])");
    expect(await page.textContent("#field-gamma-error")).toBe("gamma must be a number in [0, 1], got 2");
    expect((await pageStatus(page)).state).toBe("idle");
  });

  it("reads a yes/no field from the address as the CLI reads its flag", async () => {
    const refused = await web.open({ query: "?env=CartPole-v1&normAdv=1&autostart=1" });
    await refused.page.waitForSelector("#field-normAdv-error:not([hidden])");
    expect(await refused.page.textContent("#field-normAdv-error")).toMatch(/must be true or false, got "1"$/);
    expect((await pageStatus(refused.page)).state).toBe("idle");

    const accepted = await web.open({ query: "?env=CartPole-v1&norm-adv=false" });
    expect(await accepted.page.isChecked("#field-normAdv")).toBe(false);
    expect(await accepted.page.isHidden("#field-normAdv-error")).toBe(true);
  });

  it("says which ROM file and md5 an Atari game needs, missing or wrong", async () => {
    const session = await web.open({ query: "?env=BreakoutNoFrameskip-v4" });
    const { page } = session;
    await page.waitForSelector("#rom-field:not([hidden])");
    expect(await page.textContent("#rom-help")).toContain(`breakout.bin (md5 ${BREAKOUT.md5})`);
    // The form holds ppo_atari.py's preset although the env cannot be made without its ROM.
    expect(await page.inputValue("#field-policy-kind")).toBe("nature-cnn");
    await page.click("#start");
    expect(await page.textContent("#rom-error")).toBe(
      `Atari ROM needed: breakout.bin (md5 ${BREAKOUT.md5}). Choose the file; it stays in this browser.`,
    );
    expect((await pageStatus(page)).state).toBe("idle");

    const wrong = new Uint8Array(4096).fill(7);
    await page.setInputFiles("#rom-file", {
      name: "breakout.bin",
      mimeType: "application/octet-stream",
      buffer: Buffer.from(wrong),
    });
    await page.waitForFunction(() => document.getElementById("rom-error")?.textContent?.includes("has md5"));
    expect(await page.textContent("#rom-error")).toBe(
      `breakout.bin: The ROM given for breakout has md5 ${md5Hex(wrong)}, but ALE's breakout rules need md5 ${BREAKOUT.md5} (breakout.bin)`,
    );
    await page.click("#start");
    expect((await pageStatus(page)).state).toBe("idle");
    expect(session.problems).toEqual([]);
  });
});
