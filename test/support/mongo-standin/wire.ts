import { BSON, type Document } from 'bson';

/**
 * MongoDB wire framing: just the three opcodes the official driver uses against a server that
 * advertises no compression. Every message starts with a 16-byte little-endian header
 * (length, requestID, responseTo, opCode).
 */
export const OP_REPLY = 1;
export const OP_QUERY = 2004;
export const OP_MSG = 2013;

const HEADER_SIZE = 16;
/** OP_MSG flag bits. */
const CHECKSUM_PRESENT = 1 << 0;
export const MORE_TO_COME = 1 << 1;

/** Stored documents keep JS numbers; Longs that fit are promoted, as a driver would. */
const DESERIALIZE_OPTIONS = { promoteLongs: true, promoteValues: true, promoteBuffers: false };

export type IncomingMessage =
  | { kind: 'query'; requestId: number; namespace: string; query: Document }
  | { kind: 'msg'; requestId: number; flags: number; command: Document };

export function decodeDocument(bytes: Buffer, offset: number): { doc: Document; size: number } {
  const size = bytes.readInt32LE(offset);
  return {
    doc: BSON.deserialize(bytes.subarray(offset, offset + size), DESERIALIZE_OPTIONS),
    size,
  };
}

/**
 * Turns one complete message into a command. For OP_MSG, kind-1 document sequences (how the
 * driver ships `documents`, `updates`, `deletes`) are folded into the body under their
 * identifier, so command handlers see one plain document either way.
 */
export function decodeMessage(
  message: Buffer,
): IncomingMessage | { kind: 'unsupported'; opCode: number } {
  const requestId = message.readInt32LE(4);
  const opCode = message.readInt32LE(12);
  if (opCode === OP_QUERY) {
    let offset = HEADER_SIZE + 4; // skip flags
    const end = message.indexOf(0, offset);
    const namespace = message.toString('utf8', offset, end);
    offset = end + 1 + 8; // skip numberToSkip and numberToReturn
    return { kind: 'query', requestId, namespace, query: decodeDocument(message, offset).doc };
  }
  if (opCode !== OP_MSG) return { kind: 'unsupported', opCode };

  const flags = message.readUInt32LE(HEADER_SIZE);
  const end = message.length - (flags & CHECKSUM_PRESENT ? 4 : 0);
  let offset = HEADER_SIZE + 4;
  let command: Document = {};
  const sequences: Array<[string, Document[]]> = [];
  while (offset < end) {
    const sectionKind = message[offset++];
    if (sectionKind === 0) {
      const { doc, size } = decodeDocument(message, offset);
      command = doc;
      offset += size;
    } else {
      const sectionEnd = offset + message.readInt32LE(offset);
      const nameEnd = message.indexOf(0, offset + 4);
      const identifier = message.toString('utf8', offset + 4, nameEnd);
      const docs: Document[] = [];
      for (let at = nameEnd + 1; at < sectionEnd; ) {
        const { doc, size } = decodeDocument(message, at);
        docs.push(doc);
        at += size;
      }
      sequences.push([identifier, docs]);
      offset = sectionEnd;
    }
  }
  for (const [identifier, docs] of sequences) command[identifier] = docs;
  return { kind: 'msg', requestId, flags, command };
}

function header(length: number, requestId: number, responseTo: number, opCode: number): Buffer {
  const head = Buffer.alloc(HEADER_SIZE);
  head.writeInt32LE(length, 0);
  head.writeInt32LE(requestId, 4);
  head.writeInt32LE(responseTo, 8);
  head.writeInt32LE(opCode, 12);
  return head;
}

/** The legacy reply to an OP_QUERY (only the handshake uses it): one document, no cursor. */
export function encodeReply(requestId: number, responseTo: number, doc: Document): Buffer {
  const body = Buffer.from(BSON.serialize(doc));
  const fields = Buffer.alloc(20); // responseFlags, cursorID (int64), startingFrom, numberReturned
  fields.writeInt32LE(1, 16);
  const length = HEADER_SIZE + fields.length + body.length;
  return Buffer.concat([header(length, requestId, responseTo, OP_REPLY), fields, body]);
}

/** An OP_MSG reply: no flags (we never stream), a single kind-0 body section. */
export function encodeMsg(requestId: number, responseTo: number, doc: Document): Buffer {
  const body = Buffer.from(BSON.serialize(doc));
  const prefix = Buffer.alloc(5); // flagBits (uint32) = 0, section kind = 0
  const length = HEADER_SIZE + prefix.length + body.length;
  return Buffer.concat([header(length, requestId, responseTo, OP_MSG), prefix, body]);
}

/** Accumulates socket chunks and yields each complete message exactly once. */
export class MessageFramer {
  private pending: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Buffer[] {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const messages: Buffer[] = [];
    while (this.pending.length >= 4) {
      const length = this.pending.readInt32LE(0);
      if (this.pending.length < length) break;
      messages.push(this.pending.subarray(0, length));
      this.pending = this.pending.subarray(length);
    }
    return messages;
  }
}
