// Binary stream chunks (PROTOCOL.md section 7): a binary WebSocket frame of
// a 4-byte big-endian header length, that many bytes of JSON header
// {sessionId, streamId, seq, isLast}, then the raw bytes. Senders and
// receivers use the same layout.
const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/** True for the chunk types sent as a binary frame rather than as JSON. */
export function isBinaryChunk(chunk) {
  return chunk instanceof Uint8Array || chunk instanceof ArrayBuffer;
}

/** The binary frame for one chunk. */
export function encodeChunkFrame({ sessionId, streamId, seq, isLast = false }, chunk) {
  const header = encoder.encode(JSON.stringify({ sessionId, streamId, seq, isLast }));
  const bytes = chunk instanceof ArrayBuffer ? new Uint8Array(chunk) : chunk;
  const frame = new Uint8Array(4 + header.length + bytes.length);
  new DataView(frame.buffer).setUint32(0, header.length);
  frame.set(header, 4);
  frame.set(bytes, 4 + header.length);
  return frame;
}

/**
 * `{sessionId, streamId, seq, isLast, chunk}` from a received binary frame
 * (`chunk` a Uint8Array view of the raw bytes), or null when the frame does
 * not have the layout.
 */
export function decodeChunkFrame(buffer) {
  const bytes = buffer instanceof Uint8Array ? buffer : new Uint8Array(buffer);
  if (bytes.length < 4) return null;
  const headerLength = new DataView(bytes.buffer, bytes.byteOffset, bytes.length).getUint32(0);
  if (headerLength === 0 || headerLength > bytes.length - 4) return null;
  let header;
  try {
    header = JSON.parse(decoder.decode(bytes.subarray(4, 4 + headerLength)));
  } catch {
    return null;
  }
  if (!header || typeof header.streamId !== 'string' || !Number.isInteger(header.seq)) return null;
  return {
    sessionId: header.sessionId,
    streamId: header.streamId,
    seq: header.seq,
    isLast: header.isLast === true,
    chunk: bytes.subarray(4 + headerLength),
  };
}
