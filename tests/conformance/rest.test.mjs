// supabase-js v2 REST (postgrest-js) against the DevStack: the calls an app makes, over the seeded AutoCRM schema.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { anonClient, serviceClient, signedInClient, demo } from './support.mjs';

const carolId = 'c0000000-0000-4000-8000-000000000001';
const daveTicket = 'd0000000-0000-4000-8000-000000000002';
const generalQueue = 'b0000000-0000-4000-8000-000000000001';

function slug(prefix = 'conf') {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

test('select with filters, order and a json path', async () => {
  const db = serviceClient();
  const { data, error, status } = await db
    .from('tickets')
    .select('subject, priority, channel:metadata->>channel')
    .eq('requester_id', carolId)
    .in('priority', ['high', 'normal'])
    .order('subject', { ascending: true });
  assert.equal(error, null);
  assert.equal(status, 200);
  assert.ok(data.length >= 3);
  assert.deepEqual(data.map((t) => t.subject), [...data.map((t) => t.subject)].sort());
  assert.ok(data.every((t) => ['high', 'normal'].includes(t.priority) && typeof t.channel === 'string'));
});

test('filters: like, ilike, contains, not, is null, textSearch-free operators', async () => {
  const db = serviceClient();
  const like = await db.from('tickets').select('subject').ilike('subject', '%refund%');
  assert.equal(like.error, null);
  assert.ok(like.data.length >= 1 && like.data.every((t) => /refund/i.test(t.subject)));
  const tags = await db.from('tickets').select('tags').contains('tags', ['billing']);
  assert.ok(tags.data.length >= 3 && tags.data.every((t) => t.tags.includes('billing')));
  const notNull = await db.from('tickets').select('queue_id').not('queue_id', 'is', null);
  assert.ok(notNull.data.every((t) => t.queue_id !== null));
  const noQueue = await db.from('tickets').select('id').is('queue_id', null);
  assert.ok(noQueue.data.length >= 1);
  const overlaps = await db.from('tickets').select('tags').overlaps('tags', ['sms', 'csv-nothing']);
  assert.equal(overlaps.data.length, 1);
});

test('or filters, including nested and', async () => {
  const db = serviceClient();
  const { data, error } = await db
    .from('tickets')
    .select('priority, subject')
    .or('priority.eq.urgent,and(priority.eq.low,subject.ilike.*dark*)');
  assert.equal(error, null);
  assert.ok(data.length >= 3);
  assert.ok(data.every((t) => t.priority === 'urgent' || (t.priority === 'low' && /dark/i.test(t.subject))));
});

test('embedding: to-one object, to-many array with alias, two levels', async () => {
  const db = serviceClient();
  const { data, error } = await db
    .from('tickets')
    .select('id, subject, queue:queues(slug), requester:profiles!requester_id(id), conversation_history:ticket_messages(body, author:profiles(id))')
    .eq('id', 'd0000000-0000-4000-8000-000000000004')
    .order('created_at', { referencedTable: 'conversation_history' })
    .single();
  assert.equal(error, null);
  assert.equal(data.queue.slug, 'general');
  assert.equal(data.requester.id, carolId);
  assert.ok(Array.isArray(data.conversation_history) && data.conversation_history.length >= 3);
  assert.equal(typeof data.conversation_history[0].author.id, 'string');
});

test('inner join embedding filters the parent rows', async () => {
  const db = serviceClient();
  const { data, error } = await db.from('tickets').select('id, queues!inner(slug)').eq('queues.slug', 'billing');
  assert.equal(error, null);
  assert.ok(data.length >= 1 && data.every((t) => t.queues.slug === 'billing'));
});

test('count exact with head and with a range', async () => {
  const db = serviceClient();
  const head = await db.from('tickets').select('*', { count: 'exact', head: true });
  assert.equal(head.error, null);
  assert.equal(head.data, null);
  assert.ok(head.count >= 12);
  const page = await db.from('tickets').select('id', { count: 'exact' }).order('created_at').range(2, 4);
  assert.equal(page.error, null);
  assert.equal(page.data.length, 3);
  assert.equal(page.count, head.count);
  assert.equal(page.status, 206);
});

test('limit and range page through the rows', async () => {
  const db = serviceClient();
  const all = await db.from('tickets').select('id').order('id');
  const second = await db.from('tickets').select('id').order('id').range(1, 2);
  assert.deepEqual(second.data, all.data.slice(1, 3));
  const limited = await db.from('tickets').select('id').order('id').limit(4);
  assert.deepEqual(limited.data, all.data.slice(0, 4));
});

test('single and maybeSingle', async () => {
  const db = serviceClient();
  const one = await db.from('queues').select('slug').eq('slug', 'general').single();
  assert.equal(one.error, null);
  assert.deepEqual(one.data, { slug: 'general' });
  const none = await db.from('queues').select('slug').eq('slug', 'no-such-queue').maybeSingle();
  assert.equal(none.error, null);
  assert.equal(none.data, null);
  const many = await db.from('queues').select('slug').single();
  assert.equal(many.error.code, 'PGRST116');
  assert.equal(many.status, 406);
  const missing = await db.from('queues').select('slug').eq('slug', 'no-such-queue').single();
  assert.equal(missing.error.code, 'PGRST116');
  assert.match(missing.error.details, /0 rows/);
});

test('insert, select the inserted row, update, delete', async () => {
  const db = serviceClient();
  const s = slug();
  const inserted = await db.from('queues').insert({ slug: s, name: 'Conformance' }).select().single();
  assert.equal(inserted.error, null);
  assert.equal(inserted.status, 201);
  assert.equal(inserted.data.slug, s);
  assert.equal(inserted.data.description, '');
  const updated = await db.from('queues').update({ name: 'Renamed' }).eq('slug', s).select('name');
  assert.equal(updated.error, null);
  assert.deepEqual(updated.data, [{ name: 'Renamed' }]);
  const minimal = await db.from('queues').update({ description: 'x' }).eq('slug', s);
  assert.equal(minimal.error, null);
  assert.equal(minimal.status, 204);
  const deleted = await db.from('queues').delete().eq('slug', s).select('slug');
  assert.deepEqual(deleted.data, [{ slug: s }]);
  const gone = await db.from('queues').select('id').eq('slug', s);
  assert.deepEqual(gone.data, []);
});

test('bulk insert and upsert on a unique column', async () => {
  const db = serviceClient();
  const a = slug();
  const b = slug();
  // Bulk inserts send columns= with the union of keys: a missing key is NULL unless defaultToNull is false.
  const nulls = await db.from('queues').insert([{ slug: a, name: 'A' }, { slug: b, name: 'B', description: 'has one' }]);
  assert.equal(nulls.error.code, '23502');
  const bulk = await db.from('queues').insert([{ slug: a, name: 'A' }, { slug: b, name: 'B', description: 'has one' }], { defaultToNull: false }).select('slug, description');
  assert.equal(bulk.error, null);
  assert.deepEqual(bulk.data, [{ slug: a, description: '' }, { slug: b, description: 'has one' }]);
  assert.equal(bulk.data.length, 2);
  const upsert = await db.from('queues').upsert({ slug: a, name: 'A2' }, { onConflict: 'slug' }).select('slug, name');
  assert.equal(upsert.error, null);
  assert.deepEqual(upsert.data, [{ slug: a, name: 'A2' }]);
  const ignored = await db.from('queues').upsert({ slug: b, name: 'ignored' }, { onConflict: 'slug', ignoreDuplicates: true }).select();
  assert.equal(ignored.error, null);
  assert.deepEqual(ignored.data, []);
  await db.from('queues').delete().in('slug', [a, b]);
});

test('errors come back as PostgREST errors', async () => {
  const db = serviceClient();
  const dup = await db.from('queues').insert({ slug: 'general', name: 'Dup' });
  assert.equal(dup.status, 409);
  assert.equal(dup.error.code, '23505');
  const badTable = await db.from('no_such_table').select();
  assert.equal(badTable.status, 404);
  assert.equal(badTable.error.code, 'PGRST205');
  const badColumn = await db.from('tickets').select('nope');
  assert.equal(badColumn.error.code, '42703');
  const noFilter = await db.from('queues').delete();
  assert.equal(noFilter.status, 400);
  assert.equal(noFilter.error.code, '21000');
});

test('rpc: setof function, filters on its result, unknown function', async () => {
  const db = serviceClient();
  const stats = await db.rpc('queue_stats');
  assert.equal(stats.error, null);
  assert.ok(Array.isArray(stats.data) || typeof stats.data === 'object');
  const missing = await db.rpc('no_such_function', { a: 1 });
  assert.equal(missing.status, 404);
  assert.equal(missing.error.code, 'PGRST202');
});

test('anon sees no tickets', async () => {
  const { data, error } = await anonClient().from('tickets').select('id');
  assert.ok(error !== null || data.length === 0);
});

test('a customer reads their own tickets but not another customer\'s', async () => {
  const carol = await signedInClient(demo.carol);
  const own = await carol.from('tickets').select('id, requester_id');
  assert.equal(own.error, null);
  assert.ok(own.data.length >= 1 && own.data.every((t) => t.requester_id === carolId));
  const other = await carol.from('tickets').select('id').eq('id', daveTicket).maybeSingle();
  assert.equal(other.error, null);
  assert.equal(other.data, null);
});

test('a customer opens a ticket and reads its conversation', async () => {
  const carol = await signedInClient(demo.carol);
  const created = await carol.from('tickets').insert({ subject: `Conformance ${randomUUID()}`, queue_id: generalQueue }).select('id, requester_id, status').single();
  assert.equal(created.error, null);
  assert.equal(created.data.requester_id, carolId);
  const message = await carol.from('ticket_messages').insert({ ticket_id: created.data.id, body: 'hello from supabase-js' });
  assert.equal(message.error, null);
  const thread = await carol.from('tickets').select('id, conversation_history:ticket_messages(body)').eq('id', created.data.id).single();
  assert.equal(thread.error, null);
  assert.deepEqual(thread.data.conversation_history.map((m) => m.body), ['hello from supabase-js']);
});

test('an agent claims the next ticket through rpc', async () => {
  const carol = await signedInClient(demo.carol);
  const created = await carol.from('tickets').insert({ subject: `Claim me ${randomUUID()}`, queue_id: generalQueue }).select('id').single();
  assert.equal(created.error, null);
  const bob = await signedInClient(demo.bob);
  const claimed = await bob.rpc('claim_next_ticket', { queue_id: generalQueue });
  assert.equal(claimed.error, null);
  const rows = Array.isArray(claimed.data) ? claimed.data : [claimed.data];
  assert.equal(rows.length, 1);
  assert.equal(rows[0].assignee_id, 'a0000000-0000-4000-8000-000000000003');
});
