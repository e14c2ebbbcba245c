// Showing sample images: browsers decode JPEG/PNG/BMP themselves; fingerprint scanners
// often give uncompressed greyscale TIFF, which is read here (nothing else of TIFF is).

function tiffGrey(buf) {
  const v = new DataView(buf);
  const le = v.getUint16(0) === 0x4949;
  if (!le && v.getUint16(0) !== 0x4d4d) return null;
  const u16 = (o) => v.getUint16(o, le);
  const u32 = (o) => v.getUint32(o, le);
  if (u16(2) !== 42) return null;
  const ifd = u32(4);
  const n = u16(ifd);
  const tag = {};
  for (let i = 0; i < n; i++) {
    const e = ifd + 2 + i * 12;
    const type = u16(e + 2);
    const count = u32(e + 4);
    const size = type === 3 ? 2 : 4;
    const at = count * size > 4 ? u32(e + 8) : e + 8;
    const vals = [];
    for (let k = 0; k < Math.min(count, 4096); k++) vals.push(size === 2 ? u16(at + k * 2) : u32(at + k * 4));
    tag[u16(e)] = vals;
  }
  const w = tag[256]?.[0];
  const hgt = tag[257]?.[0];
  if (!w || !hgt || (tag[258] && tag[258][0] !== 8) || (tag[259] && tag[259][0] !== 1) || (tag[277] && tag[277][0] !== 1)) return null;
  const offs = tag[273] || [];
  const counts = tag[279] || [];
  const px = new Uint8Array(w * hgt);
  let p = 0;
  for (let s = 0; s < offs.length && p < px.length; s++) {
    const len = Math.min(counts[s] ?? px.length - p, px.length - p, buf.byteLength - offs[s]);
    px.set(new Uint8Array(buf, offs[s], len), p);
    p += len;
  }
  const invert = tag[262] && tag[262][0] === 0; // WhiteIsZero
  const rgba = new Uint8ClampedArray(w * hgt * 4);
  for (let i = 0; i < px.length; i++) {
    const g = invert ? 255 - px[i] : px[i];
    rgba[i * 4] = rgba[i * 4 + 1] = rgba[i * 4 + 2] = g;
    rgba[i * 4 + 3] = 255;
  }
  return new ImageData(rgba, w, hgt);
}

// Draws an image file (Blob) into canvas at its own size; false when it cannot be shown.
export async function drawImage(canvas, blob) {
  const buf = await blob.arrayBuffer();
  const grey = tiffGrey(buf);
  const ctx = canvas.getContext('2d');
  if (grey) {
    canvas.width = grey.width;
    canvas.height = grey.height;
    ctx.putImageData(grey, 0, 0);
    return true;
  }
  try {
    const bmp = await createImageBitmap(new Blob([buf]));
    canvas.width = bmp.width;
    canvas.height = bmp.height;
    ctx.drawImage(bmp, 0, 0);
    return true;
  } catch {
    return false;
  }
}

export function base64Blob(b64) {
  const s = atob(b64);
  const a = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) a[i] = s.charCodeAt(i);
  return new Blob([a]);
}

// Minutiae over a fingerprint: a ring at the point and a tick along the ridge direction
// (ISO angles turn counter-clockwise from the x axis; image y grows downwards).
export function drawMinutiae(canvas, points) {
  const ctx = canvas.getContext('2d');
  ctx.lineWidth = 2;
  for (const m of points || []) {
    const a = (m.angle * Math.PI) / 180;
    ctx.strokeStyle = m.type === 'bifurcation' ? '#0057b8' : '#c8102e';
    ctx.beginPath();
    ctx.arc(m.x, m.y, 4, 0, 2 * Math.PI);
    ctx.moveTo(m.x, m.y);
    ctx.lineTo(m.x + 12 * Math.cos(a), m.y - 12 * Math.sin(a));
    ctx.stroke();
  }
}
