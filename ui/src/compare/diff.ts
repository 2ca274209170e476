import type { GenerationDetails } from '../lib/bindings';
import { formatCredits, formatUsd, formatWhen } from '../lib/format';

/** One parameter across the compared generations: its value for each, and whether they disagree. */
export interface DiffRow {
  key: string;
  label: string;
  values: string[];
  differs: boolean;
}

const MISSING = '—';

/** The model inputs as sent; a record that cannot be read counts as having none. */
function inputsOf(d: GenerationDetails): Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(d.generation.inputs);
    return parsed && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

function input(d: GenerationDetails, names: string[]): string | null {
  const inputs = inputsOf(d);
  for (const name of names) {
    const v = inputs[name];
    if (typeof v === 'number' || typeof v === 'string') return String(v);
  }
  return null;
}

function size(d: GenerationDetails): string | null {
  const image = d.images[0];
  if (image) return `${image.width} × ${image.height}`;
  return input(d, ['aspect_ratio']);
}

function cost(d: GenerationDetails): string | null {
  const g = d.generation;
  if (g.cost_credits != null) return formatCredits(g.cost_credits);
  if (g.cost_usd != null) return `${formatUsd(g.cost_usd)} (estimate)`;
  return null;
}

type Getter = (d: GenerationDetails, now: number) => string | null;

/** The rows in the order shown; `optional` rows appear only when some generation has the value. */
const ROWS: { key: string; label: string; get: Getter; optional?: boolean }[] = [
  { key: 'prompt', label: 'Prompt', get: (d) => d.generation.prompt },
  { key: 'model', label: 'Model', get: (d) => d.generation.model },
  { key: 'seed', label: 'Seed', get: (d) => (d.generation.seed === null ? null : String(d.generation.seed)) },
  { key: 'size', label: 'Size', get: size },
  { key: 'steps', label: 'Steps', get: (d) => input(d, ['num_inference_steps', 'steps']), optional: true },
  { key: 'guidance', label: 'Guidance', get: (d) => input(d, ['guidance', 'guidance_scale']), optional: true },
  { key: 'cost', label: 'Cost', get: cost },
  { key: 'date', label: 'Date', get: (d, now) => formatWhen(d.generation.created_at, now) },
];

/** The parameters of each generation side by side, a row marked when its values are not all the same. */
export function diffRows(details: readonly GenerationDetails[], now = Date.now()): DiffRow[] {
  const rows: DiffRow[] = [];
  for (const row of ROWS) {
    const raw = details.map((d) => row.get(d, now));
    if (row.optional && raw.every((v) => v === null)) continue;
    const values = raw.map((v) => v ?? MISSING);
    rows.push({ key: row.key, label: row.label, values, differs: new Set(values).size > 1 });
  }
  return rows;
}
