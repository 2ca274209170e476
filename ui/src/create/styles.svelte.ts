import { commands, type Style_Serialize, type StyleDraft_Serialize, type StyleImport } from '../lib/bindings';
import { CommandError, messageOf, unwrap } from '../lib/errors';
import { sentence } from '../lib/format';

export type Style = Style_Serialize;
export type StyleDraft = StyleDraft_Serialize;

/** A refusal by field ('name', 'prefix', 'file'…) when the core names one, else in words under 'form'. */
export function problemOf(e: unknown): { field: string; message: string } {
  if (e instanceof CommandError && e.error.kind === 'invalid_input') return { field: e.error.field, message: sentence(e.error.reason) };
  return { field: 'form', message: messageOf(e) };
}

/** "Imported 3 styles from export.zip (1 replaced)." */
export function describeImport(report: StyleImport): string {
  const n = report.added + report.replaced;
  const file = report.file.split(/[\\/]/).pop() ?? report.file;
  const replaced = report.replaced > 0 ? ` (${report.replaced} replaced)` : '';
  return `Imported ${n} ${n === 1 ? 'style' : 'styles'} from ${file}${replaced}.`;
}

/** The saved styles, in the core's order. One module-level list, loaded once and after each change. */
export class Styles {
  list = $state<Style[]>([]);
  loaded = $state(false);
  error = $state<string | null>(null);

  #load: Promise<void> | null = null;

  /** Loads once (`force` again); never throws: the row shows the error. */
  load(force = false): Promise<void> {
    if (force) this.#load = null;
    // Started in a `then`, so even a synchronous failure lands in the error below.
    this.#load ??= Promise.resolve()
      .then(() => unwrap(commands.listStyles()))
      .then(
        (list) => {
          this.list = list;
          this.error = null;
          this.loaded = true;
        },
        (e: unknown) => {
          this.#load = null;
          this.error = messageOf(e);
        },
      );
    return this.#load;
  }

  find(name: string): Style | null {
    const lower = name.toLowerCase();
    return this.list.find((s) => s.name.toLowerCase() === lower) ?? null;
  }

  /** Saves (a style of the same name, in any case, is replaced). Throws the core's refusal. */
  async save(draft: StyleDraft): Promise<Style> {
    const saved = await unwrap(commands.saveStyle(draft));
    const lower = saved.name.toLowerCase();
    // The core's order: by name, in any case.
    this.list = [...this.list.filter((s) => s.name.toLowerCase() !== lower), saved].sort((a, b) => a.name.toLowerCase().localeCompare(b.name.toLowerCase()));
    return saved;
  }

  async remove(name: string): Promise<void> {
    await unwrap(commands.deleteStyle(name));
    this.list = this.list.filter((s) => s.name !== name);
  }

  /** The core asks for the file itself; null when the dialog was cancelled. */
  async importFile(): Promise<StyleImport | null> {
    const report = await unwrap(commands.importStyles());
    if (report) await this.load(true);
    return report;
  }

  reset(): void {
    this.list = [];
    this.loaded = false;
    this.error = null;
    this.#load = null;
  }
}

export const styles = new Styles();
