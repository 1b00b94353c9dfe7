// supabase-js v2 spreading a to-many embed (`...ticket_messages(body)`), PostgREST 13: each spread column becomes an
// array. Like PostgREST it needs db-aggregates-enabled, which Supabase leaves off (then 400 PGRST123).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { serviceClient, stack } from './support.mjs';

const daveTicket = 'd0000000-0000-4000-8000-000000000002';

const psql = (sql) => execFileSync('psql', [stack.dbUrl, '-v', 'ON_ERROR_STOP=1', '-qc', sql], { stdio: 'pipe' });

test('a to-many spread is PGRST123 while aggregates are disabled (the Supabase default)', async () => {
  const db = serviceClient();
  const { data, error, status } = await db.from('tickets').select('id, ...ticket_messages(body)').eq('id', daveTicket);
  assert.equal(data, null);
  assert.equal(status, 400);
  assert.equal(error.code, 'PGRST123');
  assert.equal(error.message, 'Use of aggregate functions is not allowed');
});

test('a to-many spread turns each column into an array once the authenticator enables aggregates', async () => {
  const db = serviceClient();
  psql("alter role authenticator set pgrst.db_aggregates_enabled to 'true'; notify pgrst, 'reload config'");
  try {
    // The schema cache reloads on the notification; each request is a real round trip, bounded by the deadline.
    let spread;
    const deadline = Date.now() + 30_000;
    do {
      spread = await db
        .from('tickets')
        .select('id, ...ticket_messages(bodies:body, created_at)')
        .eq('id', daveTicket)
        .order('created_at', { referencedTable: 'ticket_messages' })
        .order('id', { referencedTable: 'ticket_messages' });
    } while (spread.status === 400 && Date.now() < deadline);
    assert.equal(spread.error, null);
    const nested = await db
      .from('tickets')
      .select('id, ticket_messages(body, created_at)')
      .eq('id', daveTicket)
      .order('created_at', { referencedTable: 'ticket_messages' })
      .order('id', { referencedTable: 'ticket_messages' });
    assert.equal(nested.error, null);
    const messages = nested.data[0].ticket_messages;
    assert.ok(messages.length >= 1);
    assert.deepEqual(spread.data, [{
      id: daveTicket,
      bodies: messages.map((m) => m.body),
      created_at: messages.map((m) => m.created_at),
    }]);

    const none = await db.from('tickets').select('id, ...ticket_messages(body)').eq('id', daveTicket).eq('ticket_messages.body', 'no such message');
    assert.equal(none.error, null);
    assert.deepEqual(none.data, [{ id: daveTicket, body: [] }]);
  } finally {
    psql("alter role authenticator reset pgrst.db_aggregates_enabled; notify pgrst, 'reload config'");
  }
});
