// The prompt editor on the Create screen (#23): recall, the recent list, styles, variations on
// several models counted and priced before sending, and the draft.
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import type { GenerationRequest, PromptDraft_Serialize, RecentPrompt, Style_Serialize, StyleDraft_Serialize } from '../lib/bindings';
import { catalogue, job } from './fixtures';
import { accountStatus, fail, mockBindings, ok, tauriCore, tauriWebview, type Result } from '../test/bindings';

const earlier: RecentPrompt[] = [
  { prompt: 'a red fox in snow', uses: 2, last_used_at: 1_700_000_100_000 },
  { prompt: 'an old lighthouse at dusk', uses: 1, last_used_at: 1_700_000_000_000 },
];
const noir: Style_Serialize = {
  name: 'Noir',
  prefix: 'film noir still of',
  suffix: 'high contrast',
  model: null,
  aspect_ratio: null,
  guidance: null,
  updated_at: 1,
};
const wide: Style_Serialize = { name: 'Wide dev', prefix: '', suffix: 'cinematic', model: 'flux-dev', aspect_ratio: '16:9', guidance: 5, updated_at: 2 };

let mode: 'own_key' | 'account' = 'own_key';
let storedDraft: PromptDraft_Serialize | null = null;
let styleList: Style_Serialize[] = [];
const recentPrompts = vi.fn(async (search: string | null, _limit: number): Promise<Result> => ok(earlier.filter((p) => !search || p.prompt.includes(search))));
const generate = vi.fn(async (_request: GenerationRequest): Promise<Result> => ok(job(41)));
const planGeneration = vi.fn(async (..._args: unknown[]): Promise<Result> => ok(null));
const generatePlan = vi.fn(async (plan: { jobs: unknown[] }): Promise<Result> => ok(plan.jobs.map((_, i) => job(60 + i))));
const saveStyle = vi.fn(async (draft: StyleDraft_Serialize): Promise<Result> => ok({ ...draft, updated_at: 3 }));
const deleteStyle = vi.fn(async (_name: string): Promise<Result> => ok(null));
const importStyles = vi.fn(async (): Promise<Result> => ok(null));
const saveDraft = vi.fn(async (_draft: PromptDraft_Serialize): Promise<Result> => ok(null));

vi.mock('../lib/bindings', () =>
  mockBindings({
    modelCatalogue: async () => ok(catalogue),
    replicateKeyStatus: async () => ok({ configured: true, source: 'keychain', account: null }),
    spendSummary: async () => ok({ month_usd: 0, all_time_usd: 0, monthly_budget_usd: null, recent: [] }),
    queueState: async () => ok({ paused: false, runs_here: true, max_running: 2, rows: 50, jobs: [] }),
    accountStatus: async () =>
      ok(
        mode === 'account'
          ? accountStatus({
              signed_in: true,
              preferred_mode: 'account',
              active_mode: 'account',
              balance: { credits: 95, updated_at: '', fetched_at: 1, live: true },
            })
          : accountStatus({ available: false, own_key_configured: true, active_mode: 'own_key' }),
      ),
    refreshBalance: async () => ok({ credits: 95, updated_at: '', fetched_at: 1, live: true }),
    creditPrices: async () => ok([{ model: 'flux-schnell', credits_per_image: 2, max_outputs: 4, enabled: true }]),
    generationDetails: async (id: number) => ok({ generation: { id, seed: 1 }, images: [], collections: [] }),
    recentPrompts: (search: string | null, limit: number) => recentPrompts(search, limit),
    generate: (request: GenerationRequest) => generate(request),
    planGeneration: (...args: unknown[]) => planGeneration(...args),
    generatePlan: (plan: { jobs: unknown[] }) => generatePlan(plan),
    listStyles: async () => ok(styleList),
    saveStyle: (draft: StyleDraft_Serialize) => saveStyle(draft),
    deleteStyle: (name: string) => deleteStyle(name),
    importStyles: () => importStyles(),
    loadDraft: async () => ok(storedDraft),
    saveDraft: (draft: PromptDraft_Serialize) => saveDraft(draft),
  }),
);
vi.mock('@tauri-apps/api/core', () => tauriCore);
vi.mock('@tauri-apps/api/webview', () => tauriWebview);

