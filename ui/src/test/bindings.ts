/**
 * Stand-ins for the generated bindings (lib/bindings.ts) and the Tauri modules under them, shared by
 * the tests. A test mocks the bindings with the commands it uses, each calling the test's own fake:
 *
 *   import { mockBindings, ok } from '../test/bindings';
 *   vi.mock('../lib/bindings', () => mockBindings({ galleryPage: (q: GalleryQuery) => galleryPage(q) }));
 *
 * vi.mock runs before the test's imports are done, so import this file before the code under test
 * (vitest says "Cannot access '__vi_import_…' before initialization" otherwise).
 */
import type { AccountStatus_Serialize, commands, Error as CoreError, events } from '../lib/bindings';

/** A command's answer, as the generated bindings give it. */
export type Result = { status: 'ok'; data: unknown } | { status: 'error'; error: unknown };
export const ok = (data: unknown): Result => ({ status: 'ok', data });
export const fail = (error: CoreError): Result => ({ status: 'error', error });

type Fake = (...args: never[]) => unknown;

/** An event nothing sends: listening works, and never hears anything. */
const silent = { listen: async () => () => {} };
const SILENT_EVENTS = {
  exportProgress: silent,
  jobUpdated: silent,
  navigateRequested: silent,
  updateStatusChanged: silent,
} satisfies Record<keyof typeof events, { listen: Fake }>;

/**
 * The bindings module as a test sees it: the commands given (a name the bindings lack does not
 * type-check) and the events given; every other event is silent.
 */
export function mockBindings(
  fakeCommands: Partial<Record<keyof typeof commands, Fake>>,
  fakeEvents: Partial<Record<keyof typeof events, { listen: Fake }>> = {},
) {
  return { commands: fakeCommands, events: { ...SILENT_EVENTS, ...fakeEvents } };
}

/** @tauri-apps/api/core for components that show stored images: a file path becomes an asset URL. */
export const tauriCore = { convertFileSrc: (path: string) => `asset://${path}` };

/** @tauri-apps/api/webview for the picture inputs: drag and drop is listened to and never happens. */
export const tauriWebview = { getCurrentWebview: () => ({ onDragDropEvent: async () => () => {} }) };

/** An account status: account mode available and signed out, unless the patch says otherwise. */
export function accountStatus(patch: Partial<AccountStatus_Serialize> = {}): AccountStatus_Serialize {
  return {
    available: true,
    signed_in: false,
    sign_in_pending: false,
    session_ending: false,
    profile: null,
    balance: null,
    own_key_configured: false,
    age_confirmed: true,
    preferred_mode: null,
    active_mode: null,
    keychain_unavailable: null,
    ...patch,
  };
}
