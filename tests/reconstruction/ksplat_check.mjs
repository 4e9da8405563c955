// Loads a .ksplat with the dashboard viewer's own parser (@mkkellogg/gaussian-splats-3d's KSplatLoader and
// SplatBuffer, as the browser does) and prints what the viewer would draw, as JSON on stdout:
// {splatCount, compressionLevel, shDegree, shRange, centers, scales, rotations (x, y, z, w), colors, sh}.
// Usage: node ksplat_check.mjs file.ksplat
import { readFileSync } from 'node:fs';

// The loader defers its work with window.setTimeout; node has the same function on globalThis.
globalThis.window = globalThis;
const { KSplatLoader } = await import('@mkkellogg/gaussian-splats-3d');

const bytes = readFileSync(process.argv[2]);
const data = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
const buffer = await KSplatLoader.loadFromFileData(data);
const count = buffer.getSplatCount();
const shDegree = buffer.getMinSphericalHarmonicsDegree();
const shCount = [0, 9, 24][shDegree];

const centers = new Float32Array(count * 3);
const scales = new Float32Array(count * 3);
const rotations = new Float32Array(count * 4);
const colors = new Uint8Array(count * 4);
const sh = new Float32Array(count * shCount);
if (count > 0) {
  buffer.fillSplatCenterArray(centers, undefined, 0, count - 1, 0);
  buffer.fillSplatScaleRotationArray(scales, rotations, undefined, 0, count - 1, 0, 0);
  buffer.fillSplatColorArray(colors, 0, 0, count - 1, 0);
  // Level 2 hands back its 8-bit SH as stored; the range to read them with is shRange.
  if (shCount) buffer.fillSphericalHarmonicsArray(sh, shDegree, undefined, 0, count - 1, 0, 0);
}

process.stdout.write(JSON.stringify({
  splatCount: count,
  compressionLevel: buffer.compressionLevel,
  shDegree,
  shRange: [buffer.minSphericalHarmonicsCoeff, buffer.maxSphericalHarmonicsCoeff],
  centers: Array.from(centers),
  scales: Array.from(scales),
  rotations: Array.from(rotations),
  colors: Array.from(colors),
  sh: Array.from(sh),
}));
