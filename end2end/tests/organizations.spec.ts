import { expect, test } from '@playwright/test';
import { admin, open, signIn } from './helpers';

/** The administrator of a second organization, which the operator created with e-commerce off
 * (serve.sh). */
const other = { email: 'other@example.com', password: 'other password 123' };

test('a user of an organization without e-commerce signs in and is told to ask their representative @no-js', async ({ page }, testInfo) => {
  await open(page, '/login', testInfo);
  await page.getByLabel('Email').fill(other.email);
  await page.getByLabel('Password').fill(other.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('alert')).toHaveText(
    'E-commerce is not set up for your organization. Contact your account representative.',
  );
  await expect(page.getByRole('link', { name: 'ADD STORE' })).toHaveCount(0);
  for (const path of ['/orders', '/users']) {
    await open(page, path, testInfo);
    await expect(page.getByRole('alert')).toHaveText(
      'E-commerce is not set up for your organization. Contact your account representative.',
    );
  }
});

test("another organization's users are not among an administrator's users @no-js", async ({ page }, testInfo) => {
  await signIn(page, admin, testInfo);
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Users' }).click();
  await expect(page.getByRole('cell', { name: admin.email, exact: true })).toBeVisible();
  await expect(page.getByRole('cell', { name: other.email, exact: true })).toHaveCount(0);
});
