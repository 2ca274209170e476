import { describe, expect, it, vi } from 'vitest';
import { createRawSnippet } from 'svelte';
import { fireEvent, render, screen } from '@testing-library/svelte';
import ConfirmPanel from './ConfirmPanel.svelte';

const words = createRawSnippet(() => ({ render: () => '<span>This cannot be undone.</span>' }));

function setup(props: Record<string, unknown> = {}) {
  const onConfirm = vi.fn();
  const onCancel = vi.fn();
  render(ConfirmPanel, { props: { children: words, confirm: 'Erase', testid: 'erase-confirm', onConfirm, onCancel, ...props } });
  return { onConfirm, onCancel };
}

describe('ConfirmPanel', () => {
  it('is a group labelled by its words, with confirm and cancel buttons', async () => {
    const { onConfirm, onCancel } = setup({ id: 'erase-what' });
    const group = screen.getByRole('group', { name: 'This cannot be undone.' });
    expect(group.querySelector('#erase-what')?.textContent).toBe('This cannot be undone.');
    await fireEvent.click(screen.getByTestId('erase-confirm'));
    expect(onConfirm).toHaveBeenCalledTimes(1);
    await fireEvent.click(screen.getByRole('button', { name: 'Cancel' }));
    expect(onCancel).toHaveBeenCalledTimes(1);
  });

  it('cancels on Escape, which goes no further', async () => {
    const screenEscape = vi.fn();
    window.addEventListener('keydown', screenEscape);
    const { onCancel } = setup({ cancel: 'Keep' });
    await fireEvent.keyDown(screen.getByRole('button', { name: 'Keep' }), { key: 'Escape' });
    await fireEvent.keyDown(screen.getByTestId('erase-confirm'), { key: 'Escape' });
    window.removeEventListener('keydown', screenEscape);
    expect(onCancel).toHaveBeenCalledTimes(2);
    expect(screenEscape).not.toHaveBeenCalled();
  });

  it('leaves Escape to the screen when told to', async () => {
    const screenEscape = vi.fn();
    window.addEventListener('keydown', screenEscape);
    const { onCancel } = setup({ escapeCancels: false, focusCancel: false });
    await fireEvent.keyDown(screen.getByTestId('erase-confirm'), { key: 'Escape' });
    window.removeEventListener('keydown', screenEscape);
    expect(onCancel).not.toHaveBeenCalled();
    expect(screenEscape).toHaveBeenCalledTimes(1);
    expect(screen.getByRole('button', { name: 'Cancel' }).autofocus).toBe(false);
  });

  it('says what runs, with a spinner, and holds both buttons while told to', () => {
    setup({ working: 'Erasing…', disabled: true, cancelDisabled: true });
    const confirm = screen.getByTestId('erase-confirm') as HTMLButtonElement;
    expect(confirm.textContent?.trim()).toBe('Erasing…');
    expect(confirm.querySelector('.spinner')).toBeTruthy();
    expect(confirm.disabled).toBe(true);
    expect((screen.getByRole('button', { name: 'Cancel' }) as HTMLButtonElement).disabled).toBe(true);
  });
});
