// supabase-js realtime (realtime-js) against the DevStack's /realtime/v1: postgres_changes with row-level
// security, broadcast and presence, with both wire protocol versions (vsn 1.0.0 and 2.0.0).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createClient } from '@supabase/supabase-js';
import WebSocket from 'ws';
import { anonClient, serviceClient, signedInClient, demo, stack } from './support.mjs';

const carolId = 'c0000000-0000-4000-8000-000000000001';
const carolTicket = 'd0000000-0000-4000-8000-000000000001';
const carolOtherTicket = 'd0000000-0000-4000-8000-000000000004';
const TIMEOUT = 15_000;

const clients = [];
after(async () => {
  for (const client of clients) {
    await client.removeAllChannels();
    client.realtime.disconnect();
  }
});

function track(client) {
  clients.push(client);
  return client;
}

/** A queue of callback values with a timed wait, so tests wait on events instead of sleeping. */
function inbox() {
  const items = [];
  const waiters = [];
  return {
    push(item) {
      const i = waiters.findIndex((w) => w.match(item));
      if (i >= 0) waiters.splice(i, 1)[0].resolve(item);
      else items.push(item);
    },
    next(match = () => true, what = 'an event') {
      const i = items.findIndex(match);
      if (i >= 0) return Promise.resolve(items.splice(i, 1)[0]);
      return new Promise((resolve, reject) => {
        const waiter = { match, resolve };
        waiters.push(waiter);
        setTimeout(() => {
          const at = waiters.indexOf(waiter);
          if (at >= 0) {
            waiters.splice(at, 1);
            reject(new Error(`timed out waiting for ${what}`));
          }
        }, TIMEOUT).unref();
      });
    },
  };
}

/** Subscribes and resolves once the server confirmed the channel (and, with postgres_changes, the DB subscription). */
function subscribe(channel, { postgres = false } = {}) {
  return new Promise((resolve, reject) => {
    let joined = false;
    let database = !postgres;
    const done = () => joined && database && resolve(channel);
    if (postgres) {
      channel.on('system', {}, (message) => {
        if (message.extension !== 'postgres_changes') return;
        if (message.status === 'ok') {
          database = true;
          done();
        } else reject(new Error(`postgres_changes subscription failed: ${message.message}`));
      });
    }
    channel.subscribe((status, err) => {
      if (status === 'SUBSCRIBED') {
        joined = true;
        done();
      } else if (status === 'CHANNEL_ERROR' || status === 'TIMED_OUT') reject(err ?? new Error(status));
    });
  });
}

for (const [vsn, paramsVsn] of [['2.0.0', '1.0.0'], ['1.0.0', '2.0.0']]) {
  test(`vsn also in params: the socket speaks the last vsn of the URL, as Plug decodes it (vsn ${vsn}, params.vsn ${paramsVsn})`, async () => {
    // realtime-js appends its own vsn after the app's params, so the URL carries vsn twice.
    const client = track(anonClient({ realtime: { transport: WebSocket, vsn, params: { vsn: paramsVsn } } }));
    assert.match(client.realtime.endpointURL(), new RegExp(`vsn=${paramsVsn}.*vsn=${vsn}`));
    const topic = `room-${randomUUID()}`;
    const mine = inbox();
    const channel = client.channel(topic, { config: { broadcast: { self: true, ack: true } } });
    await subscribe(channel.on('broadcast', { event: 'echo' }, (m) => mine.push(m)));
    assert.equal(await channel.send({ type: 'broadcast', event: 'echo', payload: { n: 2 } }), 'ok');
    assert.deepEqual((await mine.next(undefined, 'the echo')).payload, { n: 2 });
  });
}

