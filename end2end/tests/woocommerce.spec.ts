import { expect, test } from '@playwright/test';
import { admin, emulatorURL, hydrated, signIn, standard } from './helpers';

// The WooCommerce site of emulator.json.
const woo = {
  url: 'shop.e2e-woo.example',
  home: 'https://shop.e2e-woo.example',
  name: 'Woo Wares',
  key: 'ck_e2e0000000000000000000000000000000000woo',
  secret: 'cs_e2e0000000000000000000000000000000000woo',
};

test.describe.configure({ mode: 'serial' });

/** The registered store's id, once registered and until removed. */
let storeId = '';

test('an administrator connects a WooCommerce store (a wrong secret first) and watches it sync', async ({ page }, testInfo) => {
  test.setTimeout(120_000);
  await signIn(page, admin, testInfo);
  await page.getByRole('link', { name: 'ADD STORE' }).click();
  await page.getByRole('link', { name: 'WooCommerce' }).click();
  await hydrated(page);
  await expect(page.getByRole('heading', { name: 'Connect a WooCommerce store' })).toBeVisible();
  await expect(page.getByText('WooCommerce → Settings → Advanced → REST API').first()).toBeVisible();
  await page.getByLabel('Store URL').fill(woo.url);
  await page.getByLabel('Consumer key').fill(woo.key);
  await page.getByLabel('Consumer secret').fill('cs_wrong000000000000000000000000000000000');
  await page.getByRole('button', { name: 'REGISTER' }).click();
  await expect(page.getByText('This consumer secret does not belong to the consumer key.')).toBeVisible();
  await expect(page.getByLabel('Consumer secret')).toHaveAttribute('aria-invalid', 'true');

  await page.getByLabel('Consumer secret').fill(woo.secret);
  await page.getByRole('button', { name: 'REGISTER' }).click();
  const row = page.getByRole('row').filter({ hasText: woo.home });
  await expect(row).toContainText('WooCommerce');
  await expect(row.getByRole('progressbar')).toHaveCount(0, { timeout: 60_000 });
  await expect(row).toContainText('Connected');
  storeId = (await row.getByRole('link', { name: woo.name, exact: true }).getAttribute('href'))!.split('/').pop()!;
});

test('a standard user marks a WooCommerce order shipped and the store gets the tracking', async ({ page }, testInfo) => {
  test.setTimeout(90_000);
  await signIn(page, standard, testInfo);
  await page.getByRole('link', { name: woo.name, exact: true }).click();
  await hydrated(page);
  const links = page.getByRole('link', { name: /^Mark #\d+ shipped$/ });
  await expect(links.first()).toBeVisible();
  const label = (await links.first().getAttribute('aria-label'))!;
  const order = label.replace(/^Mark | shipped$/g, '');
  await links.first().click();
  await expect(page.getByRole('heading', { name: `Mark ${order} shipped` })).toBeVisible();
  await page.getByLabel('Carrier', { exact: true }).selectOption('UPS');
  await page.getByLabel('Tracking number').fill('1Z999AA10123456784');
  await page.getByRole('button', { name: 'Mark shipped' }).click();

  const shipment = page.getByRole('table', { name: 'Latest shipments' }).getByRole('row').filter({ hasText: '1Z999AA10123456784' });
  await expect(shipment).toContainText('Sent to the store', { timeout: 20_000 });
  await expect(page.getByRole('link', { name: label, exact: true })).toHaveCount(0);

  // WooCommerce has it as a tracking item, and the order is completed.
  const id = order.replace('#', '');
  const held = await (await page.request.get(`${emulatorURL}/_emulator/woocommerce/${woo.url}/orders/${id}`)).json();
  expect(held.tracking.map((t: { tracking_number: string }) => t.tracking_number)).toEqual(['1Z999AA10123456784']);
  expect(held.order.status).toBe('completed');
});

// Whatever happened above, leave no store behind for the specs that expect an empty list.
test.afterAll(async ({ browser }, testInfo) => {
  if (!storeId) return;
  const page = await browser.newPage();
  await signIn(page, admin, testInfo);
  const headers = { origin: new URL(page.url()).origin };
  await page.request.post('/api/stores/disconnect', { form: { store_id: storeId }, headers });
  await page.request.post('/api/stores/remove', { form: { store_id: storeId }, headers });
  await page.close();
});
