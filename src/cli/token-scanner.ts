// Finds auth tokens whose checksum matches in a stream of bytes fed in pieces: memory stays bounded by the piece size,
// whatever the file's size, line length or content (binary bytes are read as Latin-1; tokens are ASCII).
import { maskCredential, parseCredential } from '../core/credentials.ts';

const TOKEN = /(?<![A-Za-z0-9_-])(?:lsci-|ls-)[A-Za-z0-9]{8}-[A-Za-z0-9]{4}-[A-Za-z0-9]{4}-[A-Za-z0-9]{4}-[A-Za-z0-9]{12}(?![A-Za-z0-9_-])/g;
/** Kept from one piece to the next: longer than a token (41 characters) plus the character before it. */
const CARRY = 64;

export interface TokenFinding {
  line: number;
  /** The masked token: prefix and 4 characters. */
  masked: string;
  kind: 'developer' | 'ci';
}

function countLines(text: string, from: number, to: number): number {
  let n = 0;
  for (let i = text.indexOf('\n', from); i !== -1 && i < to; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

/** Push pieces in order, then end(); each call returns the tokens it could settle. */
export class TokenScanner {
  private carry = '';
  /** Absolute offset of carry[0], its line, and the offset before which every match was already judged. */
  private carryAt = 0;
  private carryLine = 1;
  private judgedTo = 0;

  push(piece: Buffer | string): TokenFinding[] {
    return this.scan(this.carry + (typeof piece === 'string' ? piece : piece.toString('latin1')), false);
  }

  end(): TokenFinding[] {
    return this.scan(this.carry, true);
  }

  private scan(text: string, last: boolean): TokenFinding[] {
    const found: TokenFinding[] = [];
    let line = this.carryLine;
    let lineAt = 0;
    for (const m of text.matchAll(TOKEN)) {
      const at = this.carryAt + m.index;
      // Judged before; or at the carry's first character, whose left neighbour is gone (it was judged with it).
      if (at < this.judgedTo || (m.index === 0 && this.carryAt > 0)) continue;
      // A match that touches the end may go on in the next piece: judged then.
      if (!last && m.index + m[0].length >= text.length) break;
      this.judgedTo = at + 1;
      line += countLines(text, lineAt, m.index);
      lineAt = m.index;
      try {
        const credential = parseCredential(m[0]);
        found.push({ line, masked: maskCredential(m[0]), kind: credential.kind === 'ci' ? 'ci' : 'developer' });
      } catch {
        // The form without a matching checksum: a look-alike (docs, tests, placeholders), not a token.
      }
    }
    const keepFrom = Math.max(0, text.length - CARRY);
    this.carryLine += countLines(text, 0, keepFrom);
    this.carryAt += keepFrom;
    this.carry = text.slice(keepFrom);
    return found;
  }
}