import CreateScreen from '../screens/CreateScreen.svelte';
import { createForm } from './store.svelte';
import { styles } from './styles.svelte';
import { queue } from './queue.svelte';
import { platform } from '../account/platform.svelte';

const byTestId = (id: string) => screen.getByTestId(id);
const promptBox = () => byTestId('prompt') as HTMLTextAreaElement;
const slow = { timeout: 3000 };

async function ready() {
  render(CreateScreen, { props: { info: null } });
  await waitFor(() => expect(promptBox()).toBeTruthy());
  await waitFor(() => expect(screen.queryByText('Loading styles…')).toBeNull());
}

async function type(text: string) {
  await fireEvent.input(promptBox(), { target: { value: text } });
}

/** The core's plan of `prompts` prompts on `models`, one image a job at the fixtures' prices. */
function planOf(prompts: string[], models: string[], style: GenerationRequest['style'] = null) {
  const price: Record<string, number> = { 'flux-schnell': 0.003, 'flux-dev': 0.025, 'flux-1.1-pro': 0.04 };
  const jobs = prompts.flatMap((prompt) =>
    models.map((model) => ({
      model,
      prompt,
      images: 1,
      estimate_usd: mode === 'own_key' ? (price[model] ?? 0) : null,
      estimate_credits: mode === 'account' ? 3 : null,
      request: { model, inputs: { prompt }, parent_id: null, exact_rerun: false, style },
    })),
  );
  const usd = Math.round(jobs.reduce((sum, j) => sum + (j.estimate_usd ?? 0), 0) * 1e6) / 1e6;
  return {
    mode,
    prompts: prompts.length,
    models,
    jobs,
    images: jobs.length,
    total_usd: mode === 'own_key' ? usd : null,
    total_credits: mode === 'account' ? jobs.length * 3 : null,
  };
}

beforeEach(async () => {
  mode = 'own_key';
  storedDraft = null;
  styleList = [noir, wide];
  for (const f of [recentPrompts, generate, planGeneration, generatePlan, saveStyle, deleteStyle, importStyles, saveDraft]) f.mockClear();
  planGeneration.mockImplementation(async () => ok(null));
  platform.reset();
  styles.reset();
  createForm.resetEditor();
  await createForm.loadCatalogue();
  createForm.selectModel('flux-schnell');
  createForm.reset(false);
  createForm.touched = new Set();
});

describe('recall of earlier prompts', () => {
  it('walks back with ↑ from an empty prompt and forward with ↓ to the empty prompt again, saying where it is', async () => {
    await ready();
    await fireEvent.keyDown(promptBox(), { key: 'ArrowUp' });
    await waitFor(() => expect(promptBox().value).toBe('a red fox in snow'));
    expect(createForm.values['prompt']).toBe('a red fox in snow');
    expect(byTestId('prompt-announcement').textContent).toBe('Earlier prompt 1 of 2.');
    await fireEvent.keyDown(promptBox(), { key: 'ArrowUp' });
    await waitFor(() => expect(promptBox().value).toBe('an old lighthouse at dusk'));
    expect(byTestId('prompt-announcement').textContent).toBe('Earlier prompt 2 of 2.');
    await fireEvent.keyDown(promptBox(), { key: 'ArrowUp' });
    expect(promptBox().value).toBe('an old lighthouse at dusk');
    expect(byTestId('prompt-announcement').textContent).toBe('This is the oldest prompt.');
    await fireEvent.keyDown(promptBox(), { key: 'ArrowDown' });
    expect(promptBox().value).toBe('a red fox in snow');
    await fireEvent.keyDown(promptBox(), { key: 'ArrowDown' });
    expect(promptBox().value).toBe('');
    expect(createForm.values['prompt']).toBe('');
    // Back at the empty prompt without a "write a prompt" complaint.
    expect(screen.queryByTestId('field-prompt-error')).toBeNull();
    expect(recentPrompts).toHaveBeenCalledWith(null, 50);
  });

  it('leaves the arrows to the caret once the prompt is the user’s own', async () => {
    await ready();
    await type('my own words');
    const down = await fireEvent.keyDown(promptBox(), { key: 'ArrowUp' });
    expect(down).toBe(true); // not prevented
    expect(recentPrompts).not.toHaveBeenCalled();
    expect(promptBox().value).toBe('my own words');
  });
});

