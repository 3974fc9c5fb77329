/**
 * Keeps a notebook kernel alive through bursts of output. tslab sends every message (display data,
 * stdout, status) with zeromq's `socket.send()` without awaiting it. zeromq.js completes at most 512
 * sends of a socket in a row at once; the next one is put off to the event loop's next turn, and a
 * send made before that turn throws "Socket is busy writing" (EBUSY). A printed line that meets it is
 * lost (a loop of prints keeps only its first ~500 lines); a display that meets it kills the kernel,
 * which in a long training happens sooner or later, more often on a busy machine.
 *
 * `queueSocketSends` wraps the sockets' `send` so that a send that finds its socket busy waits for the
 * send in flight instead of throwing, and every later send of that socket queues behind it: messages
 * keep their order, and sends that can go at once still go at once.
 */

/** The part of zeromq.js this needs: its Socket class, whose prototype holds `send`. */
export interface ZmqModule {
  Socket: { prototype: object };
}

type Send = (this: object, ...args: unknown[]) => Promise<void>;

interface SendState {
  /** The last send's promise (resolved when it is done). */
  last: Promise<void>;
  /** Sends waiting in the queue. */
  waiting: number;
}

const PATCHED = Symbol.for('aae-lab.queuedSends');

function isBusy(e: unknown): boolean {
  return (e as { code?: unknown } | null)?.code === 'EBUSY';
}

/** Wraps zeromq's `Socket.prototype.send` once per module (later calls do nothing); returns whether it was wrapped now. */
export function queueSocketSends(zmq: ZmqModule): boolean {
  const proto = zmq.Socket.prototype as Record<PropertyKey, unknown>;
  if (proto[PATCHED]) return false;
  const send = proto.send as Send;
  if (typeof send !== 'function') throw new Error('queueSocketSends: zeromq Socket has no send method');
  const states = new WeakMap<object, SendState>();
  const queued: Send = function (this: object, ...args: unknown[]) {
    const state = states.get(this);
    if (!state || state.waiting === 0) {
      try {
        const p = send.apply(this, args);
        const last = p.catch(() => undefined);
        if (state) state.last = last;
        else states.set(this, { last, waiting: 0 });
        return p;
      } catch (e) {
        if (!isBusy(e) || !state) throw e;
      }
    }
    // busy, or others waiting: after the last send (which resets the socket's count of sends at once)
    const s = states.get(this)!;
    s.waiting++;
    // (should the socket still be busy, the next turn of the event loop tries again)
    const attempt = (): Promise<void> => {
      try {
        return send.apply(this, args);
      } catch (e) {
        if (!isBusy(e)) throw e;
        return new Promise<void>((resolve) => setImmediate(resolve)).then(attempt);
      }
    };
    const p = s.last.then(() => {
      s.waiting--;
      return attempt();
    });
    s.last = p.catch(() => undefined);
    return p;
  };
  Object.defineProperty(proto, 'send', { value: queued, writable: false, enumerable: false, configurable: true });
  Object.defineProperty(proto, PATCHED, { value: true });
  return true;
}
