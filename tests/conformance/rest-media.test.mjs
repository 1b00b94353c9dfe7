// supabase-js v2 REST beyond JSON arrays: csv(), stripNulls(), geojson(), explain(), many-to-many embedding,
// maxAffected() and rollback(), against the DevStack over the seeded AutoCRM schema.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { serviceClient, stack } from './support.mjs';

const aliceId = 'a0000000-0000-4000-8000-000000000002';
const bobId = 'a0000000-0000-4000-8000-000000000003';
const generalQueue = 'b0000000-0000-4000-8000-000000000001';
const billingQueue = 'b0000000-0000-4000-8000-000000000002';

test('csv() returns PostgREST CSV text: header row, one line per row', async () => {
  const db = serviceClient();
  const { data, error, status } = await db
    .from('queues')
    .select('slug,name')
    .in('id', [generalQueue, billingQueue])
    .order('slug')
    .csv();
  assert.equal(error, null);
  assert.equal(status, 200);
  assert.equal(data, 'slug,name\nbilling,Billing\ngeneral,General');
});

test('csv() quotes values the way PostgreSQL record text does', async () => {
  const db = serviceClient();
  const { data, error } = await db
    .from('profiles')
    .select('id,display_name,role')
    .eq('id', aliceId)
    .csv();
  assert.equal(error, null);
  assert.equal(data, `id,display_name,role\n${aliceId},"Alice Agent",agent`);
});

test('stripNulls() drops null fields from every row', async () => {
  const db = serviceClient();
  const plain = await db.from('tickets').select('id,queue_id').is('queue_id', null).limit(1);
  assert.equal(plain.error, null);
  assert.ok('queue_id' in plain.data[0]);
  const stripped = await db.from('tickets').select('id,queue_id').is('queue_id', null).limit(1).stripNulls();
  assert.equal(stripped.error, null);
  assert.deepEqual(Object.keys(stripped.data[0]), ['id']);
  const single = await db.from('tickets').select('id,queue_id').eq('id', stripped.data[0].id).single().stripNulls();
  assert.equal(single.error, null);
  assert.deepEqual(single.data, { id: stripped.data[0].id });
});

test('geojson() without PostGIS is the undefined-function error PostgREST gives', async () => {
  const db = serviceClient();
  const { data, error, status } = await db.from('queues').select('slug').geojson();
  assert.equal(data, null);
  assert.equal(status, 404);
  assert.equal(error.code, '42883');
  assert.equal(error.message, 'function st_asgeojson(record) does not exist');
});

test('many-to-many: profiles embed queues through queue_members, with and without the junction hint', async () => {
  const db = serviceClient();
  const { data, error } = await db
    .from('profiles')
    .select('id, queues(slug)')
    .in('id', [aliceId, bobId])
    .in('queues.id', [generalQueue, billingQueue])
    .order('id')
    .order('slug', { referencedTable: 'queues' });
  assert.equal(error, null);
  assert.deepEqual(data, [
    { id: aliceId, queues: [{ slug: 'billing' }, { slug: 'general' }] },
    { id: bobId, queues: [{ slug: 'general' }] },
  ]);
  const hinted = await db
    .from('queues')
    .select('slug, agents:profiles!queue_members(id)')
    .eq('id', billingQueue)
    .eq('agents.id', aliceId)
    .single();
  assert.equal(hinted.error, null);
  assert.deepEqual(hinted.data, { slug: 'billing', agents: [{ id: aliceId }] });
});

test('explain() is refused with PGRST107 while db_plan_enabled is off (the local default)', async () => {
  const db = serviceClient();
  const { data, error, status } = await db.from('queues').select('slug').explain({ analyze: true });
  assert.equal(data, null);
  assert.equal(status, 406);
  assert.equal(error.code, 'PGRST107');
  assert.equal(error.message, 'None of these media types are available: application/vnd.pgrst.plan+text; for="application/json"; options=analyze');
});

test('explain() returns the plan once the authenticator enables it', async () => {
  const psql = (sql) => execFileSync('psql', [stack.dbUrl, '-v', 'ON_ERROR_STOP=1', '-qc', sql], { stdio: 'pipe' });
  const db = serviceClient();
  psql("alter role authenticator set pgrst.db_plan_enabled to 'true'; notify pgrst, 'reload config'");
  try {
    // The schema cache reloads on the notification; each request is a real round trip, bounded by the deadline.
    let text;
    const deadline = Date.now() + 30_000;
    do {
      text = await db.from('queues').select('slug').eq('id', generalQueue).explain({ analyze: true, verbose: true });
    } while (text.status === 406 && Date.now() < deadline);
    assert.equal(text.error, null);
    assert.equal(typeof text.data, 'string');
    assert.match(text.data, /Aggregate/);
    assert.match(text.data, /actual time=/);
    const json = await db.from('queues').select('slug').explain({ format: 'json' });
    assert.equal(json.error, null);
    assert.ok(Array.isArray(json.data) && json.data[0].Plan);
  } finally {
    psql("alter role authenticator reset pgrst.db_plan_enabled; notify pgrst, 'reload config'");
  }
});