describe('the recent prompts list', () => {
  it('searches as the user types and fills the prompt with Enter', async () => {
    await ready();
    const button = byTestId('prompt-recent-button');
    await fireEvent.click(button);
    expect(button.getAttribute('aria-expanded')).toBe('true');
    const search = byTestId('prompt-recent-search') as HTMLInputElement;
    expect(document.activeElement).toBe(search);
    await waitFor(() => expect(screen.getAllByTestId('prompt-recent-option')).toHaveLength(2));
    expect(recentPrompts).toHaveBeenLastCalledWith(null, 30);
    // ↓ moves the active option, which the search box points at.
    await fireEvent.keyDown(search, { key: 'ArrowDown' });
    const options = screen.getAllByTestId('prompt-recent-option');
    expect(search.getAttribute('aria-activedescendant')).toBe(options[1]?.id);
    expect(options[1]?.getAttribute('aria-selected')).toBe('true');

    await fireEvent.input(search, { target: { value: 'lighthouse' } });
    await waitFor(() => expect(screen.getAllByTestId('prompt-recent-option')).toHaveLength(1));
    expect(recentPrompts).toHaveBeenLastCalledWith('lighthouse', 30);
    await fireEvent.keyDown(byTestId('prompt-recent-search'), { key: 'Enter' });
    expect(promptBox().value).toBe('an old lighthouse at dusk');
    expect(createForm.values['prompt']).toBe('an old lighthouse at dusk');
    expect(screen.queryByTestId('prompt-recent-list')).toBeNull();
    expect(document.activeElement).toBe(promptBox());
  });

  it('fills on click, says when nothing matches, and closes on Escape with the focus back on its button', async () => {
    await ready();
    await fireEvent.click(byTestId('prompt-recent-button'));
    await waitFor(() => expect(screen.getAllByTestId('prompt-recent-option')).toHaveLength(2));
    await fireEvent.input(byTestId('prompt-recent-search'), { target: { value: 'zebra' } });
    await waitFor(() => expect(byTestId('prompt-recent-status').textContent).toBe('No prompts match “zebra”.'));
    expect(screen.queryAllByTestId('prompt-recent-option')).toHaveLength(0);
    await fireEvent.keyDown(byTestId('prompt-recent-search'), { key: 'Escape' });
    expect(screen.queryByTestId('prompt-recent-search')).toBeNull();
    expect(document.activeElement).toBe(byTestId('prompt-recent-button'));

    await fireEvent.click(byTestId('prompt-recent-button'));
    await waitFor(() => expect(screen.getAllByTestId('prompt-recent-option')).toHaveLength(2));
    await fireEvent.click(screen.getAllByTestId('prompt-recent-option')[0] as HTMLElement);
    expect(promptBox().value).toBe('a red fox in snow');
  });

  it('shows an empty history and a failure', async () => {
    recentPrompts.mockImplementationOnce(async () => ok([]));
    await ready();
    await fireEvent.click(byTestId('prompt-recent-button'));
    await waitFor(() => expect(byTestId('prompt-recent-status').textContent).toBe('No earlier prompts yet.'));
    recentPrompts.mockImplementationOnce(async () => fail({ kind: 'storage', path: 'history.db', reason: 'locked' }));
    await fireEvent.input(byTestId('prompt-recent-search'), { target: { value: 'fox' } });
    await waitFor(() => expect(byTestId('prompt-recent-error').textContent).toContain('Could not read or write history.db: locked'));
  });
});

