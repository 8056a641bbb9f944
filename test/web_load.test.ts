/**
 * The web app loads in a real browser with no console error and no failed request, served with the
 * isolation headers (several kernel threads) and without them (one thread, and the page says so);
 * every control has a label, the keyboard reaches the controls, and the layout fits a laptop and a
 * phone's width.
 */
import { describe, expect, it } from "vitest";
import { type BrowserSession, pageStatus, screenshotForDocs, waitForState } from "./helpers/browser.js";
import { webFixture } from "./helpers/web_fixture.js";

const web = webFixture("ppo-ts-web-load-");

/** Controls without a label (by `for`, wrapping, aria-label or aria-labelledby). */
async function unlabelled(session: BrowserSession): Promise<string[]> {
  return session.page.evaluate(() =>
    Array.from(document.querySelectorAll("input, select, textarea, button"))
      .filter((control) => {
        const element = control as HTMLInputElement;
        if (element.type === "hidden") return false;
        const labelled =
          (element.labels?.length ?? 0) > 0 ||
          element.getAttribute("aria-label") ||
          element.getAttribute("aria-labelledby") ||
          (element.tagName === "BUTTON" && element.textContent?.trim());
        return !labelled;
      })
      .map((element) => element.id || element.outerHTML.slice(0, 80)),
  );
}

describe("the web app loads", () => {
  it("cross-origin isolated: no console error or failed request, kernels on several threads", async () => {
    const session = await web.open({ isolated: true });
    const { page } = session;
    await page.waitForSelector("#field-envId");
    expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
    expect(await page.textContent("#threads-note")).toMatch(/Cross-origin isolated/);
    expect((await pageStatus(page)).state).toBe("idle");
    // The form is the config's field table: CartPole-v1's preset, each field with its help text.
    expect(await page.inputValue("#field-totalTimesteps")).toBe("150000");
    expect(await page.inputValue("#field-policy-hiddenSizes")).toBe("32,32");
    expect(await page.textContent("#field-learningRate-help")).toBe("Adam's learning rate.");
    expect(await unlabelled(session)).toEqual([]);
    await page.waitForTimeout(300);
    expect(session.problems).toEqual([]);
  });

  it("not isolated: the same page trains on one thread, and it says so", async () => {
    const session = await web.open({ isolated: false });
    const { page } = session;
    await page.waitForSelector("#field-envId");
    expect(await page.evaluate(() => crossOriginIsolated)).toBe(false);
    expect(await page.textContent("#threads-note")).toMatch(/Not cross-origin isolated.*one thread/);
    expect(await page.isDisabled("#threads")).toBe(true);
    await page.fill("#field-totalTimesteps", "2048");
    await page.click("#start");
    expect((await waitForState(page, ["done"])).globalStep).toBe(2048);
    expect(await page.textContent("#threads-note")).toBe("Training on 1 thread (not cross-origin isolated).");
    expect(session.problems).toEqual([]);
  });

  it("works from the keyboard and fits a phone's width", async () => {
    const session = await web.open({ viewport: { width: 390, height: 844 } });
    const { page } = session;
    await page.waitForSelector("#field-envId");
    // Nothing wider than the screen.
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    // Tab from the env select reaches Start, and Enter starts training.
    await page.focus("#field-envId");
    let focused = "";
    for (let i = 0; i < 40 && focused !== "start"; i++) {
      await page.keyboard.press("Tab");
      focused = await page.evaluate(() => document.activeElement?.id ?? "");
    }
    expect(focused).toBe("start");
    await page.keyboard.press("Enter");
    await page.waitForFunction(
      () => Number(document.getElementById("ppo-status")?.dataset.globalStep) > 20_000,
    );
    await screenshotForDocs(page, "web_phone.png", { selector: "body", around: "#training", height: 780 });
    expect(session.problems).toEqual([]);
  });
});
