/**
 * Full-size images decoded ahead of showing them. Only the few URLs asked for last are kept (the
 * current image and its two neighbours); the others are dropped, so flipping through hundreds of
 * images does not keep hundreds of decoded bitmaps alive.
 */
export class Preloader {
  readonly #images = new Map<string, { image: HTMLImageElement; decoded: Promise<HTMLImageElement> }>();
  readonly #ready = new Set<string>();

  constructor(private readonly make: () => HTMLImageElement = () => new Image()) {}

  /** The URLs held now. */
  get urls(): string[] {
    return [...this.#images.keys()];
  }

  /** Whether this URL has decoded, so it can be shown at once. */
  ready(url: string): boolean {
    return this.#ready.has(url);
  }

  /** Resolves with the image once it has decoded (starting to load it if it is not held yet). */
  decoded(url: string): Promise<HTMLImageElement> {
    const held = this.#images.get(url);
    if (held) return held.decoded;
    const image = this.make();
    image.decoding = 'async';
    image.src = url;
    const decoded = decode(image).then(() => {
      if (this.#images.get(url)?.image === image) this.#ready.add(url);
      return image;
    });
    decoded.catch(() => {}); // a dropped or broken image: whoever waits on it sees the rejection
    this.#images.set(url, { image, decoded });
    return decoded;
  }

  /** Holds these URLs (loading any new one) and drops every other. */
  keep(urls: string[]): void {
    const wanted = new Set(urls);
    for (const [url, held] of this.#images) {
      if (wanted.has(url)) continue;
      held.image.src = ''; // stops a load in flight; the bitmap goes with the last reference
      this.#images.delete(url);
      this.#ready.delete(url);
    }
    for (const url of wanted) void this.decoded(url).catch(() => {});
  }

  clear(): void {
    this.keep([]);
  }
}

/** img.decode() where the engine has it; the load event otherwise. */
function decode(image: HTMLImageElement): Promise<void> {
  if (typeof image.decode === 'function') return image.decode();
  return new Promise((resolve, reject) => {
    image.addEventListener('load', () => resolve(), { once: true });
    image.addEventListener('error', () => reject(new Error(`could not load ${image.src}`)), { once: true });
  });
}
