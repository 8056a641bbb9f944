/** SVG to PNG for `ppo-ts plot --out x.png`, with resvg and the DejaVu fonts shipped on npm. */
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { Resvg } from "@resvg/resvg-js";

const require = createRequire(import.meta.url);

export function svgToPng(svg: string): Uint8Array {
  const fontDir = join(dirname(require.resolve("dejavu-fonts-ttf/package.json")), "ttf");
  const resvg = new Resvg(svg, {
    background: "white",
    font: {
      fontFiles: [join(fontDir, "DejaVuSans.ttf"), join(fontDir, "DejaVuSans-Bold.ttf")],
      loadSystemFonts: false,
      defaultFontFamily: "DejaVu Sans",
    },
  });
  return resvg.render().asPng();
}
