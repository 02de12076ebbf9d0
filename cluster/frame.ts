/**
 * The wire format between nodes. A connection opens with an 8-byte preamble (so a node can
 * tell its peers from HTTP clients on the same port), then carries frames:
 *
 *   frame   = length:u32be payload            (length counts the payload only)
 *   hello   = 1 json-utf8                     ({ v: 1, from: sender's node id, -1 for a tool })
 *   request = 2 callId:u32be methodLen:u16be method-utf8 args    (args: labrpc codec bytes)
 *   reply   = 3 callId:u32be status:u8 body   (status 0: body is the reply's codec bytes;
 *                                              status 1: body is an error text, the call fails)
 *
 * A header that announces more than the frame limit is refused before a byte of its body is
 * buffered: a peer cannot make a node allocate what it announces.
 */

/** First bytes of every node-to-node connection. An HTTP request cannot start with a NUL byte. */
export const preamble = Buffer.from('\0RAFTLAB', 'latin1');

/**
 * Largest payload accepted or sent: 64 MiB. A frame carries one RPC, and the largest honest one
 * is an InstallSnapshot (the whole key/value state) or an AppendEntries catching a follower up;
 * 64 MiB is far above what a lab cluster holds, and small enough that a peer cannot exhaust memory.
 */
export const defaultMaxFrameBytes = 64 * 1024 * 1024;

export const frameHeaderBytes = 4;
/** Longest "Service.Method" name: 6.5840's names are a few dozen characters. */
export const maxMethodBytes = 256;

export const FrameKind = { hello: 1, request: 2, reply: 3 } as const;

export interface Hello {
  kind: 'hello';
  from: number;
}
export interface Request {
  kind: 'request';
  callId: number;
  method: string;
  args: Uint8Array;
}
export interface Reply {
  kind: 'reply';
  callId: number;
  ok: boolean;
  /** The reply's codec bytes when ok; an error text's bytes otherwise. */
  body: Uint8Array;
}
export type Message = Hello | Request | Reply;

/** The bytes on the wire do not follow the format above; the connection is closed. */
export class FrameError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FrameError';
  }
}

/** Frames a payload: its length, then the payload itself. */
function framed(payload: Buffer): Buffer {
  const header = Buffer.allocUnsafe(frameHeaderBytes);
  header.writeUInt32BE(payload.length, 0);
  return Buffer.concat([header, payload]);
}

export function encodeHello(from: number): Buffer {
  return framed(Buffer.concat([Buffer.from([FrameKind.hello]), Buffer.from(JSON.stringify({ v: 1, from }), 'utf8')]));
}

export function encodeRequest(callId: number, method: string, args: Uint8Array): Buffer {
  const name = Buffer.from(method, 'utf8');
  if (name.length > maxMethodBytes) throw new FrameError(`method name "${method.slice(0, 40)}…" is over ${maxMethodBytes} bytes`);
  const head = Buffer.allocUnsafe(1 + 4 + 2);
  head.writeUInt8(FrameKind.request, 0);
  head.writeUInt32BE(callId >>> 0, 1);
  head.writeUInt16BE(name.length, 5);
  return framed(Buffer.concat([head, name, args]));
}

export function encodeReply(callId: number, ok: boolean, body: Uint8Array): Buffer {
  const head = Buffer.allocUnsafe(1 + 4 + 1);
  head.writeUInt8(FrameKind.reply, 0);
  head.writeUInt32BE(callId >>> 0, 1);
  head.writeUInt8(ok ? 0 : 1, 5);
  return framed(Buffer.concat([head, body]));
}

/** The payload size a request for `method` with `argsBytes` bytes of arguments would have. */
export function requestPayloadBytes(method: string, argsBytes: number): number {
  return 1 + 4 + 2 + Buffer.byteLength(method, 'utf8') + argsBytes;
}

/** Reads one payload (a frame without its length). Throws FrameError on anything malformed. */
export function parsePayload(payload: Buffer): Message {
  if (payload.length < 1) throw new FrameError('empty frame');
  const kind = payload[0];
  switch (kind) {
    case FrameKind.hello: {
      let value: unknown;
      try {
        value = JSON.parse(payload.subarray(1).toString('utf8'));
      } catch {
        throw new FrameError('hello frame is not JSON');
      }
      const from = (value as { from?: unknown } | null)?.from;
      if (typeof from !== 'number' || !Number.isInteger(from) || from < -1 || from > 1_000_000) {
        throw new FrameError('hello frame has no valid "from" node id');
      }
      return { kind: 'hello', from };
    }
    case FrameKind.request: {
      if (payload.length < 7) throw new FrameError(`request frame of ${payload.length} bytes is too short`);
      const callId = payload.readUInt32BE(1);
      const nameLength = payload.readUInt16BE(5);
      if (nameLength === 0 || nameLength > maxMethodBytes || 7 + nameLength > payload.length) {
        throw new FrameError(`request frame has a method name of ${nameLength} bytes`);
      }
      const method = payload.subarray(7, 7 + nameLength).toString('utf8');
      return { kind: 'request', callId, method, args: payload.subarray(7 + nameLength) };
    }
    case FrameKind.reply: {
      if (payload.length < 6) throw new FrameError(`reply frame of ${payload.length} bytes is too short`);
      const status = payload[5];
      if (status !== 0 && status !== 1) throw new FrameError(`reply frame has unknown status ${String(status)}`);
      return { kind: 'reply', callId: payload.readUInt32BE(1), ok: status === 0, body: payload.subarray(6) };
    }
    default:
      throw new FrameError(`unknown frame kind ${String(kind)} (expecting 1 hello, 2 request, 3 reply)`);
  }
}

/**
 * Cuts a byte stream into payloads. Chunks are kept as they arrive and joined once a frame is
 * complete, so a large frame costs one copy, not one per chunk.
 */
export class FrameDecoder {
  private chunks: Buffer[] = [];
  private buffered = 0;
  /** Length of the frame being assembled, once its header is in. */
  private expected: number | undefined;

  constructor(readonly maxFrameBytes = defaultMaxFrameBytes) {}

  /** Bytes received that do not make a whole frame yet. */
  get pendingBytes(): number {
    return this.buffered;
  }

  /** Adds bytes; returns the payloads they complete. Throws FrameError for an oversized or empty frame. */
  push(chunk: Buffer): Buffer[] {
    if (chunk.length > 0) {
      this.chunks.push(chunk);
      this.buffered += chunk.length;
    }
    const out: Buffer[] = [];
    for (;;) {
      if (this.expected === undefined) {
        if (this.buffered < frameHeaderBytes) break;
        const length = this.take(frameHeaderBytes).readUInt32BE(0);
        if (length === 0) throw new FrameError('frame of length 0');
        if (length > this.maxFrameBytes) {
          throw new FrameError(`frame of ${length} bytes announced, over the limit of ${this.maxFrameBytes} bytes`);
        }
        this.expected = length;
      }
      if (this.buffered < this.expected) break;
      out.push(this.take(this.expected));
      this.expected = undefined;
    }
    return out;
  }

  /** Removes and returns the first `n` buffered bytes (n <= buffered). */
  private take(n: number): Buffer {
    const first = this.chunks[0]!;
    if (first.length >= n) {
      const head = first.subarray(0, n);
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
      this.buffered -= n;
      return head;
    }
    const all = Buffer.concat(this.chunks, this.buffered);
    const head = all.subarray(0, n);
    this.chunks = all.length > n ? [all.subarray(n)] : [];
    this.buffered -= n;
    return head;
  }
}
