import {
  commands,
  type AppliedStyle,
  type Catalogue,
  type GenerationRequest,
  type InputPreview,
  type Job,
  type KeyStatus,
  type Model,
  type SpendSummary,
} from '../lib/bindings';
import { CommandError, describeError, messageOf, unwrap } from '../lib/errors';
import { formatBytes, sentence } from '../lib/format';
import { platform } from '../account/platform.svelte';
import {
  carryOver,
  creditEstimate,
  defaultsFor,
  estimate,
  fromInputs,
  isSet,
  isTemplate,
  megabytes,
  SEED_FIELD,
  toBase64,
  toInputs,
  validate,
  visibleFields,
  type FormValue,
  type FormValues,
} from './form';
import { queue } from './queue.svelte';
import { DEFAULT_CAP, isMulti, Planner, planProblems, type PlanInput } from './plan.svelte';
import { appliedOf, chars, composePrompt, styleDefaults } from './style';
import { styles, type Style } from './styles.svelte';
import { DraftKeeper, type Draft } from './draft';

/** Where the form's values came from, when it was filled from a gallery item. */
export interface Origin {
  parentId: number;
  exact: boolean;
  /** An edit of the parent's image (Kontext), not a repeat of its values. */
  edit?: boolean;
}

const DEFAULT_MODEL = 'flux-schnell';

/** Where the form's error sends the user: the Account screen, to buy credits or to sign in again. */
export type FormAction = 'buy-credits' | 'sign-in';

/**
 * The Create form. One module-level instance, so the form keeps its state while other screens
 * show; only `load` (Re-run / Remix from the Gallery) replaces it from outside.
 */
export class CreateForm {
  catalogue = $state<Catalogue | null>(null);
  catalogueError = $state<string | null>(null);
  modelId = $state('');
  values = $state<FormValues>({});
  /** Previews of the chosen pictures, by field. */
  previews = $state<Record<string, InputPreview>>({});
  /** Fields the user changed (their errors show as they type). */
  touched = $state<Set<string>>(new Set());
  /** Set by a Generate attempt: every error shows. */
  attempted = $state(false);
  /** The core's per-field answer to the last request, cleared field by field as they change. */
  serverErrors = $state<Record<string, string>>({});
  /** A problem of the whole request, in words. */
  formError = $state<string | null>(null);
  /** A way out of `formError`, when there is one. */
  formAction = $state<FormAction | null>(null);
  submitting = $state(false);
  /** The image field whose picture is being read. */
  loadingImage = $state<string | null>(null);
  origin = $state<Origin | null>(null);
  /** The seed the last run used (the core picks one when the seed is unlocked). */
  lastSeed = $state<number | null>(null);
  lastJobId = $state<number | null>(null);
  keyStatus = $state<KeyStatus | null>(null);
  spend = $state<SpendSummary | null>(null);
  /** The style whose text goes around the prompt (one at a time). */
  style = $state<AppliedStyle | null>(null);
  /** Other models the prompt also runs on, besides the main one (whose fields make the form). */
  alsoModels = $state<string[]>([]);
  /** The most prompts the `{a|b}` variations may make. */
  cap = $state(DEFAULT_CAP);
  /** How many jobs the last Generate queued. */
  lastQueued = $state(0);
  readonly planner = new Planner();
  readonly drafts = new DraftKeeper();

