// Generates the add-in's PNG icons (16, 32, 80 px; plus 64/128 for the manifest's high-resolution
// entries) so no binary files live in git. A wax-seal style mark: a filled circle with a check.
import fs from 'node:fs';
import path from 'node:path';

/** Distance from point p to the segment a-b. */
function segDist(px, py, ax, ay, bx, by) {
  const dx = bx - ax, dy = by - ay;
  const t = Math.max(0, Math.min(1, ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy)));
  return Math.hypot(px - (ax + t * dx), py - (ay + t * dy));
}

/** RGBA pixels of the icon at `size` px, anti-aliased by 4x4 supersampling. */
function pixels(size) {
  const seal = [0x8e, 0x1b, 0x2f];
  const out = Buffer.alloc(size * size * 4);
  const stroke = 0.09;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      let cover = 0, white = 0;
      for (let sy = 0; sy < 4; sy++) {
        for (let sx = 0; sx < 4; sx++) {
          const u = (x + (sx + 0.5) / 4) / size, v = (y + (sy + 0.5) / 4) / size;
          if (Math.hypot(u - 0.5, v - 0.5) <= 0.47) {
            cover++;
            const d = Math.min(segDist(u, v, 0.28, 0.52, 0.44, 0.68), segDist(u, v, 0.44, 0.68, 0.73, 0.34));
            if (d <= stroke / 2) white++;
          }
        }
      }
      const i = (y * size + x) * 4;
      const w = cover ? white / cover : 0;
      for (let c = 0; c < 3; c++) out[i + c] = Math.round(seal[c] * (1 - w) + 255 * w);
      out[i + 3] = Math.round((cover / 16) * 255);
    }
  }
  return out;
}

/**
 * The icon at `size` px as a PNG file (encoded by pngjs, loaded when first needed: the build
 * scripts are imported before `npm ci` has installed the packages).
 */
export async function png(size) {
  const { PNG } = await import('pngjs');
  const image = new PNG({ width: size, height: size });
  pixels(size).copy(image.data);
  return PNG.sync.write(image, { colorType: 6, deflateLevel: 9 });
}

export const ICON_SIZES = [16, 32, 64, 80, 128];

/** Write icon-<size>.png files into `dir` unless they are already there. */
export async function writeIcons(dir) {
  fs.mkdirSync(dir, { recursive: true });
  for (const size of ICON_SIZES) {
    const file = path.join(dir, `icon-${size}.png`);
    if (!fs.existsSync(file)) fs.writeFileSync(file, await png(size));
  }
}
