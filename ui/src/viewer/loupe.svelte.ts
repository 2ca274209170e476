import { clampPan, FIT, pannable, scaleOf, step, wheelFactor, zoomTo, type Point, type Size, type View } from './zoom';

/** The loupe's zoom and pan for the image shown, shared by the stage (pointer, wheel, pinch) and the viewer (keys, buttons). */
export class Loupe {
  view = $state<View>(FIT);
  /** The image's size in pixels, from the gallery record (or the decoded image when the record has none). */
  image = $state<Size | null>(null);
  /** The stage's size in CSS pixels. */
  viewport = $state<Size | null>(null);
  /** True after a key or button zoom, which may glide; a wheel, pinch or drag follows the hand at once. */
  glide = $state(false);

  readonly scale = $derived(scaleOf(this.view, this.image, this.viewport));
  readonly pannable = $derived(pannable(this.view, this.image, this.viewport));

  /** A new image starts fitted. */
  reset(image: Size | null): void {
    this.image = image;
    this.view = FIT;
    this.glide = false;
  }

  zoomIn(): void {
    this.#zoom(step(this.scale, 1), true);
  }

  zoomOut(): void {
    this.#zoom(step(this.scale, -1), true);
  }

  fit(): void {
    this.view = FIT;
    this.glide = true;
  }

  /** 100 %: one image pixel per CSS pixel. */
  actual(at?: Point): void {
    this.#zoom(1, true, at);
  }

  /** A wheel turn or a trackpad pinch (ctrlKey) at a point relative to the stage's centre. */
  wheel(event: Pick<WheelEvent, 'deltaY' | 'deltaMode' | 'ctrlKey'>, at: Point): void {
    this.#zoom(this.scale * wheelFactor(event), false, at);
  }

  /** A pinch gesture (WebKit's gesture events): `scale` times the scale at the gesture's start. */
  zoomTo(scale: number, at?: Point): void {
    this.#zoom(scale, false, at);
  }

  /** The zoom keys shared by the viewer and Compare: + / = in, - / _ out, 0 fit, 1 100 %. True when `key` was one. */
  key(key: string): boolean {
    if (key === '+' || key === '=') this.zoomIn();
    else if (key === '-' || key === '_') this.zoomOut();
    else if (key === '0') this.fit();
    else if (key === '1') this.actual();
    else return false;
    return true;
  }

  panBy(dx: number, dy: number): void {
    this.panTo(this.view.x + dx, this.view.y + dy);
  }

  panTo(x: number, y: number): void {
    this.view = clampPan({ ...this.view, x, y }, this.image, this.viewport);
    this.glide = false;
  }

  #zoom(scale: number, glide: boolean, at?: Point): void {
    this.view = zoomTo(this.view, scale, this.image, this.viewport, at);
    this.glide = glide;
  }
}