for (const vsn of ['1.0.0', '2.0.0']) {
  // anonClient spreads its options last, so the transport travels with vsn.
  const realtime = { transport: WebSocket, vsn };

  test(`postgres_changes delivers INSERT, UPDATE and DELETE payloads (vsn ${vsn})`, async () => {
    const writer = serviceClient();
    const events = inbox();
    const subject = `rt-${randomUUID()}`;
    const listener = track(createClient(stack.url, stack.serviceRoleKey, {
      auth: { persistSession: false, autoRefreshToken: false },
      realtime,
    }));
    assert.equal(listener.realtime.vsn, vsn);
    const channel = listener.channel(`tickets-${randomUUID()}`);
    await subscribe(
      channel.on('postgres_changes', { event: '*', schema: 'public', table: 'tickets' }, (payload) => events.push(payload)),
      { postgres: true },
    );

    const inserted = await writer.from('tickets').insert({ subject, requester_id: carolId }).select().single();
    assert.equal(inserted.error, null);
    const id = inserted.data.id;
    const insert = await events.next((p) => p.eventType === 'INSERT' && p.new.id === id, 'the INSERT');
    assert.equal(insert.schema, 'public');
    assert.equal(insert.table, 'tickets');
    assert.equal(insert.new.subject, subject);
    assert.equal(insert.new.requester_id, carolId);
    assert.deepEqual(insert.new.tags, []);
    assert.equal(typeof insert.new.number, 'number');
    assert.deepEqual(insert.old, {});
    assert.equal(insert.errors, null);
    assert.match(insert.commit_timestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);

    assert.equal((await writer.from('tickets').update({ subject: `${subject}-2` }).eq('id', id)).error, null);
    const update = await events.next((p) => p.eventType === 'UPDATE' && p.new.id === id, 'the UPDATE');
    assert.equal(update.new.subject, `${subject}-2`);
    assert.equal(update.old.subject, subject);

    assert.equal((await writer.from('tickets').delete().eq('id', id)).error, null);
    const del = await events.next((p) => p.eventType === 'DELETE' && p.old.id === id, 'the DELETE');
    assert.deepEqual(del.new, {});
    assert.deepEqual(Object.keys(del.old), ['id']); // RLS table: primary key only
  });

  test(`postgres_changes with a filter delivers only matching rows the user may see (vsn ${vsn})`, async () => {
    const carol = track(await signedInClient(demo.carol, demo.password, { realtime }));
    const writer = serviceClient();
    const events = inbox();
    const marker = randomUUID();
    const channel = carol.channel(`filtered-${randomUUID()}`);
    await subscribe(
      channel.on('postgres_changes', { event: 'UPDATE', schema: 'public', table: 'tickets', filter: `id=eq.${carolTicket}` }, (p) => events.push(p)),
      { postgres: true },
    );

    await writer.from('tickets').update({ metadata: { channel: "web", marker } }).eq('id', carolOtherTicket);
    await writer.from('tickets').update({ metadata: { channel: "web", marker } }).eq('id', 'd0000000-0000-4000-8000-000000000002');
    await writer.from('tickets').update({ metadata: { channel: "web", marker } }).eq('id', carolTicket);

    const first = await events.next((p) => p.new.metadata?.marker === marker, 'the filtered UPDATE');
    assert.equal(first.new.id, carolTicket);
    assert.equal(first.eventType, 'UPDATE');
  });

  test(`postgres_changes with isdistinct and imatch filters, negated and combined (vsn ${vsn})`, async () => {
    const carol = track(await signedInClient(demo.carol, demo.password, { realtime }));
    const writer = serviceClient();
    const events = inbox();
    const marker = randomUUID();
    const channel = carol.channel(`filtered-ops-${randomUUID()}`);
    // Both conditions must hold: the id is not distinct from carol's ticket, and the subject matches case-insensitively.
    const filter = `id=not.isdistinct.${carolTicket},subject=imatch.^CANNOT LOG IN`;
    await subscribe(
      channel.on('postgres_changes', { event: 'UPDATE', schema: 'public', table: 'tickets', filter }, (p) => events.push(p)),
      { postgres: true },
    );

    await writer.from('tickets').update({ metadata: { channel: "web", marker } }).eq('id', carolOtherTicket);
    await writer.from('tickets').update({ metadata: { channel: "web", marker } }).eq('id', carolTicket);

    const first = await events.next((p) => p.new.metadata?.marker === marker, 'the filtered UPDATE');
    assert.equal(first.new.id, carolTicket);
  });

  test(`a broadcast over the payload limit is refused with ack and the channel keeps working (vsn ${vsn})`, async () => {
    const topic = `room-${randomUUID()}`;
    const sender = track(anonClient({ realtime }));
    const senderChannel = sender.channel(topic, { config: { broadcast: { self: true, ack: true } } });
    const mine = inbox();
    await subscribe(senderChannel.on('broadcast', { event: '*' }, (m) => mine.push(m)));

    const refused = await senderChannel.send({ type: 'broadcast', event: 'big', payload: { blob: 'x'.repeat(3_000_000) } });
    assert.equal(refused, 'error');
    assert.equal(await senderChannel.send({ type: 'broadcast', event: 'small', payload: { n: 1 } }), 'ok');
    assert.equal((await mine.next(undefined, 'the small broadcast')).event, 'small');
  });

  test(`broadcast with self and ack (vsn ${vsn})`, async () => {
    const topic = `room-${randomUUID()}`;
    const sender = track(anonClient({ realtime }));
    const listener = track(anonClient({ realtime }));
    const mine = inbox();
    const theirs = inbox();
    const senderChannel = sender.channel(topic, { config: { broadcast: { self: true, ack: true } } });
    await subscribe(senderChannel.on('broadcast', { event: 'ping' }, (m) => mine.push(m)));
    await subscribe(listener.channel(topic).on('broadcast', { event: 'ping' }, (m) => theirs.push(m)));

    const result = await senderChannel.send({ type: 'broadcast', event: 'ping', payload: { n: 1 } });
    assert.equal(result, 'ok');
    assert.deepEqual((await mine.next(undefined, 'the self broadcast')).payload, { n: 1 });
    const received = await theirs.next(undefined, 'the broadcast');
    assert.equal(received.event, 'ping');
    assert.deepEqual(received.payload, { n: 1 });
  });

  test(`presence sync, join and leave (vsn ${vsn})`, async () => {
    const topic = `presence-${randomUUID()}`;
    const alice = track(anonClient({ realtime }));
    const bob = track(anonClient({ realtime }));
    const joins = inbox();
    const leaves = inbox();
    const syncs = inbox();
    const aliceChannel = alice.channel(topic, { config: { presence: { key: 'alice' } } });
    await subscribe(aliceChannel.on('presence', { event: 'sync' }, () => {}));
    const bobChannel = bob.channel(topic, { config: { presence: { key: 'bob' } } });
    bobChannel
      .on('presence', { event: 'sync' }, () => syncs.push(bobChannel.presenceState()))
      .on('presence', { event: 'join' }, (e) => joins.push(e))
      .on('presence', { event: 'leave' }, (e) => leaves.push(e));
    await subscribe(bobChannel);

    assert.equal(await aliceChannel.track({ user: 'alice', viewing: 'ticket-1' }), 'ok');
    const join = await joins.next((e) => e.key === 'alice', 'alice joining');
    assert.equal(join.newPresences[0].user, 'alice');
    const state = await syncs.next((s) => s.alice, 'a sync with alice');
    assert.equal(state.alice[0].viewing, 'ticket-1');
    assert.ok(state.alice[0].presence_ref);

    assert.equal(await aliceChannel.untrack(), 'ok');
    const leave = await leaves.next((e) => e.key === 'alice', 'alice leaving');
    assert.equal(leave.leftPresences[0].user, 'alice');
  });
}
