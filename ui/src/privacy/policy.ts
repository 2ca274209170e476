import policyText from './policy.txt?raw';

/** A piece of the policy as it is shown: a heading, a paragraph or a list. */
export type PolicyBlock = { kind: 'heading'; text: string; numbered: boolean } | { kind: 'paragraph'; text: string } | { kind: 'list'; items: PolicyItem[] };

/** "Account Information: Your name, …" keeps its label apart, to be shown in bold. */
export interface PolicyItem {
  label: string | null;
  text: string;
}

export interface Policy {
  title: string;
  /** The "Last updated" date as written, and as yyyy-mm-dd for `<time>` when it reads as a date. */
  updated: { text: string; iso: string | null } | null;
  blocks: PolicyBlock[];
}

const MONTHS = ['january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december'];

/** "August 3, 2025" → "2025-08-03"; null for anything else. */
export function isoDate(text: string): string | null {
  const m = /^([A-Za-z]+)\s+(\d{1,2}),?\s+(\d{4})$/.exec(text.trim());
  if (!m) return null;
  const month = MONTHS.indexOf(m[1]!.toLowerCase());
  const day = Number(m[2]);
  if (month < 0 || day < 1 || day > 31) return null;
  return `${m[3]}-${String(month + 1).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

/** A short line without a final punctuation mark: "Introduction", "1. Information We Collect". */
function isHeading(line: string): boolean {
  return line.length <= 80 && !/[.:;,!?]$/.test(line);
}

function item(text: string): PolicyItem {
  const m = /^([^:]{1,48}):\s+(.+)$/.exec(text);
  return m ? { label: m[1]!, text: m[2]! } : { label: null, text };
}

/**
 * Reads the policy's plain text: the first line is the title, then a "Last updated" line; short
 * lines without a final period are headings, lines starting with "- " list items (blank lines end
 * a list), and the rest paragraphs.
 */
export function parsePolicy(text: string): Policy {
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  let title = '';
  let updated: Policy['updated'] = null;
  const blocks: PolicyBlock[] = [];
  let list: PolicyItem[] | null = null;

  for (const raw of lines) {
    const line = raw.trim();
    if (line === '') {
      list = null;
      continue;
    }
    if (!title) {
      title = line;
      continue;
    }
    const date = /^last updated:?\s*(.+)$/i.exec(line);
    if (date && !updated && blocks.length === 0) {
      updated = { text: date[1]!, iso: isoDate(date[1]!) };
      continue;
    }
    const bullet = /^[-•*]\s+(.*)$/.exec(line);
    if (bullet) {
      if (!list) {
        list = [];
        blocks.push({ kind: 'list', items: list });
      }
      list.push(item(bullet[1]!));
      continue;
    }
    list = null;
    if (isHeading(line)) blocks.push({ kind: 'heading', text: line, numbered: /^\d+\.\s/.test(line) });
    else blocks.push({ kind: 'paragraph', text: line });
  }
  return { title, updated, blocks };
}

/** The platform's privacy policy, as published (policy.txt). */
export const POLICY: Policy = parsePolicy(policyText);
