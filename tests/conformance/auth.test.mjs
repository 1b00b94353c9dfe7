// supabase-js auth (auth-js) against the DevStack's /auth/v1: what an app does with
// email/password accounts, and the admin API a back office uses.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { anonClient, serviceClient, demo, signedInClient, uniqueEmail } from './support.mjs';

const password = 'conformance-password';

test('signUp with autoconfirm returns a session and the user', async () => {
  const client = anonClient();
  const email = uniqueEmail('signup');
  const { data, error } = await client.auth.signUp({ email, password, options: { data: { display_name: 'Sam' } } });
  assert.equal(error, null);
  assert.ok(data.session?.access_token);
  assert.ok(data.session.refresh_token);
  assert.equal(data.session.token_type, 'bearer');
  assert.equal(data.user.email, email);
  assert.equal(data.user.user_metadata.display_name, 'Sam');
  assert.ok(data.user.email_confirmed_at);
  assert.equal(data.user.identities.length, 1);
  const { data: current } = await client.auth.getSession();
  assert.equal(current.session.user.id, data.user.id);
});

test('signUp of an existing email fails with user_already_exists', async () => {
  const { error } = await anonClient().auth.signUp({ email: demo.carol, password });
  assert.equal(error?.status, 422);
  assert.equal(error.code, 'user_already_exists');
  assert.equal(error.message, 'User already registered');
});

test('signUp with a short password is an AuthWeakPasswordError', async () => {
  const { error } = await anonClient().auth.signUp({ email: uniqueEmail('weak'), password: '123' });
  assert.equal(error?.name, 'AuthWeakPasswordError');
  assert.equal(error.code, 'weak_password');
  assert.deepEqual(error.reasons, ['length']);
});

test('signInWithPassword works for a seeded account and refuses a wrong password', async () => {
  const client = anonClient();
  const { data, error } = await client.auth.signInWithPassword({ email: demo.alice, password: demo.password });
  assert.equal(error, null);
  assert.equal(data.user.email, demo.alice);
  assert.ok(data.session.expires_at > Math.floor(Date.now() / 1000));

  const wrong = await anonClient().auth.signInWithPassword({ email: demo.alice, password: 'not-the-password' });
  assert.equal(wrong.error?.status, 400);
  assert.equal(wrong.error.code, 'invalid_credentials');
  assert.equal(wrong.error.message, 'Invalid login credentials');
  assert.equal(wrong.data.session, null);
});

test('getUser returns the signed-in user from the server', async () => {
  const client = await signedInClient(demo.dave);
  const { data, error } = await client.auth.getUser();
  assert.equal(error, null);
  assert.equal(data.user.email, demo.dave);
  assert.equal(data.user.role, 'authenticated');
});

test('updateUser merges data into user_metadata and changes the password', async () => {
  const client = anonClient();
  const email = uniqueEmail('update');
  await client.auth.signUp({ email, password, options: { data: { a: 1 } } });

  const merged = await client.auth.updateUser({ data: { b: 2 } });
  assert.equal(merged.error, null);
  assert.equal(merged.data.user.user_metadata.a, 1);
  assert.equal(merged.data.user.user_metadata.b, 2);

  const changed = await client.auth.updateUser({ password: 'a-brand-new-password' });
  assert.equal(changed.error, null);
  const signIn = await anonClient().auth.signInWithPassword({ email, password: 'a-brand-new-password' });
  assert.equal(signIn.error, null);

  const same = await client.auth.updateUser({ password: 'a-brand-new-password' });
  assert.equal(same.error?.code, 'same_password');
});

test('refreshSession rotates the refresh token and keeps the user', async () => {
  const client = anonClient();
  const { data: signUp } = await client.auth.signUp({ email: uniqueEmail('refresh'), password });
  const { data, error } = await client.auth.refreshSession();
  assert.equal(error, null);
  assert.notEqual(data.session.refresh_token, signUp.session.refresh_token);
  assert.equal(data.user.id, signUp.user.id);

  // The old token may be reused while inside the reuse interval (a lost response): the same child comes back.
  const again = await anonClient().auth.refreshSession({ refresh_token: signUp.session.refresh_token });
  assert.equal(again.error, null);
  assert.equal(again.data.session.refresh_token, data.session.refresh_token);
});

