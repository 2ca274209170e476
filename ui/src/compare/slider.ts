/** Where the slider's divider sits, in percent of the width from the left. */
export const SLIDER_MIN = 0;
export const SLIDER_MAX = 100;
const STEP = 1;
const PAGE = 10;

const clamp = (v: number) => Math.min(SLIDER_MAX, Math.max(SLIDER_MIN, v));

/**
 * The divider's position after a key, the APG slider's keys: the arrows by one (ten with Shift),
 * Page Up/Down by ten, Home and End to the ends. Null for a key that is not the slider's.
 */
export function sliderKey(value: number, key: string, shift = false): number | null {
  const step = shift ? PAGE : STEP;
  switch (key) {
    case 'ArrowLeft':
    case 'ArrowDown':
      return clamp(value - step);
    case 'ArrowRight':
    case 'ArrowUp':
      return clamp(value + step);
    case 'PageDown':
      return clamp(value - PAGE);
    case 'PageUp':
      return clamp(value + PAGE);
    case 'Home':
      return SLIDER_MIN;
    case 'End':
      return SLIDER_MAX;
    default:
      return null;
  }
}

/** The position under a pointer at `x` over a box starting at `left` and `width` wide. */
export function sliderAt(x: number, left: number, width: number): number {
  if (width <= 0) return 50;
  return clamp(Math.round(((x - left) / width) * 1000) / 10);
}

/** A horizontal stretch of the slider's pane, in CSS pixels from its left edge. */
export interface Span {
  left: number;
  width: number;
}

/**
 * Where the images are on screen across a pane `pane` pixels wide: the shared frame (`frame`
 * pixels wide at the loupe's scale, centred and moved `panX` by panning) cut to the pane. The
 * divider lives in this stretch, so it never stands in the empty margin beside a fitted image.
 * The whole pane while the frame's size is unknown.
 */
export function imageSpan(pane: number, frame: number | null, panX: number): Span {
  const whole = { left: 0, width: Math.max(0, pane) };
  if (frame === null || !(frame > 0) || !(pane > 0)) return whole;
  const left = Math.max(0, pane / 2 + panX - frame / 2);
  const right = Math.min(pane, pane / 2 + panX + frame / 2);
  return right > left ? { left, width: right - left } : whole;
}

/** The divider's distance from the pane's left edge for a position in percent of the span. */
export function dividerX(value: number, span: Span): number {
  return span.left + (clamp(value) / SLIDER_MAX) * span.width;
}