describe('styles', () => {
  it('applies a style with one click, counts its words, sends it with the request, and removes it', async () => {
    await ready();
    const chip = byTestId('style-chip-noir');
    expect(chip.getAttribute('aria-pressed')).toBe('false');
    await fireEvent.click(chip);
    expect(chip.getAttribute('aria-pressed')).toBe('true');
    expect(byTestId('style-applied').textContent).toContain('Noir');
    await type('a boat');
    // 6 of the user's, 33 more with the style's words and their spaces.
    expect(byTestId('prompt-counter').textContent?.trim()).toBe('6 + 33 style / 2,000');
    await fireEvent.click(byTestId('generate'));
    await waitFor(() => expect(generate).toHaveBeenCalledTimes(1));
    expect(generate.mock.calls[0]?.[0].style).toEqual({ name: 'Noir', prefix: 'film noir still of', suffix: 'high contrast' });
    expect(generate.mock.calls[0]?.[0].inputs['prompt']).toBe('a boat');

    await fireEvent.click(screen.getByRole('button', { name: 'Remove style Noir' }));
    expect(screen.queryByTestId('style-applied')).toBeNull();
    expect(chip.getAttribute('aria-pressed')).toBe('false');
    expect(byTestId('prompt-counter').textContent?.trim()).toBe('6 / 2,000');
    await fireEvent.click(byTestId('generate'));
    await waitFor(() => expect(generate).toHaveBeenCalledTimes(2));
    expect(generate.mock.calls[1]?.[0].style).toBeNull();
  });

  it("puts a style's model and the defaults that model has into the form, one style at a time", async () => {
    await ready();
    await fireEvent.click(byTestId('style-chip-noir'));
    await fireEvent.click(byTestId('style-chip-wide-dev'));
    expect(createForm.modelId).toBe('flux-dev');
    expect(createForm.values).toMatchObject({ aspect_ratio: '16:9', guidance: 5 });
    expect(byTestId('style-chip-noir').getAttribute('aria-pressed')).toBe('false');
    expect(byTestId('style-applied').textContent).toContain('Wide dev');
  });

  it('saves the form as a style, and shows a refusal by the field it names', async () => {
    saveStyle.mockImplementationOnce(async () => fail({ kind: 'invalid_input', field: 'name', reason: 'a style needs a name' }));
    await ready();
    await fireEvent.click(byTestId('style-save-button'));
    expect(document.activeElement).toBe(byTestId('style-name'));
    await fireEvent.click(byTestId('style-save-confirm'));
    await waitFor(() => expect(byTestId('style-name-error').textContent).toBe('A style needs a name.'));
    expect(byTestId('style-name').getAttribute('aria-invalid')).toBe('true');

    await fireEvent.input(byTestId('style-name'), { target: { value: 'Mine' } });
    await fireEvent.input(byTestId('style-prefix'), { target: { value: 'watercolour of' } });
    await fireEvent.click(byTestId('style-set-model'));
    await fireEvent.click(byTestId('style-set-aspect_ratio'));
    await fireEvent.click(byTestId('style-save-confirm'));
    await waitFor(() => expect(saveStyle).toHaveBeenCalledTimes(2));
    expect(saveStyle.mock.calls[1]?.[0]).toEqual({
      name: 'Mine',
      prefix: 'watercolour of',
      suffix: '',
      model: 'flux-schnell',
      aspect_ratio: '1:1',
      guidance: null,
    });
    await waitFor(() => expect(byTestId('style-chip-mine').getAttribute('aria-pressed')).toBe('true'));
    expect(screen.queryByTestId('style-name')).toBeNull();
    expect(createForm.style).toEqual({ name: 'Mine', prefix: 'watercolour of', suffix: '' });
  });

  it('re-saves the applied style with its words and the defaults it had, from the form as it is now', async () => {
    await ready();
    await fireEvent.click(byTestId('style-chip-wide-dev'));
    await fireEvent.click(byTestId('style-save-button'));
    expect((byTestId('style-name') as HTMLInputElement).value).toBe('Wide dev');
    expect((byTestId('style-suffix') as HTMLInputElement).value).toBe('cinematic');
    expect((byTestId('style-set-guidance') as HTMLInputElement).checked).toBe(true);
    createForm.set('guidance', 4.5);
    await fireEvent.click(byTestId('style-save-confirm'));
    await waitFor(() => expect(saveStyle).toHaveBeenCalledTimes(1));
    expect(saveStyle.mock.calls[0]?.[0]).toEqual({ name: 'Wide dev', prefix: '', suffix: 'cinematic', model: 'flux-dev', aspect_ratio: '16:9', guidance: 4.5 });
  });

  it('deletes a style after asking', async () => {
    await ready();
    await fireEvent.click(byTestId('style-chip-noir'));
    await fireEvent.click(screen.getByRole('button', { name: 'Delete style Noir' }));
    expect(deleteStyle).not.toHaveBeenCalled();
    await fireEvent.click(byTestId('style-delete-confirm'));
    await waitFor(() => expect(deleteStyle).toHaveBeenCalledWith('Noir'));
    await waitFor(() => expect(screen.queryByTestId('style-chip-noir')).toBeNull());
    expect(screen.queryByTestId('style-applied')).toBeNull();
  });

  it('imports styles: says how many, nothing when cancelled, and a refusal about the file', async () => {
    await ready();
    importStyles.mockImplementationOnce(async () => ok(null));
    await fireEvent.click(byTestId('style-import-button'));
    await waitFor(() => expect(importStyles).toHaveBeenCalledTimes(1));
    expect(byTestId('style-status').textContent).toBe('');

    importStyles.mockImplementationOnce(async () => ok({ added: 2, replaced: 1, file: '/home/ada/Downloads/flux-export.zip' }));
    styleList = [noir, wide, { ...noir, name: 'Pastel' }];
    await fireEvent.click(byTestId('style-import-button'));
    await waitFor(() => expect(byTestId('style-status').textContent).toBe('Imported 3 styles from flux-export.zip (1 replaced).'));
    expect(byTestId('style-chip-pastel')).toBeTruthy();

    importStyles.mockImplementationOnce(async () => fail({ kind: 'invalid_input', field: 'file', reason: 'notes.txt is not a styles list of an export' }));
    await fireEvent.click(byTestId('style-import-button'));
    await waitFor(() => expect(byTestId('style-import-error').textContent).toBe('The file: Notes.txt is not a styles list of an export.'));
  });

  it('says when there are no styles yet', async () => {
    styleList = [];
    await ready();
    expect(byTestId('styles-empty').textContent).toContain('No saved styles yet');
  });
});

