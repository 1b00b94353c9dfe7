// supabase-js v2 REST preferences: maxAffected(), rollback(), count planned/estimated, textSearch flavours,
// single() on a mutation, against the DevStack over the seeded AutoCRM schema.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { serviceClient } from './support.mjs';

function slug(prefix = 'pref') {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

async function makeQueues(db, count) {
  const tag = slug('max');
  const rows = Array.from({ length: count }, (_, i) => ({ slug: `${tag}-${i}`, name: 'Max affected' }));
  const { error } = await db.from('queues').insert(rows, { defaultToNull: false });
  assert.equal(error, null);
  return tag;
}

test('maxAffected() refuses a delete touching more rows, and deletes nothing', async () => {
  const db = serviceClient();
  const tag = await makeQueues(db, 3);
  const { error, status } = await db.from('queues').delete().like('slug', `${tag}-%`).maxAffected(2);
  assert.equal(status, 400);
  assert.equal(error.code, 'PGRST124');
  assert.equal(error.message, 'Query result exceeds max-affected preference constraint');
  assert.equal(error.details, 'The query affects 3 rows');
  const left = await db.from('queues').select('slug', { count: 'exact', head: true }).like('slug', `${tag}-%`);
  assert.equal(left.count, 3);
  const within = await db.from('queues').delete().like('slug', `${tag}-%`).maxAffected(3);
  assert.equal(within.error, null);
  assert.equal(within.status, 204);
});

test('maxAffected() on an rpc that returns one value is PGRST128', async () => {
  const db = serviceClient();
  const { error, status } = await db.rpc('set_user_role', { user_id: randomUUID(), role: 'agent' }).maxAffected(1);
  assert.equal(status, 400);
  assert.equal(error.code, 'PGRST128');
});

test('rollback() is not honoured by default: the insert is committed, as with PostgREST\'s db-tx-end = commit', async () => {
  const db = serviceClient();
  const s = slug();
  const { error, status } = await db.from('queues').insert({ slug: s, name: 'Rollback' }).rollback();
  assert.equal(error, null);
  assert.equal(status, 201);
  const found = await db.from('queues').select('slug').eq('slug', s);
  assert.deepEqual(found.data, [{ slug: s }]);
  await db.from('queues').delete().eq('slug', s);
});

test('count planned and estimated', async () => {
  const db = serviceClient();
  const planned = await db.from('tickets').select('id', { count: 'planned' }).limit(1);
  assert.equal(planned.error, null);
  assert.equal(typeof planned.count, 'number');
  assert.ok(planned.count >= 0);
  const exact = await db.from('tickets').select('id', { count: 'exact', head: true });
  const estimated = await db.from('tickets').select('id', { count: 'estimated', head: true });
  assert.equal(estimated.error, null);
  assert.equal(estimated.count, exact.count); // under max_rows the estimate is exact
});

test('single() on an insert returns the object; on an update of two rows it is PGRST116 and rolled back', async () => {
  const db = serviceClient();
  const tag = await makeQueues(db, 2);
  const one = await db.from('queues').insert({ slug: slug(), name: 'Single' }).select('name').single();
  assert.equal(one.error, null);
  assert.deepEqual(one.data, { name: 'Single' });
  const two = await db.from('queues').update({ name: 'Changed' }).like('slug', `${tag}-%`).select('name').single();
  assert.equal(two.status, 406);
  assert.equal(two.error.code, 'PGRST116');
  const unchanged = await db.from('queues').select('name').like('slug', `${tag}-%`);
  assert.deepEqual(unchanged.data.map((q) => q.name), ['Max affected', 'Max affected']);
  await db.from('queues').delete().like('slug', `${tag}-%`);
});

test('textSearch: plain, phrase and websearch on a text column', async () => {
  const db = serviceClient();
  const plain = await db.from('queues').select('slug').textSearch('description', 'refunds invoices', { type: 'plain', config: 'english' });
  assert.equal(plain.error, null);
  assert.deepEqual(plain.data.map((q) => q.slug), ['billing']);
  const phrase = await db.from('queues').select('slug').textSearch('description', 'plan changes', { type: 'phrase', config: 'english' });
  assert.deepEqual(phrase.data.map((q) => q.slug), ['billing']);
  const web = await db.from('queues').select('slug').textSearch('description', 'bugs -refunds', { type: 'websearch', config: 'english' });
  assert.deepEqual(web.data.map((q) => q.slug), ['general']);
  const raw = await db.from('queues').select('slug').textSearch('description', "'accounts' & 'bugs'", { config: 'english' });
  assert.deepEqual(raw.data.map((q) => q.slug), ['general']);
});
