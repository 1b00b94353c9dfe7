// supabase-js v2 against the DevStack: custom ticket fields validated in the database, with PostgREST's error shape,
// and agent-only values that a customer's client never receives.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { serviceClient, signedInClient, demo } from './support.mjs';

const generalQueue = 'b0000000-0000-4000-8000-000000000001';
const suffix = randomUUID().slice(0, 8);
const plan = `conf_plan_${suffix}`;
const secret = `conf_secret_${suffix}`;
const locked = `conf_locked_${suffix}`;
// The tickets this file creates, removed at the end so that other files see the seed's tickets only.
const subject = `Fields ${suffix}`;

const admin = serviceClient();
for (const field of [
  { key: plan, label: 'Plan', type: 'dropdown', options: ['free', 'pro', 'enterprise'], customer_visible: true, customer_editable: true },
  { key: secret, label: 'Secret', type: 'text' },
  { key: locked, label: 'Locked', type: 'integer', customer_visible: true },
]) {
  const defined = await admin.from('ticket_fields').insert(field);
  assert.equal(defined.error, null);
}
after(async () => {
  await admin.from('tickets').delete().like('subject', `${subject} %`);
  await admin.from('ticket_fields').delete().in('key', [plan, secret, locked]);
});

function detailsOf(error) {
  return JSON.parse(error.details);
}

test('a value that is not one of the options: 400, code 23514, a message naming the field, details {field, rule}', async () => {
  const carol = await signedInClient(demo.carol);
  const { data, error, status } = await carol.from('tickets')
    .insert({ subject: `${subject} ${randomUUID()}`, queue_id: generalQueue, metadata: { [plan]: 'platinum' } }).select();
  assert.equal(status, 400);
  assert.equal(data, null);
  assert.equal(error.code, '23514');
  assert.equal(error.message, `field "${plan}": "platinum" is not one of free, pro, enterprise`);
  assert.deepEqual(detailsOf(error), { field: plan, rule: 'option' });
  assert.equal(error.hint, null);
});

test('a value of the wrong type on update: 400 with the type rule, and the ticket is unchanged', async () => {
  const carol = await signedInClient(demo.carol);
  const created = await carol.from('tickets')
    .insert({ subject: `${subject} ${randomUUID()}`, queue_id: generalQueue, metadata: { [plan]: 'pro' } }).select('id, version').single();
  assert.equal(created.error, null);
  const bad = await carol.from('tickets').update({ subject: 'changed', metadata: { [plan]: 42 } }).eq('id', created.data.id).select();
  assert.equal(bad.status, 400);
  assert.equal(bad.error.code, '23514');
  assert.deepEqual(detailsOf(bad.error), { field: plan, rule: 'type' });
  const reread = await carol.from('tickets').select('subject, version, metadata').eq('id', created.data.id).single();
  assert.equal(reread.data.version, created.data.version);
  assert.deepEqual(reread.data.metadata, { [plan]: 'pro' });
});

test('a required field left out: 400 with the required rule', async () => {
  const required = await admin.from('ticket_fields').update({ required_for_customers: true }).eq('key', plan);
  assert.equal(required.error, null);
  try {
    const carol = await signedInClient(demo.carol);
    const { error, status } = await carol.from('tickets').insert({ subject: `${subject} ${randomUUID()}`, queue_id: generalQueue });
    assert.equal(status, 400);
    assert.equal(error.code, '23514');
    assert.equal(error.message, `field "${plan}": a value is required`);
    assert.deepEqual(detailsOf(error), { field: plan, rule: 'required' });
  } finally {
    await admin.from('ticket_fields').update({ required_for_customers: false }).eq('key', plan);
  }
});

test('a customer setting a field she may not edit: 403, code 42501', async () => {
  const carol = await signedInClient(demo.carol);
  const { error, status } = await carol.from('tickets')
    .insert({ subject: `${subject} ${randomUUID()}`, queue_id: generalQueue, metadata: { [locked]: 1 } });
  assert.equal(status, 403);
  assert.equal(error.code, '42501');
  assert.equal(error.message, `field "${locked}": customers cannot change this field`);
  assert.deepEqual(detailsOf(error), { field: locked, rule: 'not_editable' });
});

test('set_ticket_field through rpc: errors as PostgREST returns them, and agent-only values for staff only', async () => {
  const carol = await signedInClient(demo.carol);
  const created = await carol.from('tickets').insert({ subject: `${subject} ${randomUUID()}`, queue_id: generalQueue }).select('id').single();
  assert.equal(created.error, null);
  const ticketId = created.data.id;
  const staff = await signedInClient(demo.admin);

  const undefinedField = await staff.rpc('set_ticket_field', { ticket_id: ticketId, key: 'no_such_field', value: 1 });
  assert.equal(undefinedField.status, 400);
  assert.equal(undefinedField.error.code, '22023');
  assert.deepEqual(detailsOf(undefinedField.error), { field: 'no_such_field', rule: 'undefined' });
  const badValue = await staff.rpc('set_ticket_field', { ticket_id: ticketId, key: plan, value: 'gold' });
  assert.equal(badValue.status, 400);
  assert.equal(badValue.error.code, '23514');

  const set = await staff.rpc('set_ticket_field', { ticket_id: ticketId, key: secret, value: 'staff eyes only' });
  assert.equal(set.error, null);
  assert.deepEqual(set.data, { [secret]: 'staff eyes only' });

  const columns = `id, metadata, ticket_agent_fields(metadata)`;
  const seenByStaff = await staff.from('tickets').select(columns).eq('id', ticketId).single();
  assert.equal(seenByStaff.error, null);
  assert.deepEqual(seenByStaff.data.ticket_agent_fields, { metadata: { [secret]: 'staff eyes only' } });
  assert.equal(seenByStaff.data.metadata[secret], undefined);

  const seenByCarol = await carol.from('tickets').select(columns).eq('id', ticketId).single();
  assert.equal(seenByCarol.error, null);
  assert.equal(seenByCarol.data.ticket_agent_fields, null);
  assert.doesNotMatch(JSON.stringify(seenByCarol.data), /staff eyes only/);
  const carolsValues = await carol.rpc('ticket_field_values', { ticket_id: ticketId });
  assert.deepEqual(carolsValues.data, {});
  const carolsSet = await carol.rpc('set_ticket_field', { ticket_id: ticketId, key: secret, value: 'x' });
  assert.equal(carolsSet.status, 400);
  assert.deepEqual(detailsOf(carolsSet.error), { field: secret, rule: 'undefined' });
});

test('only admins define fields', async () => {
  const carol = await signedInClient(demo.carol);
  const { error, status } = await carol.from('ticket_fields').insert({ key: `conf_x_${suffix}`, label: 'X', type: 'text' });
  assert.equal(status, 403);
  assert.equal(error.code, '42501');
  const clash = await admin.from('ticket_fields').insert({ key: 'subject', label: 'Subject', type: 'text' });
  assert.equal(clash.status, 400);
  assert.equal(clash.error.code, '23514');
  assert.deepEqual(detailsOf(clash.error), { field: 'subject', rule: 'definition' });
});
