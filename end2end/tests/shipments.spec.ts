import { expect, test } from '@playwright/test';
import { admin, emulatorURL, hydrated, open, signIn, standard } from './helpers';

// A store whose app may write fulfillments back (emulator.json), registered by the first test.
const ship = { handle: 'ship', name: 'Parcel Works' };

test.describe.configure({ mode: 'serial' });

/** The registered store's id, once registered and until removed. */
let storeId = '';

test('a standard user marks an order shipped from the store page, sees it pending then sent, and it leaves the list', async ({ page, browser }, testInfo) => {
  test.setTimeout(120_000);
  const registrar = await browser.newPage();
  await signIn(registrar, admin, testInfo);
  await registrar.getByRole('link', { name: 'ADD STORE' }).click();
  await registrar.getByRole('link', { name: 'Shopify' }).click();
  await hydrated(registrar);
  await registrar.getByLabel('Store URL').fill(ship.handle);
  await registrar.getByLabel('API Key').fill('e2ekey000000000000000000000000ac');
  await registrar.getByLabel('API Password').fill('shpat_e2e0000000000000000000000000acme');
  await registrar.getByLabel('Shared Secret').fill('shpss_e2e000000000000000000000000acme');
  await registrar.getByRole('button', { name: 'REGISTER' }).click();
  const row = registrar.getByRole('row').filter({ hasText: `${ship.handle}.myshopify.com` });
  await expect(row).toContainText('Connected');
  await expect(row.getByRole('progressbar')).toHaveCount(0, { timeout: 60_000 });
  storeId = (await row.getByRole('link', { name: ship.name, exact: true }).getAttribute('href'))!.split('/').pop()!;

  await signIn(page, standard, testInfo);
  await page.getByRole('link', { name: ship.name, exact: true }).click();
  await hydrated(page);
  const links = page.getByRole('link', { name: /^Mark #\d+ shipped$/ });
  await expect(links.first()).toBeVisible();
  const label = (await links.first().getAttribute('aria-label'))!;
  const order = label.replace(/^Mark | shipped$/g, '');
  const parts = await page.getByRole('link', { name: label, exact: true }).count();

  // Shopify answers slowly for a moment, so the shipment is seen on its way.
  await page.request.post(`${emulatorURL}/_emulator/shops/${ship.handle}/faults`, { data: { latency_ms: 2000 } });
  await page.getByRole('link', { name: label, exact: true }).first().click();
  await expect(page.getByRole('heading', { name: `Mark ${order} shipped` })).toBeVisible();
  await page.getByLabel('Carrier', { exact: true }).selectOption('DHL Express');
  await page.getByLabel('Tracking number').fill('JD014600006281230704');
  await page.getByLabel('Tracking URL (optional)').fill('https://www.dhl.com/track?id=JD014600006281230704');
  await page.getByRole('button', { name: 'Mark shipped' }).click();

  // Back on the orders: the shipment is pending, then sent, without a reload.
  await expect(page.getByRole('heading', { name: 'Orders awaiting shipping' })).toBeVisible();
  const shipment = page.getByRole('table', { name: 'Latest shipments' }).getByRole('row').filter({ hasText: 'JD014600006281230704' });
  await expect(shipment).toContainText('Pending');
  await expect(shipment).toContainText(order);
  await page.request.post(`${emulatorURL}/_emulator/shops/${ship.handle}/faults`, { data: { latency_ms: 0 } });
  await expect(shipment).toContainText('Sent to the store', { timeout: 20_000 });
  await expect(page.getByRole('link', { name: label, exact: true })).toHaveCount(parts - 1);

  // Shopify has it, with the tracking.
  const made = await (await page.request.get(`${emulatorURL}/_emulator/shops/${ship.handle}/fulfillments`)).json();
  expect(made.fulfillments).toHaveLength(1);
  expect(made.fulfillments[0].tracking).toEqual({
    company: 'DHL Express', number: 'JD014600006281230704', url: 'https://www.dhl.com/track?id=JD014600006281230704',
  });
});

test('a shipment form with a bad field says so beside it and records nothing', async ({ page }, testInfo) => {
  await signIn(page, standard, testInfo);
  await page.getByRole('link', { name: ship.name, exact: true }).click();
  const link = page.getByRole('link', { name: /^Mark #\d+ shipped$/ }).first();
  const label = (await link.getAttribute('aria-label'))!;
  await link.click();
  await expect(page.getByRole('heading', { name: label })).toBeVisible();
  await hydrated(page);
  // A tracking number of spaces only.
  const before = await page.request.get(`${emulatorURL}/_emulator/shops/${ship.handle}/fulfillments`);
  await page.getByLabel('Tracking number').fill('   ');
  await page.getByRole('button', { name: 'Mark shipped' }).click();
  await expect(page.getByRole('alert')).toContainText('Enter the tracking number');
  await expect(page.getByRole('heading', { name: label })).toBeVisible();
  await page.getByRole('link', { name: 'Shipments' }).click();
  await expect(page.getByRole('heading', { name: 'Latest shipments' })).toBeVisible();
  const after = await page.request.get(`${emulatorURL}/_emulator/shops/${ship.handle}/fulfillments`);
  expect((await after.json()).fulfillments).toEqual((await before.json()).fulfillments);
  await expect(page.getByRole('table', { name: 'Latest shipments' }).getByRole('row')).toHaveCount(2);
});

test('a standard user corrects a shipment\'s tracking number and Shopify gets the new one', async ({ page }, testInfo) => {
  await signIn(page, standard, testInfo);
  await open(page, `/stores/${storeId}/shipments`, testInfo);
  const correct = page.getByRole('table', { name: 'Latest shipments' }).getByRole('link', { name: /^Correct the tracking of #\d+$/ });
  const label = (await correct.getAttribute('aria-label'))!;
  await correct.click();
  await expect(page.getByRole('heading', { name: label })).toBeVisible();
  await expect(page.getByLabel('Tracking number')).toHaveValue('JD014600006281230704');
  // A number of spaces only is refused beside its field, and nothing changes.
  await page.getByLabel('Tracking number').fill('   ');
  await page.getByRole('button', { name: 'Save the tracking' }).click();
  await expect(page.getByRole('alert')).toContainText('Enter the tracking number');
  await page.getByLabel('Tracking number').fill('JD014600006281230705');
  await page.getByRole('button', { name: 'Save the tracking' }).click();
  const row = page.getByRole('table', { name: 'Latest shipments' }).getByRole('row').filter({ hasText: 'JD014600006281230705' });
  await expect(row).toBeVisible();
  await expect(row).toHaveText(/Sent to the store(?!; new tracking)/, { timeout: 20_000 });
  const made = async () => (await (await page.request.get(`${emulatorURL}/_emulator/shops/${ship.handle}/fulfillments`)).json()).fulfillments;
  await expect.poll(async () => (await made())[0].tracking.number).toBe('JD014600006281230705');
  expect(await made()).toHaveLength(1);
});

test('an administrator creates an API token, sees it once, and revokes it', async ({ page }, testInfo) => {
  const name = `Label printer ${testInfo.project.name}`;
  await signIn(page, admin, testInfo);
  await page.getByRole('link', { name: 'API tokens' }).click();
  await expect(page.getByRole('heading', { name: 'API tokens' })).toBeVisible();
  await hydrated(page);
  await page.getByLabel('Name').fill(name);
  await page.getByRole('button', { name: 'Create token' }).click();
  await expect(page.getByRole('status')).toContainText(`Created “${name}”`);
  await expect(page.getByRole('status')).toContainText('will not show it again');
  const token = await page.getByLabel('New API token').inputValue();
  expect(token).toMatch(/^slk_[0-9a-f]{64}$/);
  // Copy puts it on the clipboard.
  await page.context().grantPermissions(['clipboard-read', 'clipboard-write']);
  await page.getByRole('button', { name: 'Copy' }).click();
  await expect(page.getByRole('button', { name: 'Copied' })).toBeVisible();
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(token);
  const listed = page.getByRole('table', { name: 'API tokens' }).getByRole('row').filter({ hasText: name });
  await expect(listed).toContainText('Live');
  await expect(listed).toContainText(`starts with ${token.slice(0, 12)}`);
  await expect(listed).not.toContainText(token.slice(12));

  const orders = () => page.request.get('/api/v1/orders?awaiting_shipment=true', { headers: { authorization: `Bearer ${token}` } });
  expect((await orders()).status()).toBe(200);
  await open(page, '/tokens', testInfo);
  await expect(listed).not.toContainText('Never');

  // Revoke asks first; keeping it changes nothing.
  await page.getByRole('link', { name: `Revoke ${name}` }).click();
  await expect(page.getByRole('heading', { name: `Revoke “${name}”?` })).toBeVisible();
  await page.getByRole('link', { name: 'Keep it' }).click();
  await expect(listed).toContainText('Live');
  expect((await orders()).status()).toBe(200);
  await page.getByRole('link', { name: `Revoke ${name}` }).click();
  await page.getByRole('button', { name: `Revoke “${name}”` }).click();
  await expect(listed).toContainText('Revoked');
  expect((await orders()).status()).toBe(401);
  // Standard users do not see the page.
  const other = await page.context().browser()!.newPage();
  await signIn(other, standard, testInfo);
  await expect(other.getByRole('link', { name: 'API tokens' })).toHaveCount(0);
});

test('a token form the server cannot read says so above its button and creates no token @no-js', async ({ page }, testInfo) => {
  const name = `Stale page ${testInfo.project.name}`;
  await signIn(page, admin, testInfo);
  await open(page, '/tokens', testInfo);
  await page.getByLabel('Name').fill(name);
  // A page left open across an upgrade can post a form the server no longer reads.
  await page.getByLabel('Name').evaluate((input) => input.removeAttribute('name'));
  await page.getByRole('button', { name: 'Create token' }).click();
  await expect(page.getByRole('alert')).toHaveText('The form could not be read. Reload the page and try again.');
  await open(page, '/tokens', testInfo);
  await expect(page.getByRole('heading', { name: 'Create a token' })).toBeVisible();
  await expect(page.getByText(name)).toHaveCount(0);
});

test('the administrator disconnects and removes the store, so the specs after start from an empty list', async ({ page }, testInfo) => {
  await signIn(page, admin, testInfo);
  const row = page.getByRole('row').filter({ hasText: `${ship.handle}.myshopify.com` });
  await page.getByRole('link', { name: `Disconnect ${ship.name}` }).click();
  await page.getByRole('button', { name: `Disconnect ${ship.name}` }).click();
  await expect(row).toContainText('Disconnected');
  await page.getByRole('link', { name: `Remove ${ship.name}` }).click();
  await page.getByRole('button', { name: `Remove ${ship.name}` }).click();
  await expect(row).toHaveCount(0);
  storeId = '';
});

// Whatever failed above, leave no store behind for the specs that expect an empty list.
test.afterAll(async ({ browser }, testInfo) => {
  if (!storeId) return;
  const page = await browser.newPage();
  await signIn(page, admin, testInfo);
  const headers = { origin: new URL(page.url()).origin };
  await page.request.post('/api/stores/disconnect', { form: { store_id: storeId }, headers });
  await page.request.post('/api/stores/remove', { form: { store_id: storeId }, headers });
  await page.close();
});
