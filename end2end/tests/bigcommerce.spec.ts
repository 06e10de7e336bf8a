import { expect, test } from '@playwright/test';
import { admin, emulatorURL, hydrated, signIn, standard } from './helpers';

// The BigCommerce store of emulator.json.
const bc = {
  hash: 'e2ebc01',
  domain: 'shop.bigbargains.example',
  address: 'store-e2ebc01.mybigcommerce.com',
  name: 'Big Bargains',
  token: 'e2ebctoken0000000000000000000000',
  clientId: 'e2ebcclient00000000000000',
  clientSecret: 'e2ebcsecret0000000000000000',
};

test.describe.configure({ mode: 'serial' });

/** The registered store's id, once registered and until removed. */
let storeId = '';

test('an administrator connects a BigCommerce store (a wrong API Context first) and watches it sync', async ({ page }, testInfo) => {
  test.setTimeout(120_000);
  await signIn(page, admin, testInfo);
  await page.getByRole('link', { name: 'ADD STORE' }).click();
  await page.getByRole('link', { name: 'BigCommerce' }).click();
  await hydrated(page);
  await page.getByLabel('Store URL').fill(bc.domain);
  await page.getByLabel('Access Token').fill(bc.token);
  await page.getByLabel('Client ID').fill(bc.clientId);
  await page.getByLabel('API Context').fill('stores/nosuch1');
  await page.getByLabel('Client secret').fill(bc.clientSecret);
  await page.getByRole('button', { name: 'REGISTER' }).click();
  await expect(page.getByLabel('API Context')).toHaveAttribute('aria-invalid', 'true');
  await expect(page.getByRole('row').filter({ hasText: bc.address })).toHaveCount(0);

  await page.getByLabel('API Context').fill(`https://api.bigcommerce.com/stores/${bc.hash}/v3/`);
  await page.getByRole('button', { name: 'REGISTER' }).click();
  const row = page.getByRole('row').filter({ hasText: bc.address });
  await expect(row).toContainText('BigCommerce');
  await expect(row.getByRole('progressbar')).toHaveCount(0, { timeout: 60_000 });
  await expect(row).toContainText('Connected');
  storeId = (await row.getByRole('link', { name: bc.name, exact: true }).getAttribute('href'))!.split('/').pop()!;
});

test('a standard user marks a BigCommerce order shipped and the store gets the shipment', async ({ page }, testInfo) => {
  test.setTimeout(90_000);
  await signIn(page, standard, testInfo);
  await page.getByRole('link', { name: bc.name, exact: true }).click();
  await hydrated(page);
  const links = page.getByRole('link', { name: /^Mark #\d+ shipped$/ });
  await expect(links.first()).toBeVisible();
  const label = (await links.first().getAttribute('aria-label'))!;
  const order = label.replace(/^Mark | shipped$/g, '');
  await links.first().click();
  await expect(page.getByRole('heading', { name: `Mark ${order} shipped` })).toBeVisible();
  await page.getByLabel('Carrier', { exact: true }).selectOption('UPS');
  await page.getByLabel('Tracking number').fill('1Z999AA10123456785');
  await page.getByRole('button', { name: 'Mark shipped' }).click();

  const shipment = page.getByRole('table', { name: 'Latest shipments' }).getByRole('row').filter({ hasText: '1Z999AA10123456785' });
  await expect(shipment).toContainText('Sent to the store', { timeout: 20_000 });

  const id = order.replace('#', '');
  const held = await (await page.request.get(`${emulatorURL}/_emulator/bigcommerce/${bc.hash}/orders/${id}`)).json();
  expect(held.shipments.length).toBeGreaterThan(0);
  expect(held.shipments.every((s: { tracking_number: string }) => s.tracking_number === '1Z999AA10123456785')).toBe(true);
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
