/** The core marks matched words between U+0002 and U+0003; split them out for safe rendering (no HTML). */
export interface Segment {
  text: string;
  match: boolean;
}

export function highlightSegments(marked: string): Segment[] {
  const out: Segment[] = [];
  let match = false;
  let current = '';
  for (const ch of marked) {
    if (ch === '\u0002' || ch === '\u0003') {
      if (current) out.push({ text: current, match });
      current = '';
      match = ch === '\u0002';
    } else {
      current += ch;
    }
  }
  if (current) out.push({ text: current, match });
  return out;
}
