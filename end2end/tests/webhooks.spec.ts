import { expect, test } from '@playwright/test';
import { admin, emulatorURL, hydrated, open, removeStoreIfLeft, signIn } from './helpers';

const hooks = { handle: 'hooks', name: 'Hook Street Goods' };

test('an order created in Shopify appears on the open store page within seconds, without a reload', async ({ page }, testInfo) => {
  await signIn(page, admin, testInfo);
  await page.getByRole('link', { name: 'ADD STORE' }).click();
  await page.getByRole('link', { name: 'Shopify' }).click();
  await hydrated(page);
  await page.getByLabel('Store URL').fill(hooks.handle);
  await page.getByLabel('API Key').fill('e2ekey000000000000000000000000ac');
  await page.getByLabel('API Password').fill('shpat_e2e0000000000000000000000000acme');
  await page.getByLabel('Shared Secret').fill('shpss_e2e000000000000000000000000acme');
  await page.getByRole('button', { name: 'REGISTER' }).click();

  await page.getByRole('link', { name: hooks.name, exact: true }).click();
  await expect(page.getByRole('heading', { name: hooks.name })).toBeVisible();
  await hydrated(page);
  await expect(page.getByRole('status').first()).toContainText('Synchronized');
  await page.getByRole('link', { name: 'Sync and webhooks' }).click();
  const webhooks = page.getByRole('region', { name: 'Webhooks' });
  await expect(webhooks).toContainText('20 of 20');
  // Shopify told storelink each of its five exports had finished (bulk_operations/finish).
  const deliveries = webhooks.getByRole('definition').nth(2);
  await expect(deliveries).toHaveText('5');

  // The merchant takes an order in Shopify; the orders tab shows it without being reloaded.
  await page.getByRole('navigation', { name: 'Store' }).getByRole('link', { name: 'Orders', exact: true }).click();
  const created = await page.request.post(`${emulatorURL}/_emulator/shops/${hooks.handle}/orders`, { data: {} });
  const order = (await created.json()).order;
  const orders = page.getByRole('region', { name: /Orders awaiting shipping/ });
  await expect(orders.getByRole('cell', { name: order.name, exact: true })).toBeVisible({ timeout: 10_000 });
  await page.getByRole('link', { name: 'Sync and webhooks' }).click();
  await expect.poll(async () => Number(await deliveries.textContent())).toBeGreaterThan(5);

  // Leave no store behind for the specs that expect an empty list.
  await open(page, '/', testInfo);
  await page.getByRole('link', { name: `Disconnect ${hooks.name}` }).click();
  await page.getByRole('button', { name: `Disconnect ${hooks.name}` }).click();
  await page.getByRole('link', { name: `Remove ${hooks.name}` }).click();
  await page.getByRole('button', { name: `Remove ${hooks.name}` }).click();
  // Back on the Stores page, so the removal has finished before the next spec looks.
  await expect(page.getByRole('heading', { name: 'Stores', exact: true })).toBeVisible();
  await expect(page.getByRole('row').filter({ hasText: `${hooks.handle}.myshopify.com` })).toHaveCount(0);
});

// Whatever failed above, leave no store behind for the specs that expect an empty list.
test.afterAll(async ({ browser }, testInfo) => {
  await removeStoreIfLeft(browser, 'hooks', testInfo);
});