  readonly model = $derived<Model | null>(this.catalogue?.models.find((m) => m.id === this.modelId) ?? null);
  readonly fields = $derived(this.model ? visibleFields(this.model, this.values) : []);
  /** The prompt as sent, with the style's text around it. */
  readonly composed = $derived(composePrompt(this.style, typeof this.values['prompt'] === 'string' ? this.values['prompt'] : ''));
  readonly clientErrors = $derived<Record<string, string>>(this.model ? { ...validate(this.model, this.values), ...this.#styleLength() } : {});
  readonly estimate = $derived(this.model ? estimate(this.model, this.values) : null);
  readonly seedLocked = $derived(isSet(this.values[SEED_FIELD]));
  /** Account mode is set up in this build (sign-in and credits can be offered). */
  readonly accountAvailable = $derived(platform.available);
  /** A run started now is paid with Flux Krea credits. */
  readonly accountMode = $derived(platform.accountMode);
  readonly balance = $derived(platform.balance);
  readonly creditPrice = $derived(platform.prices?.find((p) => p.model === this.modelId) ?? null);
  readonly creditPrices = $derived(platform.prices);
  readonly creditPricesKnown = $derived(platform.prices !== null);
  readonly creditPricesError = $derived(platform.pricesError);
  readonly creditEstimate = $derived(this.model ? creditEstimate(this.model, this.values, this.creditPrice) : null);
  /** In account mode no key is needed; otherwise a known-missing key stops Generate. */
  readonly keyMissing = $derived(!this.accountMode && this.keyStatus !== null && !this.keyStatus.configured);
  readonly valid = $derived(this.model !== null && Object.keys(this.clientErrors).length === 0);
  /** The plan's refusal, split: under the fields of the main model (and the prompt), and the rest in words. */
  readonly planProblems = $derived(planProblems(this.planner.error, new Set(this.model?.fields.map((f) => f.name))));
  readonly planErrors = $derived(this.planProblems.fields);
  readonly planMessage = $derived(this.planProblems.message);
  /** The plan worth showing: several jobs or several models. */
  readonly plan = $derived(isMulti(this.planner.plan) ? this.planner.plan : null);
  readonly canGenerate = $derived(this.valid && !this.submitting && !this.keyMissing && !this.planProblems.blocks);

  #catalogueLoad: Promise<void> | null = null;
  #draftLoad: Promise<void> | null = null;

  /** Loads the catalogue, styles and draft once; refreshes the key, spend and account every time the screen shows. */
  async init(): Promise<void> {
    await Promise.all([this.loadCatalogue(), this.refreshKey(), this.refreshSpend(), platform.loadForCreate(), styles.load(), this.restoreDraft()]);
  }

  /** Brings back the draft of the last session, unless something was typed (or loaded from the gallery) meanwhile. */
  restoreDraft(): Promise<void> {
    this.#draftLoad ??= (async () => {
      let draft: Draft | null = null;
      try {
        [draft] = await Promise.all([unwrap(commands.loadDraft()), this.loadCatalogue(), styles.load()]);
      } catch {
        // No draft to restore is no reason to stop the screen; typing saves a new one.
      }
      if (draft && this.#blank()) this.#applyDraft(draft);
      this.drafts.begin(this.draft());
    })();
    return this.#draftLoad;
  }

  /** What the draft keeps: the prompt, the models and the style's name. */
  draft(): Draft {
    const prompt = this.values['prompt'];
    return { model: this.modelId, prompt: typeof prompt === 'string' ? prompt : '', models: [...this.alsoModels], style: this.style?.name ?? null };
  }

  #blank(): boolean {
    const prompt = this.values['prompt'];
    return (typeof prompt !== 'string' || prompt.trim() === '') && this.alsoModels.length === 0 && this.style === null && this.origin === null;
  }

