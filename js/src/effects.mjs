// The wasm boundary of one client: received frames go into the core's input
// buffer as UTF-8 (no string marshalling per call), and each call's effects
// come back as records on a tape in the wasm heap (wasm-client/effect_tape.hpp)
// read here as numbers. Values the core takes from the frame being received
// (a message's data, a presence's member) are read from that frame, parsed
// once here, however many effects use it.
import { ASCII_COPY_MAX } from '#platform';

/** Doubles per record, in wasm-client/effect_tape.hpp's order. */
const FIELDS = 11;
const KINDS = ['open', 'send', 'close', 'emit', 'resolve', 'reject'];
const REJECT = 5;
// Effect::Arg in common/include/brolostack/client/client_core.hpp.
const ARG_NONE = 0;
const ARG_JSON = 1;
const FRAME_PARTS = [
  null, null,
  (f) => f,
  (f) => f.data,
  (f) => f.member,
  (f) => f.error,
  (f) => f.msg,
  (f) => f.msg?.payload,
  (f) => f.inMs,
];

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export class CoreChannel {
  /** `core`: the instantiated module; `client`: its WasmClient. */
  constructor(core, client) {
    this.core = core;
    this.client = client;
    this.header = client.tapeHeader() / 8;
    this.inputCapacity = 4096;
    this.inputAddress = client.inputBuffer(this.inputCapacity);
    this.inputView = null;  // the input buffer as bytes, while the heap's buffer stays the same
    this.frameText = undefined;  // the frame whose effects are being read, and its parse
    this.frame = undefined;
    this.encoded = { read: 0, written: 0 };  // encode()'s answer when it copied the text itself
  }

  /** When the core wants its next tick after the last call (0: never): read from the tape, no call. */
  nextWakeAt() { return this.core.HEAPF64[this.header + 2]; }

  /** Hands a text frame to the core; returns its effects. */
  receive(text, now) {
    this.feed(text, now);
    return this.effects(text);
  }

  /** Hands a text frame to the core, leaving its effects on the tape. */
  feed(text, now) {
    // The buffer grows to the frames it is given: to the frame's length
    // first (enough for ASCII, which most frames are), and to three bytes
    // per UTF-16 unit (enough for anything) only when that was not enough.
    // Sizing every frame for the worst case would keep a 4 MB history
    // reply's 12 MB for the client's life.
    let encoded = this.encode(text);
    if (encoded.read < text.length) encoded = this.encode(text, text.length);
    if (encoded.read < text.length) encoded = this.encode(text, text.length * 3);
    this.client.received(encoded.written, now);
  }

  /** Writes `text` into the input buffer, grown first to `bytes` if it is smaller. */
  encode(text, bytes = 0) {
    if (bytes > this.inputCapacity) {
      this.inputCapacity = bytes;
      this.inputAddress = this.client.inputBuffer(bytes);
      this.inputView = null;
    }
    // The heap's buffer is replaced when wasm memory grows.
    if (this.inputView?.buffer !== this.core.HEAPU8.buffer) {
      this.inputView = this.core.HEAPU8.subarray(this.inputAddress, this.inputAddress + this.inputCapacity);
    }
    // Where calling TextEncoder costs more than copying a few hundred
    // characters (browsers: ASCII_COPY_MAX, from #platform), an ASCII frame
    // (most are) is copied here; the first other character hands the whole
    // text to TextEncoder.
    const view = this.inputView;
    const length = text.length;
    if (length <= ASCII_COPY_MAX && length <= view.length) {
      let i = 0;
      for (; i < length; i += 1) {
        const c = text.charCodeAt(i);
        if (c >= 0x80) break;
        view[i] = c;
      }
      if (i === length) {
        this.encoded.read = length;
        this.encoded.written = length;
        return this.encoded;
      }
    }
    return encoder.encodeInto(text, view);
  }

  /**
   * The effects the last call left, as plain objects: read in full before
   * any is acted on, since a handler that calls the client again replaces
   * the tape. `frameText`: the frame that call received, if any.
   */
  effects(frameText) {
    const heap = this.core.HEAPF64;
    const count = heap[this.header];
    if (count === 0) return [];
    const bytes = this.core.HEAPU8;
    this.frameText = frameText;
    const out = new Array(count);
    for (let i = 0, at = heap[this.header + 1] / 8; i < count; i += 1, at += FIELDS) {
      const kind = heap[at];
      out[i] = {
        kind: KINDS[kind],
        text: text(bytes, heap[at + 5], heap[at + 6]),
        // A reject's second string is its message, not JSON.
        data: kind === REJECT ? text(bytes, heap[at + 7], heap[at + 8]) : this.value(heap[at + 1], heap, bytes, at + 7),
        extra: this.value(heap[at + 2], heap, bytes, at + 9),
        id: heap[at + 4],
        code: heap[at + 3],
      };
    }
    this.frame = undefined;
    this.frameText = undefined;
    return out;
  }

  /** One effect value: none, JSON beside it on the tape, or a part of the received frame (parsed on first use). */
  value(arg, heap, bytes, at) {
    if (arg === ARG_NONE) return undefined;
    if (arg === ARG_JSON) return JSON.parse(text(bytes, heap[at], heap[at + 1]));
    this.frame ??= JSON.parse(this.frameText);
    return FRAME_PARTS[arg](this.frame);
  }

  /** The last call's records as they lie on the tape, values unresolved: what tests compare with the native core. */
  records() {
    const heap = this.core.HEAPF64;
    const bytes = this.core.HEAPU8;
    const out = [];
    for (let i = 0, at = heap[this.header + 1] / 8; i < heap[this.header]; i += 1, at += FIELDS) {
      out.push({
        kind: heap[at], text: text(bytes, heap[at + 5], heap[at + 6]),
        data: heap[at + 1], dataJson: text(bytes, heap[at + 7], heap[at + 8]),
        extra: heap[at + 2], extraJson: text(bytes, heap[at + 9], heap[at + 10]),
        id: heap[at + 4], code: heap[at + 3],
      });
    }
    return out;
  }
}

/**
 * UTF-8 at `address`. Short ASCII (event names, codes: the same few again
 * and again) comes from a small table of the strings last read, found by a
 * hash of their bytes, so a repeated name costs no new string and no
 * TextDecoder call.
 */
function text(bytes, address, length) {
  if (length === 0) return '';
  if (length > NAME_MAX) return decoder.decode(bytes.subarray(address, address + length));
  let hash = length;
  for (let i = address, end = address + length; i < end; i += 1) {
    const b = bytes[i];
    if (b >= 0x80) return decoder.decode(bytes.subarray(address, address + length));
    hash = (Math.imul(hash, 31) + b) | 0;
  }
  const slot = hash & (NAMES.length - 1);
  const known = NAMES[slot];
  if (known !== undefined && known.length === length && sameAscii(known, bytes, address)) return known;
  let s = '';
  for (let i = address, end = address + length; i < end; i += 1) s += String.fromCharCode(bytes[i]);
  NAMES[slot] = s;
  return s;
}

const NAME_MAX = 32;
const NAMES = new Array(256).fill(undefined);

function sameAscii(s, bytes, address) {
  for (let i = 0; i < s.length; i += 1) if (s.charCodeAt(i) !== bytes[address + i]) return false;
  return true;
}
