import { Browser, expect, Page, test, TestInfo } from '@playwright/test';
import { admin, emulatorURL, hydrated, open, removeStoreIfLeft, signIn, standard } from './helpers';

const credentials = {
  key: 'e2ekey000000000000000000000000ac',
  password: 'shpat_e2e0000000000000000000000000acme',
  secret: 'shpss_e2e000000000000000000000000acme',
};

/** Each project registers its own shop, so the two runs never meet in the shared database. */
function shopFor(testInfo: TestInfo) {
  return testInfo.project.name === 'no-javascript'
    ? { handle: 'nojs', name: 'Plain Form Goods' }
    : { handle: 'acme', name: 'Acme Store' };
}

async function fillShopifyForm(page: Page, storeUrl: string, password: string) {
  await page.getByLabel('Store URL').fill(storeUrl);
  await page.getByLabel('API Key').fill(credentials.key);
  await page.getByLabel('API Password').fill(password);
  await page.getByLabel('Shared Secret').fill(credentials.secret);
  await page.getByRole('button', { name: 'REGISTER' }).click();
}

async function openShopifyForm(page: Page, testInfo: TestInfo) {
  await open(page, '/', testInfo);
  await page.getByRole('link', { name: 'ADD STORE' }).click();
  await expect(page.getByRole('heading', { name: 'Choose the platform' })).toBeVisible();
  await page.getByRole('link', { name: 'Shopify' }).click();
  await expect(page.getByRole('heading', { name: 'Connect a Shopify store' })).toBeVisible();
  if (testInfo.project.use.javaScriptEnabled !== false) {
    await hydrated(page);
  }
}

async function standardUserSees(browser: Browser, testInfo: TestInfo, name: string) {
  const page = await browser.newPage({ javaScriptEnabled: testInfo.project.use.javaScriptEnabled !== false });
  await signIn(page, standard, testInfo);
  const row = page.getByRole('row').filter({ hasText: name });
  await expect(row).toContainText('Connected');
  await expect(row.getByRole('link', { name: /Disconnect|Remove|Reconnect/ })).toHaveCount(0);
  await expect(row.getByRole('button')).toHaveCount(0);
  await page.close();
}

test('an administrator registers a Shopify store, then disconnects and removes it @no-js', async ({ page, browser }, testInfo) => {
  const shop = shopFor(testInfo);
  await signIn(page, admin, testInfo);
  await openShopifyForm(page, testInfo);
  await expect(page.getByLabel('API Password')).toHaveAttribute('type', 'password');
  await expect(page.getByLabel('Shared Secret')).toHaveAttribute('type', 'password');
  await expect(page.getByText('“Admin API access token” of a custom app')).toBeVisible();

  // A wrong password is refused beside its field, and nothing is saved.
  await fillShopifyForm(page, `https://admin.shopify.com/store/${shop.handle}`, 'shpat_not_the_password');
  await expect(page.getByText('Shopify rejected the API password.')).toBeVisible();

  await fillShopifyForm(page, `https://admin.shopify.com/store/${shop.handle}`, credentials.password);
  await expect(page.getByRole('heading', { name: 'Stores' })).toBeVisible();
  const row = page.getByRole('row').filter({ hasText: `${shop.handle}.myshopify.com` });
  await expect(row).toContainText(shop.name);
  await expect(row).toContainText('Connected');

  await standardUserSees(browser, testInfo, shop.name);

  await row.getByRole('link', { name: `Disconnect ${shop.name}` }).click();
  await expect(page.getByRole('heading', { name: `Disconnect ${shop.name}?` })).toBeVisible();
  await page.getByRole('button', { name: `Disconnect ${shop.name}` }).click();
  await expect(page.getByRole('heading', { name: 'Stores' })).toBeVisible();
  await expect(row).toContainText('Disconnected');

  await row.getByRole('link', { name: `Remove ${shop.name}` }).click();
  await expect(page.getByRole('heading', { name: `Remove ${shop.name}?` })).toBeVisible();
  await page.getByRole('button', { name: `Remove ${shop.name}` }).click();
  await expect(page.getByRole('heading', { name: 'Stores' })).toBeVisible();
  await expect(page.getByRole('row').filter({ hasText: `${shop.handle}.myshopify.com` })).toHaveCount(0);

  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Audit' }).click();
  await expect(page.getByRole('heading', { name: 'Audit' })).toBeVisible();
  for (const action of ['Registered store', 'Disconnected store', 'Removed store']) {
    await expect(page.getByRole('row').filter({ hasText: shop.name }).filter({ hasText: action })).toHaveCount(1);
  }
});

