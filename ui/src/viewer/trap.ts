const FOCUSABLE = ['a[href]', 'button:not([disabled])', 'input:not([disabled])', 'select:not([disabled])', 'textarea:not([disabled])', '[tabindex]'].join(',');

/** The elements of `root` that Tab reaches, in order (hidden ones and tabindex −1 left out). */
export function tabbables(root: HTMLElement): HTMLElement[] {
  return [...root.querySelectorAll<HTMLElement>(FOCUSABLE)].filter((el) => el.tabIndex >= 0 && !el.closest('[hidden], [inert]'));
}

/**
 * Keeps Tab and Shift+Tab inside a modal: from the last control to the first and back, and into
 * the modal from anywhere else. Returns whether it moved the focus itself.
 */
export function trapTab(event: KeyboardEvent, root: HTMLElement): boolean {
  if (event.key !== 'Tab') return false;
  const list = tabbables(root);
  const active = document.activeElement;
  const inside = active instanceof HTMLElement && root.contains(active) && active !== root;
  const first = list[0];
  const last = list[list.length - 1];
  let to: HTMLElement | undefined;
  if (!first) to = root;
  else if (event.shiftKey && (!inside || active === first)) to = last;
  else if (!event.shiftKey && (!inside || active === last)) to = first;
  if (!to) return false;
  event.preventDefault();
  to.focus();
  return true;
}