describe('variations and several models', () => {
  it('counts and prices every job before sending, then queues them all with Generate', async () => {
    planGeneration.mockImplementation(async () => ok(planOf(['a red boat', 'a blue boat'], ['flux-schnell', 'flux-dev'])));
    await ready();
    expect(byTestId('also-models').textContent).toContain('Also run on');
    expect(screen.queryByTestId('also-model-flux-schnell')).toBeNull(); // the main model is not offered again
    await type('a {red|blue} boat');
    await fireEvent.click(byTestId('also-model-flux-dev'));
    await waitFor(() => expect(byTestId('plan-summary').textContent?.trim()).toBe('4 jobs · 2 prompts × 2 models · about $0.056'), slow);
    const [request, models, cap] = planGeneration.mock.calls.at(-1) ?? [];
    expect(request).toMatchObject({ model: 'flux-schnell', inputs: { prompt: 'a {red|blue} boat' }, style: null });
    expect(models).toEqual(['flux-schnell', 'flux-dev']);
    expect(cap).toBe(16);
    expect(generatePlan).not.toHaveBeenCalled();
    expect(byTestId('generate').textContent).toContain('Generate 4');
    expect(screen.queryByTestId('cost-estimate')).toBeNull();

    await fireEvent.keyDown(window, { key: 'Enter', ctrlKey: true });
    await waitFor(() => expect(generatePlan).toHaveBeenCalledTimes(1));
    expect(generatePlan.mock.calls[0]?.[0].jobs).toHaveLength(4);
    expect(generate).not.toHaveBeenCalled();
    expect(queue.jobs.map((j) => j.id)).toEqual(expect.arrayContaining([60, 61, 62, 63]));
    await waitFor(() => expect(screen.getByText('Queued 4 jobs. Follow them in the queue; you can start more now.')).toBeTruthy());
  });

  it("counts a template's longest prompt, not its braces, and lets a long template through to the plan", async () => {
    planGeneration.mockImplementation(async () => ok(planOf(['a red boat', 'a turquoise boat'], ['flux-schnell'])));
    await ready();
    await type('a {red|turquoise} boat');
    // 16 characters in "a turquoise boat"; the template itself has 22.
    await waitFor(() => expect(byTestId('prompt-counter').textContent?.trim()).toBe('longest 16 / 2,000'), slow);
    expect(byTestId('prompt-counter').getAttribute('title')).toContain('longest of the 2 prompts');

    // Longer than the limit as written, but each prompt it makes is short: the core decides, not the counter.
    const long = `{${'x'.repeat(1500)}|${'y'.repeat(1500)}}`;
    planGeneration.mockImplementation(async () => ok(planOf(['x'.repeat(1500), 'y'.repeat(1500)], ['flux-schnell'])));
    await type(long);
    await waitFor(() => expect(byTestId('prompt-counter').textContent?.trim()).toBe('longest 1,500 / 2,000'), slow);
    expect(planGeneration.mock.calls.at(-1)?.[0]).toMatchObject({ inputs: { prompt: long } });
    expect(screen.queryByText(/Too long/)).toBeNull();
    expect(byTestId('generate').hasAttribute('disabled')).toBe(false);
  });

  it('prices in credits in account mode', async () => {
    mode = 'account';
    planGeneration.mockImplementation(async () => ok(planOf(['a', 'b', 'c', 'd'], ['flux-schnell'])));
    await ready();
    await waitFor(() => expect(createForm.accountMode).toBe(true));
    await type('{a|b|c|d}');
    await waitFor(() => expect(byTestId('plan-summary').textContent?.trim()).toBe('4 jobs · 4 prompts · 12 credits'), slow);
    expect(planGeneration.mock.calls.at(-1)?.[1]).toEqual(['flux-schnell']);
  });

  it('shows broken braces under the prompt and holds Generate', async () => {
    planGeneration.mockImplementation(async () =>
      fail({ kind: 'invalid_input', field: 'prompt', reason: 'the group at character 3 is not closed: `{red|blue boat`' }),
    );
    await ready();
    await type('a {red|blue boat');
    await waitFor(() => expect(byTestId('field-prompt-error').textContent).toBe('The group at character 3 is not closed: `{red|blue boat`.'), slow);
    expect(promptBox().getAttribute('aria-invalid')).toBe('true');
    expect((byTestId('generate') as HTMLButtonElement).disabled).toBe(true);
    expect(screen.queryByTestId('plan-summary')).toBeNull();
    expect(screen.queryByTestId('variation-cap')).toBeNull();
  });

  it('names a value another model does not take under its field, and the rest above Generate', async () => {
    planGeneration.mockImplementation(async () =>
      fail({
        kind: 'invalid_fields',
        fields: [
          { field: 'num_inference_steps', reason: 'must be at most 4 (with flux-schnell)' },
          { field: 'model', reason: 'flux-1.1-pro is not offered with Flux Krea credits right now' },
        ],
      }),
    );
    await ready();
    await type('a boat');
    await fireEvent.click(byTestId('also-model-flux-1.1-pro'));
    await waitFor(() => expect(byTestId('field-num_inference_steps-error').textContent).toBe('Must be at most 4 (with flux-schnell).'), slow);
    expect(byTestId('plan-error').textContent).toContain('Flux-1.1-pro is not offered with Flux Krea credits right now.');
    expect((byTestId('generate') as HTMLButtonElement).disabled).toBe(true);
    // Unticked, there is nothing to plan: the problems go and Generate is back.
    await fireEvent.click(byTestId('also-model-flux-1.1-pro'));
    expect(screen.queryByTestId('plan-error')).toBeNull();
    expect((byTestId('generate') as HTMLButtonElement).disabled).toBe(false);
  });

  it('offers a higher variation limit when the prompt makes too many', async () => {
    planGeneration.mockImplementation(async (...args: unknown[]) =>
      args[2] === 16
        ? fail({ kind: 'invalid_input', field: 'prompt', reason: 'makes 20 prompts, more than the limit of 16; raise the limit or remove a choice' })
        : ok(
            planOf(
              Array.from({ length: 20 }, (_, i) => `p${i}`),
              ['flux-schnell'],
            ),
          ),
    );
    await ready();
    await type('{a|b|c|d|e} {1|2|3|4}');
    await waitFor(() => expect(byTestId('field-prompt-error').textContent).toContain('more than the limit of 16'), slow);
    const cap = byTestId('variation-cap') as HTMLInputElement;
    expect(cap.value).toBe('16');
    await fireEvent.input(cap, { target: { value: '300' } });
    expect(screen.getByText('Use a whole number from 1 to 256.')).toBeTruthy();
    await fireEvent.input(cap, { target: { value: '32' } });
    await waitFor(() => expect(byTestId('plan-summary').textContent).toContain('20 jobs'), slow);
    expect(planGeneration.mock.calls.at(-1)?.[2]).toBe(32);
    expect(screen.queryByTestId('field-prompt-error')).toBeNull();
  });

  it('sends one job of a template through the plan, so its escapes are resolved', async () => {
    planGeneration.mockImplementation(async () => ok(planOf(['a {literal} brace'], ['flux-schnell'])));
    await ready();
    await type('a \\{literal\\} brace');
    await waitFor(() => expect(planGeneration).toHaveBeenCalled(), slow);
    expect(screen.queryByTestId('plan-summary')).toBeNull(); // one job on one model: nothing more to say
    await fireEvent.click(byTestId('generate'));
    await waitFor(() => expect(generatePlan).toHaveBeenCalledTimes(1));
    expect(generate).not.toHaveBeenCalled();
  });
});