test('each registration failure shows its message and adds no store', async ({ page }, testInfo) => {
  await signIn(page, admin, testInfo);
  const cases: [string, string, string][] = [
    ['http://localhost:3000', credentials.password, 'localhost is not a Shopify store.'],
    ['shop.example.com', credentials.password, 'shop.example.com is not a Shopify store address.'],
    ['nosuchshop', credentials.password, 'No Shopify store answers at nosuchshop.myshopify.com.'],
    ['partial.myshopify.com', credentials.password, 'give it read access to: Customers, Locations, Inventory, Merchant-managed fulfillment orders.'],
  ];
  for (const [url, password, message] of cases) {
    await openShopifyForm(page, testInfo);
    await fillShopifyForm(page, url, password);
    await expect(page.getByText(message)).toBeVisible();
  }

  // Shopify's own troubles, switched on in the emulated shop.
  const faults: [object, string][] = [
    [{ frozen: true }, 'Shopify reports acme.myshopify.com as unavailable (frozen'],
    [{ locked: true }, 'Shopify has locked acme.myshopify.com.'],
    [{ latency_ms: 5000 }, 'Shopify is unavailable or too slow right now. Nothing was saved'],
  ];
  for (const [fault, message] of faults) {
    await page.request.post(`${emulatorURL}/_emulator/shops/acme/faults`, { data: fault });
    await openShopifyForm(page, testInfo);
    await fillShopifyForm(page, 'acme', credentials.password);
    await expect(page.getByRole('alert')).toContainText(message);
    await page.request.post(`${emulatorURL}/_emulator/shops/acme/faults`, {
      data: { frozen: false, locked: false, latency_ms: 0 },
    });
  }
  await open(page, '/', testInfo);
  await expect(page.getByRole('row').filter({ hasText: 'acme.myshopify.com' })).toHaveCount(0);
  await expect(page.getByRole('row').filter({ hasText: 'nosuchshop' })).toHaveCount(0);
  await expect(page.getByRole('row').filter({ hasText: 'Partial Permissions' })).toHaveCount(0);
});

test('a missing optional permission registers with a warning, and a second REGISTER says it is connected', async ({ page }, testInfo) => {
  await signIn(page, admin, testInfo);
  await openShopifyForm(page, testInfo);
  await fillShopifyForm(page, 'recent', credentials.password);
  const row = page.getByRole('row').filter({ hasText: 'recent.myshopify.com' });
  await expect(row).toContainText('only the last 60 days of orders will sync');

  await openShopifyForm(page, testInfo);
  await fillShopifyForm(page, 'recent.myshopify.com', credentials.password);
  await expect(page.getByRole('alert')).toContainText('recent.myshopify.com is already connected as “Recent Only”.');

  // Leave the list as it was for the specs that expect no stores.
  await open(page, '/', testInfo);
  await page.getByRole('link', { name: 'Disconnect Recent Only' }).click();
  await page.getByRole('button', { name: 'Disconnect Recent Only' }).click();
  await page.getByRole('link', { name: 'Remove Recent Only' }).click();
  await page.getByRole('button', { name: 'Remove Recent Only' }).click();
  await expect(page.getByRole('row').filter({ hasText: 'recent.myshopify.com' })).toHaveCount(0);
});

// Whatever failed above, leave no store behind for the specs that expect an empty list.
test.afterAll(async ({ browser }, testInfo) => {
  await removeStoreIfLeft(browser, 'acme', testInfo);
  await removeStoreIfLeft(browser, 'nojs', testInfo);
  await removeStoreIfLeft(browser, 'recent', testInfo);
  await removeStoreIfLeft(browser, 'partial', testInfo);
});