  #applyDraft(draft: Draft): void {
    const ids = new Set(this.catalogue?.models.map((m) => m.id));
    if (ids.has(draft.model)) this.selectModel(draft.model);
    if (this.model?.fields.some((f) => f.name === 'prompt')) this.values = { ...this.values, prompt: draft.prompt };
    this.alsoModels = draft.models.filter((id) => ids.has(id) && id !== this.modelId);
    const style = draft.style ? styles.find(draft.style) : null;
    this.style = style ? appliedOf(style) : null;
  }

  /**
   * After "Erase prompts" or "Erase everything": the words in the editor go too (the core removed
   * the draft), and nothing saves them again.
   */
  forgetWriting(): void {
    if ('prompt' in this.values) this.values = { ...this.values, prompt: '' };
    this.touched = new Set([...this.touched].filter((name) => name !== 'prompt'));
    this.style = null;
    this.alsoModels = [];
    this.planner.clear();
    this.drafts.forget(this.draft());
  }

  /** Forgets the editor's extras, the plan and the draft's state, as at a new start. */
  resetEditor(): void {
    this.style = null;
    this.alsoModels = [];
    this.cap = DEFAULT_CAP;
    this.lastQueued = 0;
    this.planner.clear();
    this.drafts.reset();
    this.#draftLoad = null;
  }

  /** Puts a style's text around the prompt and its defaults in the form (its model first, since the others depend on it). */
  applyStyle(style: Style): void {
    if (style.model && this.catalogue?.models.some((m) => m.id === style.model)) this.selectModel(style.model);
    if (this.model) for (const [name, value] of Object.entries(styleDefaults(style, this.model))) this.set(name, value);
    this.style = appliedOf(style);
  }

  removeStyle(): void {
    this.style = null;
  }

  setAlsoModel(id: string, on: boolean): void {
    const others = this.alsoModels.filter((m) => m !== id);
    // Catalogue order, so the plan (and the draft) do not depend on the order of the clicks.
    const wanted = on && id !== this.modelId ? [...others, id] : others;
    const order = this.catalogue?.models.map((m) => m.id) ?? [];
    this.alsoModels = wanted.sort((a, b) => order.indexOf(a) - order.indexOf(b));
  }

  /** What to ask the core to plan: only a template prompt or several models need it. */
  planInput(): PlanInput | null {
    const request = this.request();
    if (!request || !this.valid || this.keyMissing) return null;
    const prompt = request.inputs['prompt'];
    if (this.alsoModels.length === 0 && !(typeof prompt === 'string' && isTemplate(prompt))) return null;
    return { request, models: [request.model, ...this.alsoModels], cap: this.cap, mode: this.accountMode ? 'account' : 'own_key' };
  }

  /** The style makes the prompt too long for the model: said under the prompt (the core checks the same). */
  #styleLength(): Record<string, string> {
    const field = this.model?.fields.find((f) => f.name === 'prompt');
    if (!this.style || !field || field.kind.type !== 'prompt') return {};
    // A template's prompts are checked by the core's plan, each with the style (fieldError says why).
    const prompt = this.values['prompt'];
    if (typeof prompt === 'string' && isTemplate(prompt)) return {};
    const used = chars(this.composed);
    const max = field.kind.max_chars;
    return used > max ? { prompt: `Too long with the style: ${used.toLocaleString('en-US')} of at most ${max.toLocaleString('en-US')} characters.` } : {};
  }

  loadCatalogue(): Promise<void> {
    this.#catalogueLoad ??= unwrap(commands.modelCatalogue()).then(
      (catalogue) => {
        this.catalogue = catalogue;
        this.catalogueError = null;
        if (!this.model) {
          const first = catalogue.models.find((m) => m.id === DEFAULT_MODEL) ?? catalogue.models[0];
          if (first) {
            this.modelId = first.id;
            this.values = defaultsFor(first);
          }
        }
      },
      (e: unknown) => {
        this.#catalogueLoad = null;
        this.catalogueError = messageOf(e);
      },
    );
    return this.#catalogueLoad;
  }

  async refreshKey(): Promise<void> {
    try {
      this.keyStatus = await unwrap(commands.replicateKeyStatus());
    } catch {
      // Unknown: Generate stays available and the core says what is missing.
      this.keyStatus = null;
    }
  }

  async refreshSpend(): Promise<void> {
    try {
      this.spend = await unwrap(commands.spendSummary());
    } catch {
      this.spend = null;
    }
  }

  selectModel(id: string): void {
    const model = this.catalogue?.models.find((m) => m.id === id);
    if (!model || id === this.modelId) return;
    this.values = carryOver(model, this.values);
    this.previews = Object.fromEntries(Object.entries(this.previews).filter(([name]) => isSet(this.values[name])));
    this.modelId = id;
    this.alsoModels = this.alsoModels.filter((m) => m !== id);
    this.serverErrors = {};
    this.formError = null;
    this.formAction = null;
    if (this.origin) this.origin = { ...this.origin, exact: false };
  }

  /** Back to the model's defaults (the prompt stays: it is the user's writing). */
  reset(keepPrompt = true): void {
    if (!this.model) return;
    const prompt = this.values['prompt'];
    this.values = { ...defaultsFor(this.model), ...(keepPrompt && typeof prompt === 'string' ? { prompt } : {}) };
    this.previews = {};
    this.serverErrors = {};
    this.formError = null;
    this.formAction = null;
    this.touched = new Set();
    this.attempted = false;
    this.origin = null;
  }

  /** Sets a value. Touched (the default), its client-side error shows from now on; untouched, only after a Generate attempt. */
  set(name: string, value: FormValue, touch = true): void {
    this.values = { ...this.values, [name]: value };
    if (touch && !this.touched.has(name)) this.touched = new Set(this.touched).add(name);
    if (!touch && this.touched.has(name)) this.touched = new Set([...this.touched].filter((n) => n !== name));
    if (name in this.serverErrors) {
      const { [name]: _, ...rest } = this.serverErrors;
      this.serverErrors = rest;
    }
  }

  setImage(name: string, preview: InputPreview | null): void {
    this.set(name, preview?.path ?? null);
    const { [name]: _, ...rest } = this.previews;
    this.previews = preview ? { ...rest, [name]: preview } : rest;
  }

  /** A picked or dropped file: previewed (and checked) by the core, then used as the field's value. */
  async choosePath(name: string, path: string, maxBytes: number): Promise<void> {
    if (!/\.(png|jpe?g|webp)$/i.test(path)) {
      this.setFieldError(name, 'Use a PNG, JPEG or WebP picture.');
      return;
    }
    await this.#preview(name, maxBytes, () => unwrap(commands.previewInputImage(path)));
  }

  /** A pasted picture: kept by the core as a private file, then used like a picked one. */
  async pasteFile(name: string, file: Blob, maxBytes: number): Promise<void> {
    if (file.size > maxBytes) {
      this.setFieldError(name, `The pasted picture is ${formatBytes(file.size)}; at most ${megabytes(maxBytes)}.`);
      return;
    }
    const bytes = await readBytes(file);
    await this.#preview(name, maxBytes, () => unwrap(commands.stagePastedImage(toBase64(bytes))));
  }

  async #preview(name: string, maxBytes: number, make: () => Promise<InputPreview>): Promise<void> {
    this.loadingImage = name;
    try {
      const preview = await make();
      if (preview.bytes !== null && preview.bytes > maxBytes) {
        this.setFieldError(name, `${preview.file_name} is ${formatBytes(preview.bytes)}; at most ${megabytes(maxBytes)}.`);
        return;
      }
      this.setImage(name, preview);
    } catch (e) {
      this.setFieldError(name, e instanceof CommandError && e.error.kind === 'invalid_input' ? sentence(e.error.reason) : messageOf(e));
    } finally {
      this.loadingImage = null;
    }
  }

  setFieldError(name: string, message: string): void {
    this.serverErrors = { ...this.serverErrors, [name]: message };
  }

  /** The error shown under a field: the core's answer, else the client check once the field was touched. */
  errorFor(name: string): string | null {
    const server = this.serverErrors[name] ?? this.planErrors[name];
    if (server) return server;
    const client = this.clientErrors[name];
    return client && (this.attempted || this.touched.has(name)) ? client : null;
  }

  lockSeed(seed: number): void {
    this.set(SEED_FIELD, seed);
  }

  unlockSeed(): void {
    this.set(SEED_FIELD, null);
  }

  /** Fills the form from a gallery item: exact (same seed, go_fast off) for Re-run, seed unlocked for Remix. */
  async load(request: GenerationRequest, exact: boolean): Promise<void> {
    await this.loadCatalogue();
    const model = this.catalogue?.models.find((m) => m.id === request.model);
    if (!model) {
      this.formError = `The model ${request.model} is not in this version's catalogue.`;
      this.formAction = null;
      return;
    }
    const values = fromInputs(model, request.inputs);
    const seed = values[SEED_FIELD];
    this.lastSeed = typeof seed === 'number' ? seed : null;
    if (!exact && model.fields.some((f) => f.name === SEED_FIELD)) values[SEED_FIELD] = null;
    this.modelId = model.id;
    this.values = values;
    this.previews = {};
    this.serverErrors = {};
    this.formError = null;
    this.formAction = null;
    this.attempted = false;
    this.touched = new Set(model.fields.map((f) => f.name));
    this.origin = request.parent_id != null ? { parentId: request.parent_id, exact } : null;
    // A re-run is of one generation: its style's words as recorded, on its model alone.
    this.style = request.style ?? null;
    this.alsoModels = [];
    await Promise.all(
      model.fields
        .filter((f) => f.kind.type === 'image' && typeof values[f.name] === 'string')
        .map(async (f) => {
          const path = values[f.name] as string;
          try {
            const preview = await unwrap(commands.previewInputImage(path));
            this.previews = { ...this.previews, [f.name]: preview };
          } catch (e) {
            this.serverErrors = {
              ...this.serverErrors,
              [f.name]: `The original picture can't be used any more (${messageOf(e)}). Choose it again or remove it.`,
            };
          }
        }),
    );
  }

  clearOrigin(): void {
    this.origin = null;
  }

  request(): GenerationRequest | null {
    if (!this.model) return null;
    return {
      model: this.model.id,
      inputs: toInputs(this.model, this.values),
      parent_id: this.origin?.parentId ?? null,
      exact_rerun: this.origin?.exact ?? false,
      style: this.style,
    };
  }

  /**
   * Sends the form: every job of its plan when it makes several (or its variations changed the
   * prompt, as `\{` does), else the one request. Returns the first job queued, or null with the
   * problems shown on the form.
   */
  async generate(): Promise<Job | null> {
    this.attempted = true;
    const request = this.request();
    if (!request || !this.valid || this.submitting || this.keyMissing) return null;
    this.submitting = true;
    this.formError = null;
    this.formAction = null;
    this.serverErrors = {};
    try {
      const jobs = await this.#send(request);
      const job = jobs[0];
      if (!job) return null;
      for (const j of jobs) queue.apply(j);
      this.lastQueued = jobs.length;
      this.lastJobId = job.id;
      this.attempted = false;
      // Several jobs have several seeds: "the seed it used" only means something for one.
      if (jobs.length === 1) void this.#seedOf(job.id);
      if (jobs.some((j) => j.cost_credits != null)) void platform.refreshBalance();
      else void this.refreshSpend();
      return job;
    } catch (e) {
      this.#show(e);
      return null;
    } finally {
      this.submitting = false;
    }
  }

  async #send(request: GenerationRequest): Promise<Job[]> {
    const input = this.planInput();
    if (input) {
      const plan = await this.planner.now(input);
      if (plan.jobs.length > 1 || plan.jobs[0]?.request.inputs['prompt'] !== request.inputs['prompt']) return unwrap(commands.generatePlan(plan));
    }
    return [await unwrap(commands.generate(request))];
  }

  async #seedOf(id: number): Promise<void> {
    try {
      const details = await unwrap(commands.generationDetails(id));
      if (details.generation.seed !== null && details.generation.seed !== undefined) this.lastSeed = details.generation.seed;
    } catch {
      // The seed hint is a convenience; the gallery still shows it.
    }
  }

  #show(e: unknown): void {
    if (!(e instanceof CommandError)) {
      this.formError = messageOf(e);
      return;
    }
    const error = e.error;
    const known = new Set(this.model?.fields.map((f) => f.name));
    if (error.kind === 'invalid_fields') {
      const mine = error.fields.filter((f) => known.has(f.field));
      const other = error.fields.filter((f) => !known.has(f.field));
      this.serverErrors = Object.fromEntries(mine.map((f) => [f.field, sentence(f.reason)]));
      this.formError = other.length ? describeError({ kind: 'invalid_fields', fields: other }) : null;
    } else if (error.kind === 'invalid_input' && error.field === 'replicate_token') {
      this.keyStatus = { configured: false, source: null, account: null, keychain_unavailable: null };
    } else if (error.kind === 'invalid_input' && known.has(error.field)) {
      this.serverErrors = { [error.field]: sentence(error.reason) };
    } else if (error.kind === 'invalid_input' && error.field === 'model') {
      this.formError = sentence(error.reason);
    } else if (error.kind === 'insufficient_credits') {
      this.formError = describeError(error);
      this.formAction = 'buy-credits';
      void platform.refreshBalance();
    } else if (error.kind === 'auth_required' && this.accountAvailable) {
      this.formError = 'Your Flux Krea sign-in has ended.';
      this.formAction = 'sign-in';
      void platform.loadStatus();
    } else {
      this.formError = describeError(error);
      if (error.kind === 'budget_exceeded') void this.refreshSpend();
    }
  }
}

/** A blob's bytes (FileReader where Blob.arrayBuffer is missing, as in older webviews). */
function readBytes(blob: Blob): Promise<Uint8Array> {
  if (typeof blob.arrayBuffer === 'function') return blob.arrayBuffer().then((b) => new Uint8Array(b));
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(new Uint8Array(reader.result as ArrayBuffer));
    reader.onerror = () => reject(reader.error ?? new Error('the pasted picture could not be read'));
    reader.readAsArrayBuffer(blob);
  });
}

export const createForm = new CreateForm();
