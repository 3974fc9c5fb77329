/**
 * A notebook kernel's sockets under a burst of output (lib/display/zmq-sends.ts): zeromq.js puts off
 * the 513th send of a socket in a row, and a send made before that one went out threw "Socket is
 * busy writing", which killed the kernel. With the sends queued, a burst of any length goes out
 * whole and in order.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { queueSocketSends, type ZmqModule } from '../lib/display/zmq-sends';

interface Sock {
  send(msg: unknown): Promise<void>;
  close(): void;
}
interface Pub extends Sock {
  bind(address: string): Promise<void>;
  readonly lastEndpoint: string | null;
}
interface Sub extends Sock {
  connect(address: string): void;
  subscribe(): void;
  receive(): Promise<Buffer[]>;
  receiveTimeout: number;
}
type Zmq = ZmqModule & { Publisher: new () => Pub; Subscriber: new () => Sub };

// the zeromq that tslab (the notebooks' kernel) loads
const zmq = createRequire(require.resolve('tslab/package.json'))('zeromq') as Zmq;

/** A publisher and a subscriber that already receives its messages (after the subscription took). */
async function pair(): Promise<{ pub: Pub; sub: Sub }> {
  const pub = new zmq.Publisher();
  await pub.bind('tcp://127.0.0.1:*');
  const sub = new zmq.Subscriber();
  sub.receiveTimeout = 100;
  sub.connect(pub.lastEndpoint!);
  sub.subscribe();
  for (let i = 0; i < 100; i++) {
    await pub.send('hello');
    try {
      await sub.receive();
      break;
    } catch {
      // not subscribed yet
    }
  }
  // what else the joining let through
  for (;;) {
    try {
      await sub.receive();
    } catch {
      break;
    }
  }
  sub.receiveTimeout = 5000;
  return { pub, sub };
}

test('a burst of sends on one socket: every message goes out, in order; without the queue the 514th throws', async () => {
  const burst = 1000;
  {
    // as zeromq.js is: the burst throws EBUSY, synchronously, as it did in the kernel
    const { pub, sub } = await pair();
    let thrown: unknown = null;
    let sent = 0;
    for (let i = 0; i < burst && !thrown; i++) {
      try {
        void pub.send(String(i)).catch(() => undefined);
        sent++;
      } catch (e) {
        thrown = e;
      }
    }
    assert.equal((thrown as { code?: string } | null)?.code, 'EBUSY', 'zeromq.js still puts off a send in a long burst (else this guard is not needed)');
    assert.ok(sent > 500 && sent < burst, `sent ${sent} before the throw`);
    pub.close();
    sub.close();
  }
  assert.equal(queueSocketSends(zmq), true);
  assert.equal(queueSocketSends(zmq), false, 'wrapped once only');
  for (let round = 0; round < 2; round++) {
    const { pub, sub } = await pair();
    const sends: Promise<void>[] = [];
    for (let i = 0; i < burst; i++) sends.push(pub.send(String(i)));
    await Promise.all(sends);
    const got: string[] = [];
    for (let i = 0; i < burst; i++) got.push((await sub.receive())[0].toString());
    assert.deepEqual(
      got,
      Array.from({ length: burst }, (_, i) => String(i)),
      'every message, in order',
    );
    // and after the burst a send goes out at once again
    await pub.send('after');
    assert.equal((await sub.receive())[0].toString(), 'after');
    pub.close();
    sub.close();
  }
});