test('signOut ends the session on the server', async () => {
  const client = anonClient();
  await client.auth.signUp({ email: uniqueEmail('signout'), password });
  const { data: before } = await client.auth.getSession();
  const accessToken = before.session.access_token;

  const { error } = await client.auth.signOut();
  assert.equal(error, null);
  const { data: after } = await client.auth.getSession();
  assert.equal(after.session, null);

  // The server answers 403 session_not_found, which auth-js turns into AuthSessionMissingError.
  const stale = await anonClient().auth.getUser(accessToken);
  assert.equal(stale.error?.name, 'AuthSessionMissingError');
  assert.equal(stale.data.user, null);
});

test('admin createUser, listUsers and deleteUser', async () => {
  const admin = serviceClient().auth.admin;
  const email = uniqueEmail('admin');
  const created = await admin.createUser({ email, password, email_confirm: true, user_metadata: { display_name: 'Ada' } });
  assert.equal(created.error, null);
  assert.equal(created.data.user.email, email);
  assert.ok(created.data.user.email_confirmed_at);

  const duplicate = await admin.createUser({ email, password });
  assert.equal(duplicate.error?.status, 422);
  assert.equal(duplicate.error.code, 'email_exists');

  const page = await admin.listUsers({ page: 1, perPage: 2 });
  assert.equal(page.error, null);
  assert.equal(page.data.users.length, 2);
  assert.ok(page.data.total >= 7);
  assert.equal(page.data.nextPage, 2);
  assert.ok(page.data.lastPage >= 2);

  const signIn = await anonClient().auth.signInWithPassword({ email, password });
  assert.equal(signIn.error, null);

  const deleted = await admin.deleteUser(created.data.user.id);
  assert.equal(deleted.error, null);
  const gone = await admin.getUserById(created.data.user.id);
  assert.equal(gone.error?.status, 404);
  assert.equal(gone.error.code, 'user_not_found');
});

test('admin API refuses the anon key', async () => {
  const { error } = await anonClient().auth.admin.listUsers();
  assert.equal(error?.status, 403);
  assert.equal(error.code, 'not_admin');
});

test('a DevStack started with its defaults answers the sign-in past the burst with a 429 over_request_rate_limit AuthApiError', async (t) => {
  // A second DevStack on the same database, with its default rate limits (per client address) and keys of its own.
  const { spawn } = await import('node:child_process');
  const { createInterface } = await import('node:readline');
  const path = await import('node:path');
  const { fileURLToPath } = await import('node:url');
  const { createClient } = await import('@supabase/supabase-js');
  const { stack } = await import('./support.mjs');
  const here = path.dirname(fileURLToPath(import.meta.url));
  const dll = path.join(here, '..', '..', 'src', 'AutoCrm.DevStack', 'bin', 'Release', 'net10.0', 'AutoCrm.DevStack.dll');
  const { mkdtempSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const dataDir = mkdtempSync(path.join(tmpdir(), 'autocrm-limits-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  const child = spawn('dotnet', [dll, '--port', '0', '--db-url', stack.dbUrl, '--data-dir', dataDir, '--no-seed'], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.after(() => child.kill('SIGTERM'));
  let url;
  let anonKey;
  const timeout = setTimeout(() => child.kill('SIGTERM'), 120_000);
  for await (const line of createInterface({ input: child.stdout })) {
    const match = /^API URL: (.+)$/.exec(line);
    if (match) url = match[1];
    const key = /^anon key: (.+)$/.exec(line);
    if (key) anonKey = key[1];
    if (line.startsWith('service_role key: ')) break;
  }
  clearTimeout(timeout);
  assert.ok(url, 'the limited DevStack did not start');
  child.stdout.resume();

  const { default: WebSocket } = await import('ws');
  assert.notEqual(anonKey, stack.anonKey, 'each data directory has a secret of its own');
  const client = createClient(url, anonKey, { auth: { persistSession: false, autoRefreshToken: false }, realtime: { transport: WebSocket } });
  // The bucket holds 30 and refills at 150 per 5 minutes (real time here), so 40 requests at once must see a 429.
  const email = uniqueEmail('nobody');
  const results = await Promise.all(Array.from({ length: 40 }, () => client.auth.signInWithPassword({ email, password: 'wrong-password' })));
  const codes = results.map(({ error }) => error?.code);
  assert.ok(codes.every((code) => code === 'invalid_credentials' || code === 'over_request_rate_limit'), codes.join(','));
  assert.ok(codes.filter((code) => code === 'invalid_credentials').length >= 30, codes.join(','));
  const { data, error } = results.find(({ error }) => error?.code === 'over_request_rate_limit') ?? {};
  assert.ok(error, 'no request was limited: ' + codes.join(','));
  assert.equal(data.session, null);
  assert.equal(error.name, 'AuthApiError');
  assert.equal(error.status, 429);
  assert.equal(error.message, 'Request rate limit reached');
});
