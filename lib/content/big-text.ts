/**
 * Reading a subtree whose text is over TEXT_CAP (a huge first load, a log dump) in bounded steps:
 * its readable text (dom-text.ts) is cut into overlapping chunks, a few hundred kilobytes of it per
 * idle slice, so a denial anywhere in it is seen without one long main-thread task.
 */
import { textWalk } from './dom-text';

/** Characters per chunk handed on (the parser reads each as one text). */
export const CHUNK_CHARS = 256_000;
/** Carried into the next chunk, so a denial across a chunk boundary is whole in one of them. */
export const OVERLAP_CHARS = 4_000;

export class BigTextRead {
  private readonly next: () => string | null;
  /** Text not yet handed on (it starts with the previous chunk's overlap). */
  private buffer = '';
  /** The rest of a text node longer than one step's budget. */
  private carry = '';
  /** Characters in `buffer` that no chunk has carried yet. */
  private fresh = 0;
  private chunks = 0;
  done = false;

  constructor(
    readonly root: Node,
    readonly source: string,
    onElement?: (el: Element) => void,
  ) {
    this.next = textWalk(root, onElement);
  }

  /** Reads about `budget` characters more; returns the chunks completed, each with its source id. */
  step(budget: number): Array<{ text: string; source: string }> {
    const out: Array<{ text: string; source: string }> = [];
    let read = 0;
    while (read < budget && !this.done) {
      let piece = this.carry || this.next();
      if (piece === null) {
        this.done = true;
        if (this.fresh > 0) out.push(this.chunk(this.buffer));
        break;
      }
      this.carry = piece.length > budget - read ? piece.slice(budget - read) : '';
      piece = this.carry ? piece.slice(0, budget - read) : piece;
      this.buffer += piece;
      this.fresh += piece.length;
      read += piece.length;
      while (this.buffer.length >= CHUNK_CHARS) {
        out.push(this.chunk(this.buffer.slice(0, CHUNK_CHARS)));
        this.buffer = this.buffer.slice(CHUNK_CHARS - OVERLAP_CHARS);
        this.fresh = this.buffer.length - OVERLAP_CHARS;
      }
    }
    return out;
  }

  private chunk(text: string): { text: string; source: string } {
    return { text, source: `${this.source}#${this.chunks++}` };
  }
}
