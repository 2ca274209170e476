/**
 * The loupe's geometry, free of the DOM. A view is a scale (1 = one image pixel per CSS pixel) and
 * the offset of the image's centre from the viewport's centre; `fit` follows the window's size.
 */
export interface Size {
  width: number;
  height: number;
}

export interface Point {
  x: number;
  y: number;
}

export interface View {
  fit: boolean;
  scale: number;
  x: number;
  y: number;
}

export const MIN_SCALE = 0.05;
export const MAX_SCALE = 8;
/** The + and − keys walk these, so 100 % is always one of the stops. */
export const STEPS = [0.1, 0.25, 0.5, 0.75, 1, 1.5, 2, 3, 4, 6, 8];

export const FIT: View = { fit: true, scale: 1, x: 0, y: 0 };

const known = (s: Size | null): s is Size => !!s && s.width > 0 && s.height > 0;

/** The scale that shows the whole image in the viewport; 1 while either size is unknown (nothing laid out yet). */
export function fitScale(image: Size | null, viewport: Size | null): number {
  if (!known(image) || !known(viewport)) return 1;
  return Math.min(viewport.width / image.width, viewport.height / image.height);
}

export function clampScale(scale: number): number {
  return Math.min(MAX_SCALE, Math.max(MIN_SCALE, scale));
}

/** The scale actually shown. */
export function scaleOf(view: View, image: Size | null, viewport: Size | null): number {
  return view.fit ? fitScale(image, viewport) : view.scale;
}

/** Keeps the image over the viewport: a side smaller than the viewport stays centred, a larger one cannot leave a gap. */
export function clampPan(view: View, image: Size | null, viewport: Size | null): View {
  if (view.fit || !known(image) || !known(viewport)) return { ...view, x: 0, y: 0 };
  const clamp = (offset: number, img: number, port: number) => {
    const limit = (img * view.scale - port) / 2;
    return limit <= 0 ? 0 : Math.min(limit, Math.max(-limit, offset));
  };
  return { ...view, x: clamp(view.x, image.width, viewport.width), y: clamp(view.y, image.height, viewport.height) };
}

/**
 * Zooms to `scale`, keeping the image point under `at` (relative to the viewport's centre) where it
 * is, the way a loupe zooms towards the cursor. Without `at` it zooms about the centre.
 */
export function zoomTo(view: View, scale: number, image: Size | null, viewport: Size | null, at: Point = { x: 0, y: 0 }): View {
  const from = scaleOf(view, image, viewport);
  const to = clampScale(scale);
  const k = to / from;
  const next = { fit: false, scale: to, x: at.x - (at.x - view.x) * k, y: at.y - (at.y - view.y) * k };
  return clampPan(next, image, viewport);
}

/** The next stop above (dir 1) or below (dir −1) the current scale. */
export function step(scale: number, dir: 1 | -1): number {
  const eps = 1e-6;
  const next = dir > 0 ? STEPS.find((s) => s > scale + eps) : [...STEPS].reverse().find((s) => s < scale - eps);
  return next ?? (dir > 0 ? MAX_SCALE : MIN_SCALE);
}

/**
 * How much one wheel event zooms. A pinch on a trackpad arrives as a wheel event with ctrlKey and
 * small deltas (Chromium, WebView2), so it is more sensitive than a mouse wheel's notches.
 */
export function wheelFactor(event: Pick<WheelEvent, 'deltaY' | 'deltaMode' | 'ctrlKey'>): number {
  const pixels = event.deltaMode === 1 ? event.deltaY * 16 : event.deltaMode === 2 ? event.deltaY * 400 : event.deltaY;
  const sensitivity = event.ctrlKey ? 0.01 : 0.002;
  return Math.exp(-Math.max(-100, Math.min(100, pixels)) * sensitivity);
}

/** Whether the image is larger than the viewport, so dragging and the arrow keys pan rather than flip. */
export function pannable(view: View, image: Size | null, viewport: Size | null): boolean {
  if (view.fit || !known(image) || !known(viewport)) return false;
  return image.width * view.scale > viewport.width + 0.5 || image.height * view.scale > viewport.height + 0.5;
}