describe('the draft', () => {
  it('comes back at the start when the form is empty, and is not saved again unchanged', async () => {
    storedDraft = { model: 'flux-dev', prompt: 'a half-written idea', models: ['flux-1.1-pro'], style: 'noir' };
    await ready();
    await waitFor(() => expect(promptBox().value).toBe('a half-written idea'));
    expect(byTestId('model-flux-dev').getAttribute('aria-checked')).toBe('true');
    expect((byTestId('also-model-flux-1.1-pro') as HTMLInputElement).checked).toBe(true);
    expect(byTestId('style-applied').textContent).toContain('Noir');
    await new Promise((r) => setTimeout(r, 700));
    expect(saveDraft).not.toHaveBeenCalled();
  });

  it('is saved shortly after typing, with the models and the style', async () => {
    await ready();
    await type('a new idea');
    await fireEvent.click(byTestId('style-chip-noir'));
    await fireEvent.click(byTestId('also-model-flux-dev'));
    await waitFor(() => expect(saveDraft).toHaveBeenCalled(), slow);
    expect(saveDraft).toHaveBeenCalledTimes(1);
    expect(saveDraft.mock.calls[0]?.[0]).toEqual({ model: 'flux-schnell', prompt: 'a new idea', models: ['flux-dev'], style: 'Noir' });
  });

  it('does not replace what is already in the form', async () => {
    storedDraft = { model: 'flux-dev', prompt: 'the stored draft', models: [], style: null };
    createForm.set('prompt', 'typed first');
    await ready();
    await waitFor(() => expect(within(byTestId('create-form')).getByTestId('prompt')).toBeTruthy());
    await new Promise((r) => setTimeout(r, 50));
    expect(promptBox().value).toBe('typed first');
    expect(createForm.modelId).toBe('flux-schnell');
  });
});
