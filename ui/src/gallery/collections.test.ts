import { describe, expect, it, vi, beforeEach } from 'vitest';
import { render, screen, fireEvent, waitFor } from '@testing-library/svelte';
import type { Collection } from '../lib/bindings';
import { fail, mockBindings, ok, type Result } from '../test/bindings';

let renameAnswer: (id: number, name: string) => Result = (id, name) => ok({ id, name, created_at: 1, items: 3 });
const renameCollection = vi.fn(async (id: number, name: string) => renameAnswer(id, name));
const deleteCollection = vi.fn(async (_id: number) => ok(null));

vi.mock('../lib/bindings', () =>
  mockBindings({
    renameCollection: (id: number, name: string) => renameCollection(id, name),
    deleteCollection: (id: number) => deleteCollection(id),
  }),
);

import CollectionsManager from './CollectionsManager.svelte';

const initial: Collection[] = [
  { id: 1, name: 'Lighthouses', created_at: 1, items: 3 },
  { id: 2, name: 'Foxes', created_at: 2, items: 1 },
];

function setup() {
  let list = initial;
  const onChange = vi.fn((next: Collection[]) => (list = next));
  const onDeleted = vi.fn();
  const view = render(CollectionsManager, { props: { collections: list, onChange, onDeleted } });
  const sync = () => view.rerender({ collections: list, onChange, onDeleted });
  return { onChange, onDeleted, sync, current: () => list };
}

const byTestId = (id: string) => screen.getByTestId(id);

describe('Collections: rename and delete', () => {
  beforeEach(() => {
    renameCollection.mockClear();
    deleteCollection.mockClear();
    renameAnswer = (id, name) => ok({ id, name, created_at: 1, items: 3 });
  });

  it('renames inline: Enter saves', async () => {
    const { onChange, sync, current } = setup();
    await fireEvent.click(byTestId('collection-rename-1'));
    const input = byTestId('collection-name-1') as HTMLInputElement;
    expect(input.value).toBe('Lighthouses');
    await waitFor(() => expect(document.activeElement).toBe(input));
    await fireEvent.input(input, { target: { value: '  Coastlines ' } });
    await fireEvent.keyDown(input, { key: 'Enter' });
    await waitFor(() => expect(onChange).toHaveBeenCalledTimes(1));
    expect(renameCollection).toHaveBeenCalledWith(1, 'Coastlines');
    expect(current().map((c) => c.name)).toEqual(['Coastlines', 'Foxes']);
    await sync();
    expect(screen.queryByTestId('collection-name-1')).toBeNull();
    expect(screen.getByText('Coastlines')).toBeTruthy();
  });

  it('Escape cancels a rename without saving, and does not reach the gallery', async () => {
    setup();
    const windowEscape = vi.fn();
    window.addEventListener('keydown', windowEscape);
    await fireEvent.click(byTestId('collection-rename-2'));
    const input = byTestId('collection-name-2');
    await fireEvent.input(input, { target: { value: 'Wolves' } });
    await fireEvent.keyDown(input, { key: 'Escape' });
    window.removeEventListener('keydown', windowEscape);
    expect(screen.queryByTestId('collection-name-2')).toBeNull();
    expect(screen.getByText('Foxes')).toBeTruthy();
    expect(renameCollection).not.toHaveBeenCalled();
    expect(windowEscape).not.toHaveBeenCalled();
  });

  it("shows the core's answer when a name is taken, and keeps editing", async () => {
    const { onChange } = setup();
    renameAnswer = () => fail({ kind: 'invalid_input', field: 'name', reason: 'a collection named "Foxes" already exists' });
    await fireEvent.click(byTestId('collection-rename-1'));
    const input = byTestId('collection-name-1');
    await fireEvent.input(input, { target: { value: 'Foxes' } });
    await fireEvent.keyDown(input, { key: 'Enter' });
    await waitFor(() => expect(byTestId('collection-error').textContent).toBe('name: a collection named "Foxes" already exists'));
    expect(input.getAttribute('aria-invalid')).toBe('true');
    expect(byTestId('collection-name-1')).toBe(input);
    expect(onChange).not.toHaveBeenCalled();
  });

  it('refuses an empty name without asking the core', async () => {
    setup();
    await fireEvent.click(byTestId('collection-rename-1'));
    const input = byTestId('collection-name-1');
    await fireEvent.input(input, { target: { value: '   ' } });
    await fireEvent.keyDown(input, { key: 'Enter' });
    expect(byTestId('collection-error').textContent).toBe('A collection needs a name.');
    expect(renameCollection).not.toHaveBeenCalled();
  });

  it('deletes after a confirm that says the images stay', async () => {
    const { onChange, onDeleted, current, sync } = setup();
    await fireEvent.click(byTestId('collection-delete-1'));
    expect(deleteCollection).not.toHaveBeenCalled();
    const confirm = byTestId('collection-delete-confirm');
    expect(confirm.closest('li')?.textContent).toContain('Its 3 images stay in your gallery.');
    await fireEvent.click(confirm);
    await waitFor(() => expect(onDeleted).toHaveBeenCalledWith(1));
    expect(deleteCollection).toHaveBeenCalledWith(1);
    expect(onChange).toHaveBeenCalledTimes(1);
    expect(current().map((c) => c.id)).toEqual([2]);
    await sync();
    expect(screen.queryByTestId('collection-delete-1')).toBeNull();
    expect(screen.queryByTestId('collection-delete-confirm')).toBeNull();
  });

  it('cancelling the confirm deletes nothing', async () => {
    setup();
    await fireEvent.click(byTestId('collection-delete-2'));
    await fireEvent.click(screen.getByRole('button', { name: 'Cancel' }));
    expect(screen.queryByTestId('collection-delete-confirm')).toBeNull();
    expect(byTestId('collection-delete-2')).toBeTruthy();
    expect(deleteCollection).not.toHaveBeenCalled();
  });
});
