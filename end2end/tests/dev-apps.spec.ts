import { expect, test } from '@playwright/test';
import { admin, hydrated, open, removeStoreIfLeft, signIn } from './helpers';

const dev = {
  handle: 'devdash',
  name: 'Dev Dashboard Goods',
  clientId: 'e2ec11e4t1d00000000000000000dev0',
  clientSecret: 'e2ec11e4t5ecret0000000000000dev0',
};

test('the Shopify form says what each kind of app puts in each field', async ({ page }, testInfo) => {
  await signIn(page, admin, testInfo);
  await open(page, '/stores/new?platform=shopify', testInfo);
  for (const kind of ['Dev Dashboard app', 'Custom app made in the Shopify admin before 2026', 'Legacy private app']) {
    await expect(page.getByRole('columnheader', { name: new RegExp(kind) })).toBeVisible();
  }
  const password = page.getByRole('row', { name: /^API Password/ });
  await expect(password).toContainText('Leave empty');
  await expect(password).toContainText('Admin API access token');
  const secret = page.getByRole('row', { name: /^Shared Secret/ });
  await expect(secret).toContainText('Client secret');
});

test('an administrator connects a store with a Client ID and secret and watches it sync', async ({ page }, testInfo) => {
  test.setTimeout(120_000);
  await signIn(page, admin, testInfo);
  await page.getByRole('link', { name: 'ADD STORE' }).click();
  await page.getByRole('link', { name: 'Shopify' }).click();
  await hydrated(page);
  await page.getByLabel('Store URL').fill(dev.handle);
  await page.getByLabel('API Key').fill(dev.clientId);
  await page.getByLabel('Shared Secret').fill(dev.clientSecret);
  await page.getByRole('button', { name: 'REGISTER' }).click();

  const bar = page.getByRole('progressbar', { name: `Sync progress of ${dev.name}` });
  await expect(bar).toBeVisible();
  await expect(bar).toHaveCount(0, { timeout: 90_000 });
  const row = page.getByRole('row').filter({ hasText: `${dev.handle}.myshopify.com` });
  await expect(row.getByRole('cell', { name: 'Connected' })).toBeVisible();
  await expect(row.getByRole('cell', { name: '300', exact: true })).toBeVisible();

  // Leave no store behind for the specs that expect an empty list.
  await page.getByRole('link', { name: `Disconnect ${dev.name}` }).click();
  await page.getByRole('button', { name: `Disconnect ${dev.name}` }).click();
  await page.getByRole('link', { name: `Remove ${dev.name}` }).click();
  await page.getByRole('button', { name: `Remove ${dev.name}` }).click();
  await expect(page.getByRole('heading', { name: 'Stores' })).toBeVisible();
});

// Whatever failed above, leave no store behind for the specs that expect an empty list.
test.afterAll(async ({ browser }, testInfo) => {
  await removeStoreIfLeft(browser, 'devdash', testInfo);
});
